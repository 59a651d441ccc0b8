import { performance } from 'node:perf_hooks';
import { createDecoder } from '../src/codecs/codec-factory.js';
import { payloadDurationMs } from '../src/codecs/payload-duration.js';
import { AudioPlayout } from '../src/jitter/audio-playout.js';
import type { JitterBufferOptions } from '../src/jitter/jitter-buffer-options.js';
import type { JitterBufferStats } from '../src/jitter/jitter-stats.js';
import type { ServerEvent } from './client-wire.js';
import { DeadlineSchedule } from './deadline-schedule.js';
import { alignEcho, EnvelopeTrack } from './echo-alignment.js';
import { chunkFrames } from './frame-chunker.js';
import { summarize, type Summary } from './percentiles.js';
import { RoundTripTracker } from './round-trip-tracker.js';
import { WavegateConnection, type ConnectionOptions } from './wavegate-connection.js';
import { WebRtcConnection, type WebRtcConnectionOptions } from './webrtc-connection.js';

/** The connection's own options (url, id, formats, negotiate, binary, frameMs, openTimeoutMs), then the stream's. */
export interface StreamOptions extends Omit<ConnectionOptions, 'onEvent' | 'onClose'> {
  /**
   * `websocket`: FastRTC's WebSocket (`url` ws://…/websocket/offer). `webrtc`: FastRTC's `POST
   * /webrtc/offer` (`url` http://…/webrtc/offer), Opus RTP both ways, events on the `text` data channel.
   */
  transport: 'websocket' | 'webrtc';
  /** WebRTC: post ICE candidates while the offer is in flight, as FastRTC's client does (false: none). */
  trickle: boolean;
  /** WebRTC: STUN/TURN servers (none by default: a local or public-address server needs none). */
  iceServers: WebRtcConnectionOptions['iceServers'];
  /** Send a mark this often (ms of audio) to measure the mark round trip; 0 = only the final one. */
  markEveryMs: number;
  /** After the last frame (and the final mark's echo): finish once no reply audio came for this long, ms. */
  quietMs: number;
  /** After the last frame: finish at the latest after this long, ms. */
  drainTimeoutMs: number;
  jitter: Partial<Omit<JitterBufferOptions, 'sampleRate' | 'frameMs'>>;
  /** Called about every `progressEveryMs` while streaming. */
  onProgress: ((progress: StreamProgress) => void) | undefined;
  progressEveryMs: number;
  /** Server events besides media/marks/clear (logs, transcripts, errors), for callers that want them. */
  onServerEvent: ((event: ServerEvent) => void) | undefined;
  /**
   * Called once connected; the first frame goes out when what it returns resolves (to start many
   * sessions together, or open them a few at a time). Rejecting ends the stream with that error.
   */
  beforeStart: (() => Promise<void> | void) | undefined;
}

export const DEFAULT_STREAM_OPTIONS = {
  transport: 'websocket',
  trickle: true,
  iceServers: [],
  negotiate: true,
  binary: true,
  frameMs: 20,
  markEveryMs: 500,
  quietMs: 500,
  drainTimeoutMs: 5000,
  openTimeoutMs: 10_000,
  jitter: {},
  onProgress: undefined,
  progressEveryMs: 250,
  onServerEvent: undefined,
  beforeStart: undefined,
} as const satisfies Omit<StreamOptions, 'url' | 'id' | 'input' | 'output'>;

export type StreamInput = Partial<StreamOptions> & Pick<StreamOptions, 'url' | 'id' | 'input' | 'output'>;

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

