import { join } from 'node:path';
import type { RecordingFinishedEvent } from '../gateway-events.js';
import type { GatewayComponent } from '../http/routes.js';
import type { SessionTap, SessionTapFactory } from '../session/session-tap.js';
import { createSessionRecorder, DEFAULT_RECORDER_OPTIONS, RECORD_MODES, type RecordMode, type SessionRecorder } from './recorder.js';
import { repairRecordings, type RepairReport } from './recording-repair.js';
import { recordingFileName } from './recording-file.js';
import { RecordingStore } from './recording-store.js';
import { createRecordingsHttp, DEFAULT_RECORDINGS_HTTP_OPTIONS, recordingPath } from './recordings-component.js';

export interface RecordingsOptions {
  /** The recordings folder (created if missing). */
  readonly dir: string;
  /** What each session records: the caller, the gateway, or both as stereo (left caller, right gateway). */
  readonly mode: RecordMode;
  /** When set, recording URLs must be signed (HMAC-SHA256, expiring). At least 16 characters. */
  readonly secret: string | null;
  /** Longest a request at the live end waits for more audio (ms). */
  readonly liveWaitMs: number;
  /** Longest recorded audio waits in memory before it is written (ms). */
  readonly flushIntervalMs: number;
  /** A recording another host left unfinished is repaired once it has not changed for this long (ms). */
  readonly staleAfterMs: number;
  /** Lifetime of signed URLs handed out by the listing and by `signedPath` (s). */
  readonly signedUrlTtlS: number;
}

export const DEFAULT_RECORDINGS_OPTIONS = {
  mode: 'both',
  secret: DEFAULT_RECORDINGS_HTTP_OPTIONS.secret,
  liveWaitMs: DEFAULT_RECORDINGS_HTTP_OPTIONS.liveWaitMs,
  flushIntervalMs: DEFAULT_RECORDER_OPTIONS.flushIntervalMs,
  staleAfterMs: 30_000,
  signedUrlTtlS: DEFAULT_RECORDINGS_HTTP_OPTIONS.signedUrlTtlS,
} as const satisfies Omit<RecordingsOptions, 'dir'>;

export interface Recordings {
  readonly options: RecordingsOptions;
  readonly store: RecordingStore;
  /** The HTTP routes plus start (open the folder, repair what a dead process left) and close. */
  readonly component: GatewayComponent;
  /** Give this to the session host: every new session gets a recorder. */
  readonly tapFactory: SessionTapFactory;
  /** Recorders of sessions still open. */
  readonly active: ReadonlyMap<string, SessionRecorder>;
  /** What the last start-up repair did. */
  readonly lastRepair: RepairReport | undefined;
  /** Process-wide counts over the recordings of closed sessions (for metrics and logs). */
  readonly totals: Readonly<RecordingTotals>;
  /** `/recordings/{id}.wav`, signed for `signedUrlTtlS` when a secret is set. */
  signedPath(id: string, nowMs?: number): string;
}

export interface RecordingTotals {
  /** Recordings closed, and how many of them ended early (write error, disk full, file taken). */
  closed: number;
  failed: number;
  writeErrors: number;
  /** Sample frames that never reached a file. */
  droppedFrames: number;
  /** Sample frames written. */
  frames: number;
}

/** Told when a session's recording is complete (the gateway's `recording-finished` event). */
export type RecordingFinishedListener = (finished: RecordingFinishedEvent) => void;

