import { join } from 'node:path';
import type { AudioFrame } from '../audio/audio-frame.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { fileErrorCause } from '../wav/file-error-cause.js';
import { GrowingWavWriter } from '../wav/growing-wav-writer.js';
import { GrowthSignal } from './growth-signal.js';
import { makeWayForRecording } from './recording-archive.js';
import { isValidRecordingId, recordingFileName } from './recording-file.js';
import { claimRecording, releaseRecording } from './recording-owner.js';
import type { RecordingStore } from './recording-store.js';
import { RecordingTrack, type RecordingTrackCounters } from './recording-track.js';
import { StereoInterleaver } from './stereo-interleaver.js';

export type RecordMode = 'input' | 'output' | 'both';
export const RECORD_MODES: readonly RecordMode[] = ['input', 'output', 'both'];

export interface SessionRecorderOptions {
  /** The recordings folder. */
  readonly dir: string;
  /** The session id (webrtc_id); the file is `${id}.wav`. */
  readonly id: string;
  /** Caller only (mono), gateway only (mono), or both (stereo: left = caller, right = gateway). */
  readonly mode: RecordMode;
  /** Rate of the file; frames at other rates are resampled. */
  readonly sampleRate: number;
  /** Longest audio waits in memory before it is written (the writer's flush interval), ms. */
  readonly flushIntervalMs: number;
  /** Stereo: how far one side may run ahead before the other is padded with silence, ms. */
  readonly maxLagMs: number;
  /** A timestamp this far past a track's end is a gap, filled with silence, ms. */
  readonly gapToleranceMs: number;
  /** Longest silence one gap adds, ms. */
  readonly maxGapMs: number;
  /** Audio held while the file is being created, in seconds (beyond: dropped and counted). */
  readonly maxPreOpenS: number;
  /** Live recordings are announced here so HTTP readers can follow them. */
  readonly store?: RecordingStore | undefined;
  /** Told once when the recording ends early (write error, disk full, file exists). */
  readonly onError?: ((error: WavegateError) => void) | undefined;
  /**
   * The earlier recording of this id in this process, still closing (a session id used again at once):
   * the file is only moved aside and created once it settles (docs/recordings.md, "An id used again").
   */
  readonly previous?: Promise<unknown> | undefined;
  /** Longest `previous` is waited for before this recording gives up (EEXIST), ms. */
  readonly previousWaitMs: number;
  /** A file of another host's gateway unchanged for this long is taken as abandoned and moved aside, ms. */
  readonly staleAfterMs: number;
  /** Told the folder entry the earlier recording of this id was moved to, when there was one. */
  readonly onPreviousMoved?: ((name: string) => void) | undefined;
}

export const DEFAULT_RECORDER_OPTIONS = {
  flushIntervalMs: 200,
  maxLagMs: 1000,
  gapToleranceMs: 10,
  maxGapMs: 60_000,
  maxPreOpenS: 10,
  previousWaitMs: 10_000,
  staleAfterMs: 30_000,
} as const;

export type SessionRecorderInput = Partial<SessionRecorderOptions> & Pick<SessionRecorderOptions, 'dir' | 'id' | 'mode' | 'sampleRate'>;

export interface SessionRecorderStats {
  readonly state: 'opening' | 'recording' | 'failed' | 'closed';
  readonly path: string;
  readonly channels: 1 | 2;
  /** Sample frames on disk and their duration. */
  readonly frames: number;
  readonly durationMs: number;
  readonly input: Readonly<RecordingTrackCounters>;
  readonly output: Readonly<RecordingTrackCounters>;
  /** Sample frames that never reached the file (queue full, after a failure, before the file opened). */
  readonly droppedFrames: number;
  readonly writeErrors: number;
  readonly lastError: string | undefined;
}

export interface SessionRecorder {
  readonly id: string;
  readonly path: string;
  /** Caller audio as the handler receives it. */
  writeInput(frame: AudioFrame): void;
  /** Gateway audio as it is sent. */
  writeOutput(frame: AudioFrame): void;
  /** Writes what is left, patches the header sizes, closes the file. Idempotent; never rejects. */
  close(): Promise<SessionRecorderStats>;
  /** Settles once the file exists and is announced to the store (or the recording failed); never rejects. */
  readonly ready: Promise<void>;
  /** Settles once close() has finished (without calling it); never rejects. */
  readonly finished: Promise<void>;
  /** Where the earlier recording of this id was moved (a folder entry), once `ready`; undefined if none. */
  readonly previousMovedTo: string | undefined;
  readonly stats: SessionRecorderStats;
}