/** Defaults first, then the caller's options; every option checked, naming the offending value. */
export function resolveStreamOptions(options: StreamInput): StreamOptions {
  const o: StreamOptions = { ...DEFAULT_STREAM_OPTIONS, ...options };
  const ms = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  check(o.transport === 'websocket' || o.transport === 'webrtc', 'transport', o.transport, "'websocket' or 'webrtc'");
  if (o.transport === 'webrtc') {
    check(typeof o.url === 'string' && /^https?:\/\//.test(o.url), 'url', o.url, 'an http:// or https:// URL (the /webrtc/offer endpoint) with transport webrtc');
    check(o.input?.encoding === 'audio/opus', 'input.encoding', o.input?.encoding, "'audio/opus' with transport webrtc");
    check(o.output?.encoding === 'audio/opus', 'output.encoding', o.output?.encoding, "'audio/opus' with transport webrtc");
    check(typeof o.trickle === 'boolean', 'trickle', o.trickle, 'a boolean');
    check(Array.isArray(o.iceServers), 'iceServers', o.iceServers, 'an array of { urls, username?, credential? }');
  } else {
    check(typeof o.url === 'string' && /^wss?:\/\//.test(o.url), 'url', o.url, 'a ws:// or wss:// URL');
  }
  check(typeof o.id === 'string' && o.id.length > 0, 'id', o.id, 'a non-empty string');
  check([10, 20, 40, 60].includes(o.frameMs), 'frameMs', o.frameMs, 'one of 10, 20, 40, 60');
  for (const name of ['markEveryMs', 'quietMs', 'drainTimeoutMs', 'openTimeoutMs', 'progressEveryMs'] as const) check(ms(o[name]), name, o[name], 'a number of ms ≥ 0');
  check(typeof o.negotiate === 'boolean', 'negotiate', o.negotiate, 'a boolean');
  check(typeof o.binary === 'boolean', 'binary', o.binary, 'a boolean');
  check(o.beforeStart === undefined || typeof o.beforeStart === 'function', 'beforeStart', o.beforeStart, 'undefined or a function');
  return o;
}

export interface StreamProgress {
  readonly sentMs: number;
  readonly totalMs: number;
  readonly receivedMs: number;
  readonly bufferedMs: number;
  readonly targetDelayMs: number;
  readonly lastRttMs: number | undefined;
}

export interface StreamResult {
  /** The reply as played out through the jitter buffer (PCM16 mono at `output.sampleRate`). */
  readonly reply: Int16Array;
  readonly sentMs: number;
  readonly receivedMs: number;
  /** Round trip from the content: reply envelope aligned to the sent one (echo-like handlers). */
  readonly echoRtt: Summary;
  /** Share of speech blocks the reply echoes within 6 dB (≥ 0.8: an echo; else echoRtt is meaningless). */
  readonly echoMatch: number;
  /**
   * Round trip by counting: frame k is back when as much reply audio has arrived as was sent up to it.
   * Cheap and live (the progress line shows it) but skewed by any audio the server inserts or drops.
   */
  readonly frameRtt: Summary;
  /** Round trip of client marks (output side only, see RoundTripTracker). */
  readonly markRtt: Summary;
  readonly playout: JitterBufferStats;
  /** How the stream ended: the reply drained, the server ended it, or the drain timeout hit. */
  readonly ending: 'drained' | 'end_stream' | 'server_closed' | 'drain_timeout';
  readonly closeCode: number | undefined;
  readonly closeReason: string;
  /** Server errors and warnings, as "CODE: message". */
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** Set when the server refused the session (concurrency limit). */
  readonly refused: { readonly limit: number | undefined; readonly reason: string } | undefined;
  /** `clear` messages received (barge-in): each flushed the playout buffer. */
  readonly clears: number;
  /** Silence written into the reply where it stalled for longer than the jitter buffer conceals, ms. */
  readonly gapMs: number;
  /** Times the sender woke up more than one frame late (event loop stalls). */
  readonly lateTicks: number;
}

const END_MARK = 'wavegate-client-end';

/**
 * Streams `pcm` (mono PCM16 at `input.sampleRate`) to a gateway in real time and plays the reply
 * out through a jitter buffer. Pacing: frame k goes out at `start + k·frameMs` on one timer re-armed
 * to the next deadline (never setInterval); a late wake-up sends everything due. The same clock pulls
 * one playout frame per tick once reply audio arrives. Each media message carries `sequenceNumber` k
 * and `timestamp` k·frameMs (JSON only; binary frames cannot). After the last frame the client sends a
 * mark, waits for its echo and for the reply to go quiet and play out (bounded by `drainTimeoutMs`),
 * then sends `stop`.
 */
export function streamAudio(pcm: Int16Array, input: StreamInput): Promise<StreamResult> {
  const options = resolveStreamOptions(input);
  const frameSamples = Math.round((options.input.sampleRate * options.frameMs) / 1000);
  const frames = chunkFrames(pcm, frameSamples);
  const totalMs = frames.length * options.frameMs;
  const decoder = createDecoder(options.output);
  // A second decoder for measuring: the playout decodes at playout time, this one on arrival.
  const analysisDecoder = createDecoder(options.output);
  const sentEnvelope = new EnvelopeTrack(options.input.sampleRate);
  const receivedEnvelope = new EnvelopeTrack(options.output.sampleRate);
  const playout = new AudioPlayout<Uint8Array>({
    sampleRate: options.output.sampleRate,
    frameMs: options.frameMs,
    jitter: options.jitter,
    decode: (payload) => decoder.decode(payload),
    ...(decoder.conceal && { conceal: (n: number, next: Uint8Array | undefined) => decoder.conceal!(n, next) }),
  });
  const rtt = new RoundTripTracker(options.frameMs);
  const markEvery = options.markEveryMs > 0 ? Math.max(1, Math.round(options.markEveryMs / options.frameMs)) : Infinity;
  const reply: Int16Array[] = [];
  /** Indexes in `reply` of silence frames written for stalls. */
  const gaps: number[] = [];
  const errors: string[] = [];
  const warnings: string[] = [];

  let schedule: DeadlineSchedule | undefined;
  let nextFrame = 0;
  let nextPull = 0;
  let playing = false;
  let lastRealFrame = -1;
  let lastMediaAt = -Infinity;
  let sendDoneAt: number | undefined;
  let endMarkEchoed = false;
  let replyComplete: StreamResult['ending'] | undefined;
  let refused: StreamResult['refused'];
  let closeInfo: { code: number | undefined; reason: string } | undefined;
  let lastProgressAt = -Infinity;
  let lastRtt: number | undefined;
  let lateTicks = 0;
  let clears = 0;
  let timer: NodeJS.Timeout | undefined;

  return new Promise<StreamResult>((resolve, reject) => {
    let connection: WavegateConnection | WebRtcConnection | undefined;
    let finished = false;

    const finish = (ending: StreamResult['ending']) => {
      if (finished) return;
      finished = true;
      if (timer) clearTimeout(timer);
      const done = async () => {
        if (connection && !connection.closed) {
          connection.sendStop();
          await connection.close();
        }
        decoder.close();
        analysisDecoder.close();
        const echo = alignEcho(sentEnvelope, receivedEnvelope);
        const played = reply.slice(0, lastRealFrame + 1);
        const out = new Int16Array(played.reduce((n, f) => n + f.length, 0));
        let at = 0;
        for (const f of played) {
          out.set(f, at);
          at += f.length;
        }
        resolve({
          reply: out,
          sentMs: rtt.sentMs,
          receivedMs: rtt.receivedMs,
          echoRtt: summarize(echo.roundTrips),
          echoMatch: echo.match,
          frameRtt: summarize(rtt.frameRtts()),
          markRtt: summarize(rtt.markRtts()),
          playout: playout.stats(),
          ending,
          closeCode: closeInfo?.code,
          closeReason: closeInfo?.reason ?? '',
          errors,
          warnings,
          refused,
          clears,
          gapMs: gaps.filter((k) => k <= lastRealFrame).length * options.frameMs,
          lateTicks,
        });
      };
      done().catch(reject);
    };

    const pullOne = (now: number) => {
      const emittedBefore = playout.stats().jitterBufferEmittedCount;
      const frame = playout.pull(now);
      if (frame === undefined) {
        // A gap in the reply (the server was silent): keep the timeline, trimmed at the end.
        if (playing) {
          gaps.push(reply.length);
          reply.push(new Int16Array(playout.frameSamples));
        }
        return;
      }
      playing = true;
      reply.push(frame);
      if (playout.stats().jitterBufferEmittedCount > emittedBefore) lastRealFrame = reply.length - 1;
    };

    const tick = () => {
      timer = undefined;
      if (finished || !connection || !schedule) return;
      const now = performance.now();
      const due = schedule.dueThrough(now);
      if (due - Math.max(nextFrame, nextPull) >= 1) lateTicks++;
      while (nextFrame <= due && nextFrame < frames.length) {
        connection.sendAudio(frames[nextFrame]!, nextFrame, nextFrame * options.frameMs);
        sentEnvelope.add(frames[nextFrame]!, now);
        rtt.sent(options.frameMs, now);
        nextFrame++;
        if (connection.supportsMarks && nextFrame % markEvery === 0 && nextFrame < frames.length) {
          const name = `rtt-${nextFrame}`;
          connection.sendMark(name);
          rtt.markSent(name, now);
        }
      }
      if (nextFrame === frames.length && sendDoneAt === undefined) {
        sendDoneAt = now;
        if (connection.supportsMarks) {
          connection.sendMark(END_MARK);
          rtt.markSent(END_MARK, now);
        }
      }
      while (nextPull <= due) {
        pullOne(now);
        nextPull++;
      }
      if (options.onProgress && now - lastProgressAt >= options.progressEveryMs) {
        lastProgressAt = now;
        const s = playout.stats();
        options.onProgress({ sentMs: rtt.sentMs, totalMs, receivedMs: rtt.receivedMs, bufferedMs: s.bufferedMs, targetDelayMs: s.targetDelayMs, lastRttMs: lastRtt });
      }
      if (sendDoneAt !== undefined) {
        // The reply is complete when the server ended it, or echoed the final mark (a server that never
        // echoes marks — FastRTC — is judged on quiet alone); then it must also have gone quiet (the mark
        // can overtake the last audio still in the server's input buffer) and be played out.
        const drained = !playout.active || playout.stats().bufferedPackets === 0;
        const marksEchoed = endMarkEchoed || (rtt.markRtts().length === 0 && now - sendDoneAt >= options.quietMs);
        if (now - sendDoneAt >= options.drainTimeoutMs) return finish('drain_timeout');
        if (replyComplete !== undefined && drained) return finish(replyComplete);
        if (marksEchoed && now - lastMediaAt >= options.quietMs && drained) return finish('drained');
      }
      timer = setTimeout(tick, schedule.delayUntil(due + 1, performance.now()));
    };

    const onEvent = (event: ServerEvent) => {
      if (finished) return; // what arrives while closing is not part of the result
      const now = performance.now();
      switch (event.type) {
        case 'media': {
          let durationMs: number;
          try {
            durationMs = payloadDurationMs(options.output, event.payload);
            playout.push({ payload: event.payload, durationMs, seq: event.seq, timestamp: event.timestampMs }, now);
            receivedEnvelope.add(analysisDecoder.decode(event.payload), now);
          } catch (err) {
            errors.push(`client: undecodable reply payload (${(err as Error).message})`);
            return;
          }
          lastMediaAt = now;
          rtt.received(durationMs, now);
          const rtts = rtt.frameRtts();
          if (rtts.length > 0) lastRtt = rtts[rtts.length - 1];
          return;
        }
        case 'mark':
          rtt.markEchoed(event.name, now);
          if (event.name === END_MARK) endMarkEchoed = true;
          return;
        case 'clear':
          clears++;
          playout.flush();
          return;
        case 'end_stream':
          replyComplete = 'end_stream';
          break;
        case 'refused':
          refused = { limit: event.limit, reason: event.reason };
          break;
        case 'error':
          errors.push(`${event.code ?? 'error'}: ${event.message}`);
          break;
        case 'warning':
          warnings.push(`${event.code ?? 'warning'}: ${event.message}`);
          break;
        case 'malformed':
          warnings.push(`client: malformed server message ${JSON.stringify(event.text.slice(0, 80))}`);
          break;
        default:
          break;
      }
      options.onServerEvent?.(event);
    };

    const onClose = (code: number | undefined, reason: string) => {
      closeInfo = { code, reason };
      replyComplete ??= 'server_closed';
      // Whatever arrived is still played out on the clock; without a schedule there is nothing to wait for.
      if (!schedule || sendDoneAt === undefined) {
        sendDoneAt ??= performance.now();
        if (!playing) finish('server_closed');
      }
    };

    const opening = options.transport === 'webrtc' ? WebRtcConnection.open({ ...options, onEvent, onClose }) : WavegateConnection.open({ ...options, onEvent, onClose });
    opening.then(async (c) => {
      connection = c;
      try {
        await options.beforeStart?.();
      } catch (err) {
        await c.close();
        throw err;
      }
      if (finished) return;
      schedule = new DeadlineSchedule(performance.now(), options.frameMs);
      tick();
    }).catch((err: unknown) => {
      decoder.close();
      analysisDecoder.close();
      reject(err instanceof Error ? err : new Error(String(err)));
    });
  });
}