export function createRecordings(input: Partial<RecordingsOptions> & Pick<RecordingsOptions, 'dir'>, onFinished?: RecordingFinishedListener): Recordings {
  const options: RecordingsOptions = { ...DEFAULT_RECORDINGS_OPTIONS, ...input };
  if (!RECORD_MODES.includes(options.mode)) throw new TypeError(`Expected \`mode\` to be 'input', 'output' or 'both', got \`${String(options.mode)}\``);
  if (!Number.isInteger(options.staleAfterMs) || options.staleAfterMs < 0) throw new TypeError(`Expected \`staleAfterMs\` to be an integer ≥ 0, got \`${String(options.staleAfterMs)}\``);
  const store = new RecordingStore(options.dir);
  const http = createRecordingsHttp(store, { secret: options.secret, liveWaitMs: options.liveWaitMs, signedUrlTtlS: options.signedUrlTtlS });
  const active = new Map<string, SessionRecorder>();
  let lastRepair: RepairReport | undefined;
  const totals: RecordingTotals = { closed: 0, failed: 0, writeErrors: 0, droppedFrames: 0, frames: 0 };
  let recheck: NodeJS.Timeout | undefined;

  const repair = async (): Promise<void> => {
    lastRepair = await repairRecordings(store, { staleAfterMs: options.staleAfterMs, nowMs: Date.now() });
    for (const { id, dataBytes, truncatedBytes } of lastRepair.repaired) {
      console.warn(`wavegate: repaired unfinished recording ${id} (${dataBytes} audio bytes${truncatedBytes > 0 ? `, ${truncatedBytes} bytes of a partial frame cut` : ''})`);
    }
    for (const { id, error } of lastRepair.failed) console.warn(`wavegate: could not repair recording ${id}: ${error}`);
    if (lastRepair.skipped.some((s) => s.reason === 'recent-foreign-owner')) {
      recheck = setTimeout(() => void repair().catch((err: unknown) => console.warn('wavegate: recording repair failed', err)), options.staleAfterMs + 1000);
      recheck.unref();
    }
  };

  const tapFactory: SessionTapFactory = (info) => {
    const recorder = createSessionRecorder({
      dir: store.realDir,
      id: info.id,
      mode: options.mode,
      sampleRate: options.mode === 'output' ? info.outputSampleRate : info.inputSampleRate,
      flushIntervalMs: options.flushIntervalMs,
      store,
      staleAfterMs: options.staleAfterMs,
      // The id used again at once: the earlier session's recorder finishes before this one moves its file aside.
      previous: active.get(info.id)?.finished,
      onError: (error) => console.warn(`wavegate: recording ${info.id} ended early: ${error.message}`),
      onPreviousMoved: (name) => console.warn(`wavegate: recording ${info.id}: the session id was used again; ${recordingFileName(info.id)} is the new session's, the earlier recording was moved to ${name}`),
    });
    active.set(info.id, recorder);
    const tap: SessionTap = {
      onInput: (frame) => recorder.writeInput(frame),
      onOutput: (frame) => recorder.writeOutput(frame),
      close: async () => {
        const stats = await recorder.close();
        totals.closed++;
        if (stats.state === 'failed') totals.failed++;
        totals.writeErrors += stats.writeErrors;
        totals.droppedFrames += stats.droppedFrames;
        totals.frames += stats.frames;
        if (active.get(info.id) === recorder) active.delete(info.id);
        const moved = recorder.previousMovedTo;
        onFinished?.({
          id: info.id,
          path: stats.path,
          durationMs: stats.durationMs,
          state: stats.state === 'failed' ? 'failed' : 'closed',
          droppedFrames: stats.droppedFrames,
          ...(moved !== undefined && { previousPath: join(store.realDir, moved) }),
        });
      },
    };
    return tap;
  };

  const component: GatewayComponent = {
    ...http,
    async start() {
      await store.open();
      await repair();
    },
    async close() {
      clearTimeout(recheck);
      await Promise.allSettled([...active.values()].map((r) => r.close()));
      active.clear();
    },
  };

  return {
    options,
    store,
    component,
    tapFactory,
    active,
    get lastRepair() {
      return lastRepair;
    },
    totals,
    signedPath: (id, nowMs = Date.now()) => recordingPath(id, options.secret, Math.floor(nowMs / 1000) + options.signedUrlTtlS),
  };
}