function resolve(input: SessionRecorderInput): SessionRecorderOptions {
  const o: SessionRecorderOptions = { ...DEFAULT_RECORDER_OPTIONS, ...input };
  const fail = (name: string, value: unknown, expected: string): never => {
    throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
  };
  const int = (name: keyof SessionRecorderOptions, min: number, max: number) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(name, v, `an integer from ${min} to ${max}`);
  };
  if (typeof o.dir !== 'string' || o.dir.length === 0) fail('dir', o.dir, 'a non-empty string');
  if (typeof o.id !== 'string' || !isValidRecordingId(o.id)) fail('id', o.id, 'a session id ([A-Za-z0-9_.:-]{1,128} without "..")');
  if (!RECORD_MODES.includes(o.mode)) fail('mode', o.mode, "'input', 'output' or 'both'");
  int('sampleRate', 4000, 192_000); // every rate a client may send (docs/protocol.md: 4–192 kHz)
  int('flushIntervalMs', 1, 10_000);
  int('maxLagMs', 100, 60_000);
  int('gapToleranceMs', 0, 1000);
  int('maxGapMs', 0, 3_600_000);
  int('maxPreOpenS', 0, 60);
  int('previousWaitMs', 0, 600_000);
  int('staleAfterMs', 0, 86_400_000);
  return o;
}

/**
 * Records one session to `${dir}/${id}.wav` while it runs, on a GrowingWavWriter (placeholder sizes
 * while open, flushed at least every `flushIntervalMs`, sizes patched on close). Synchronous to
 * create: frames that arrive while the file is being created wait (bounded). Any file error ends the
 * recording — counted, reported once through `onError` — and never the session: later frames are
 * counted as dropped. An earlier file of the same id (the id used again) is moved aside first
 * (recording-archive.ts), after `previous` (that session's recorder in this process) has finished.
 */
export function createSessionRecorder(input: SessionRecorderInput): SessionRecorder {
  const o = resolve(input);
  const channels: 1 | 2 = o.mode === 'both' ? 2 : 1;
  const path = join(o.dir, recordingFileName(o.id));
  const trackOptions = { sampleRate: o.sampleRate, gapToleranceMs: o.gapToleranceMs, maxGapMs: o.maxGapMs };
  const left = new RecordingTrack(trackOptions); // the caller (input)
  const right = new RecordingTrack(trackOptions); // the gateway (output)
  const interleaver = new StereoInterleaver();
  const maxPreOpenSamples = o.maxPreOpenS * o.sampleRate * channels;
  let preOpen: Int16Array[] = [];
  let preOpenSamples = 0;
  let droppedBeforeOpen = 0;
  let writer: GrowingWavWriter | undefined;
  let signal: GrowthSignal | undefined;
  let state: SessionRecorderStats['state'] = 'opening';
  /** Errors not counted by the writer: the file could not be created, or a frame could not be used. */
  let localErrors = 0;
  let lastLocalError: WavegateError | undefined;
  let closing: Promise<SessionRecorderStats> | undefined;
  let reported = false;

  const report = (error: WavegateError): void => {
    if (reported) return;
    reported = true;
    try {
      o.onError?.(error);
    } catch {
      // a failing listener must not take the session down
    }
  };

  const append = (samples: Int16Array): void => {
    if (samples.length === 0) return;
    if (writer !== undefined) {
      writer.append(samples);
    } else if (state === 'opening' && preOpenSamples + samples.length <= maxPreOpenSamples) {
      preOpen.push(samples);
      preOpenSamples += samples.length;
    } else {
      droppedBeforeOpen += samples.length / channels;
    }
  };

  const route = (side: 0 | 1, samples: Int16Array): void => {
    if (channels === 1) {
      append(samples);
      return;
    }
    interleaver.push(side, samples);
    const lead = Math.max(left.endMs, right.endMs);
    if (lead - left.endMs > o.maxLagMs) interleaver.push(0, left.padTo(lead - o.maxLagMs));
    if (lead - right.endMs > o.maxLagMs) interleaver.push(1, right.padTo(lead - o.maxLagMs));
    append(interleaver.take());
  };

  /** After the writer closed: readers see the end, the live entry and the owner sidecar go. */
  const finished = async (w: GrowingWavWriter): Promise<void> => {
    signal?.finish(w.byteLength);
    if (signal !== undefined) o.store?.removeLive(o.id, signal);
    await releaseRecording(o.dir, o.id);
  };

  const stopWriter = (w: GrowingWavWriter): void => {
    void w.close().then(() => finished(w));
  };

  let previousMovedTo: string | undefined;
  let markFinished: () => void = () => undefined;
  const finishedClosing = new Promise<void>((resolve) => (markFinished = resolve));
  // A session id used again: `${id}.wav` becomes this session's, the earlier file is moved aside first.
  const makeWay = async (): Promise<void> => {
    if (o.previous !== undefined && !(await settlesWithin(o.previous, o.previousWaitMs))) {
      throw new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${path}: EEXIST: the earlier session of this id is still closing its recording (waited ${o.previousWaitMs} ms); this session is not recorded`);
    }
    if (o.store?.liveSignal(o.id) !== undefined) throw new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${path}: EEXIST: another recorder of this process is writing it; this session is not recorded`);
    previousMovedTo = await makeWayForRecording(o.dir, o.id, { staleAfterMs: o.staleAfterMs, nowMs: Date.now() });
    if (previousMovedTo !== undefined) {
      try {
        o.onPreviousMoved?.(previousMovedTo);
      } catch {
        // a failing listener must not take the session down
      }
    }
  };

  const opening = makeWay().then(() => GrowingWavWriter.open(path, { sampleRate: o.sampleRate, channels, flushIntervalMs: o.flushIntervalMs })).then(
    async (w) => {
      // The exclusive create made the id ours; the sidecar tells a later start who wrote it.
      await claimRecording(o.dir, o.id).catch(() => undefined);
      writer = w;
      if (state === 'opening') state = 'recording';
      signal = new GrowthSignal(w.byteLength);
      w.on('grow', (size) => signal?.grew(size));
      w.on('failed', (error) => {
        if (state === 'recording') state = 'failed';
        report(error);
        stopWriter(w);
      });
      try {
        o.store?.addLive(o.id, signal);
      } catch (err) {
        // another recorder of this process owns the id: keep writing, but readers see the other one
        report(err as WavegateError);
      }
      for (const chunk of preOpen) w.append(chunk);
      preOpen = [];
      preOpenSamples = 0;
      if (state === 'failed') stopWriter(w); // a frame was refused while the file was being created
    },
    (err: unknown) => {
      lastLocalError = err instanceof WavegateError ? err : new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `${path}: ${fileErrorCause(err)}`);
      localErrors++;
      state = 'failed';
      droppedBeforeOpen += preOpenSamples / channels;
      preOpen = [];
      preOpenSamples = 0;
      report(lastLocalError);
    },
  );

  const stats = (): SessionRecorderStats => {
    const w = writer?.stats;
    return {
      state,
      path,
      channels,
      frames: w?.frames ?? 0,
      durationMs: w?.durationMs ?? 0,
      input: { ...left.counters },
      output: { ...right.counters },
      droppedFrames: droppedBeforeOpen + (w?.droppedFrames ?? 0),
      writeErrors: (w?.writeErrors ?? 0) + localErrors,
      lastError: (lastLocalError ?? w?.lastError)?.message,
    };
  };

  const accepting = (): boolean => state === 'opening' || state === 'recording';

  /** One frame from the session: never throws (a tap must not), a frame it cannot use ends the recording. */
  const take = (side: 0 | 1, frame: AudioFrame): void => {
    if (!accepting()) {
      droppedBeforeOpen += frame.samples.length / Math.max(1, frame.channels);
      return;
    }
    try {
      route(side, (side === 0 ? left : right).push(frame));
    } catch (err) {
      const error = err instanceof WavegateError ? err : new WavegateError('WG_ERR_RECORDING_WRITE_FAILED', `frame refused: ${(err as Error).message}`);
      if (channels === 2) append(interleaver.drain()); // keep what was already aligned
      state = 'failed';
      localErrors++;
      lastLocalError = error;
      droppedBeforeOpen += frame.samples.length / Math.max(1, frame.channels);
      report(error);
      if (writer !== undefined) stopWriter(writer);
    }
  };

  return {
    id: o.id,
    path,
    ready: opening,
    finished: finishedClosing,
    get previousMovedTo() {
      return previousMovedTo;
    },
    writeInput(frame) {
      if (o.mode !== 'output') take(0, frame);
    },
    writeOutput(frame) {
      if (o.mode !== 'input') take(1, frame);
    },
    get stats() {
      return stats();
    },
    close() {
      closing ??= (async () => {
        const wasRecording = state === 'opening' || state === 'recording';
        if (wasRecording) {
          if (channels === 2) {
            const end = Math.max(left.endMs, right.endMs);
            interleaver.push(0, left.padTo(end));
            interleaver.push(1, right.padTo(end));
            interleaver.push(0, left.flush());
            interleaver.push(1, right.flush());
            append(interleaver.drain());
          } else {
            append((o.mode === 'input' ? left : right).flush());
          }
        }
        await opening;
        if (writer !== undefined) {
          await writer.close();
          await finished(writer);
        }
        if (state !== 'failed') state = 'closed';
        markFinished();
        return stats();
      })();
      return closing;
    },
  };
}

/** True when `promise` settles (either way) within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve(true);
    };
    promise.then(done, done);
  });
}
