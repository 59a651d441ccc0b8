import type { AudioFrame } from '../audio/audio-frame.js';
import { sharedBytePool, sharedFramePool, type FramePool } from '../audio/frame-pool.js';
import { ScratchArea, ScratchView } from '../audio/shared-scratch.js';
import type { PayloadDecoder } from '../codecs/codec.js';
import { createDecoder } from '../codecs/codec-factory.js';
import { decodeAlawInto, decodeMulawInto } from '../codecs/g711.js';
import { decodeL16Into, l16SampleCount } from '../codecs/l16.js';
import type { MediaFormat } from '../codecs/media-format.js';
import { payloadDurationMs } from '../codecs/payload-duration.js';
import { AudioPlayout } from '../jitter/audio-playout.js';
import type { JitterBufferStats } from '../jitter/jitter-stats.js';
import { resamplerFor } from '../resample/resampler-tier.js';
import type { StreamingResampler } from '../resample/streaming-resampler.js';
import { SenderPace } from './sender-pace.js';

/**
 * Client media → jitter buffer (encoded payloads, so Opus conceals with its own PLC/FEC) → decoded
 * or concealed frames → resampled to the handler's rate (stateful) → frames for the handler. Audio is
 * released as it arrives while the sender keeps to real time; a sender running ahead is paced by a
 * playhead, one frame per `frameMs` of real time (ticks the event loop skipped are caught up).
 *
 * Steady state allocates no arrays (docs/architecture.md, "Who owns which bytes"): a pushed payload is
 * copied into a recycled array (the transport may reuse its bytes), decoded into scratch space, and
 * the handler's frames come from a FramePool; give each back with `release` once the handler is done.
 */
export class InputPipeline {
  private readonly handlerRate: number;
  private readonly format: MediaFormat;
  private readonly frameMs: number;
  private readonly decoder: PayloadDecoder;
  private readonly playout: AudioPlayout<Uint8Array>;
  private readonly resampler: StreamingResampler | undefined;
  private playhead: number | undefined;
  private streamMs = 0;
  /** The latest arrival, and whether the sender runs ahead of real time in the current talk spurt. */
  private lastArrival = -Infinity;
  private readonly pace: SenderPace;

  private readonly lossless: boolean;
  /** Lossless timing: decoded frames waiting for the next pull. */
  private ready: AudioFrame[] = [];
  /** What `pull` returns; reused, so read it before the next pull. */
  private readonly out: AudioFrame[] = [];
  private readonly frames: FramePool;
  private readonly payloads = sharedBytePool;
  /** Decoded PCM of one payload (G.711/L16 decode into it), and one frame at the wire rate: scratch shared by every pipeline. */
  private readonly decoded = new ScratchView(DECODED);
  private readonly wireView = new ScratchView(WIRE_FRAME);
  private readonly frameSamples: number;
  /** The packet handed to the jitter buffer (it reads the fields during push): one object, reused. */
  private readonly packet: { payload: Uint8Array; seq: number | undefined; timestamp: number | undefined; durationMs: number } = {
    payload: new Uint8Array(0),
    seq: undefined,
    timestamp: undefined,
    durationMs: 0,
  };

  /** When the session opened: its first packet's spurt may have begun no earlier (see SenderPace.restart). */
  private readonly openedAt: number | undefined;

  constructor(format: MediaFormat, handlerRate: number, frameMs: number, timing: 'realtime' | 'lossless' = 'realtime', openedAt?: number) {
    this.openedAt = openedAt;
    this.lossless = timing === 'lossless';
    this.format = format;
    this.handlerRate = handlerRate;
    this.frameMs = frameMs;
    const decoder = createDecoder(format);
    this.decoder = decoder;
    this.frames = sharedFramePool(handlerRate, 1);
    this.playout = new AudioPlayout<Uint8Array>({
      sampleRate: format.sampleRate,
      frameMs,
      decode: (payload) => this.decode(payload),
      release: (payload) => this.payloads.release(payload),
      canAccelerate: (payload) => isNearSilent(format, (p) => this.decode(p), payload),
      // Audio leaves as it arrives (see pull), so there is no playout schedule for inserted depth to protect.
      jitter: { decelerate: false },
      ...(decoder.conceal && { conceal: (samples: number, next: Uint8Array | undefined) => decoder.conceal!(samples, next) }),
    });
    this.resampler = handlerRate === format.sampleRate ? undefined : resamplerFor(format.sampleRate, handlerRate, format.encoding);
    this.frameSamples = this.playout.frameSamples;
    this.pace = new SenderPace({ leewayMs: 3 * frameMs });
  }

  /** The handler is done with a frame from `pull` (its receive returned or settled): it may be reused. */
  release(frame: AudioFrame): void {
    this.frames.release(frame);
  }

  /** Frames made so far by the pool, which every pipeline at this rate shares (a steady stream stops making new ones). */
  get framesCreated(): number {
    return this.frames.created;
  }

  /** Payload → PCM at the wire rate, in scratch space for G.711/L16 (read it before the next decode). */
  private decode(payload: Uint8Array): Int16Array {
    const { encoding } = this.format;
    if (encoding === 'audio/opus') return this.decoder.decode(payload);
    const samples = encoding === 'audio/x-l16' ? l16SampleCount(payload.length) : payload.length;
    const decoded = this.decoded.take(samples);
    if (encoding === 'audio/x-mulaw') decodeMulawInto(payload, decoded);
    else if (encoding === 'audio/x-alaw') decodeAlawInto(payload, decoded);
    else decodeL16Into(payload, decoded);
    return decoded;
  }

  /** `pcm` (audio at the wire rate) → a pooled frame at the handler's rate, or undefined while the resampler fills. */
  private toFrame(pcm: Int16Array): AudioFrame | undefined {
    const length = this.resampler ? this.resampler.outputLength(pcm.length) : pcm.length;
    if (length === 0) {
      this.resampler?.processInto(pcm, EMPTY_PCM);
      return undefined;
    }
    const frame = this.frames.acquire(length, this.streamMs);
    if (this.resampler) this.resampler.processInto(pcm, frame.samples);
    else frame.samples.set(pcm);
    return frame;
  }

  /**
   * How late the audio the last `pull` released is, ms: held up by a stall of the gateway, the sender
   * or the network, or held back while the sender seemed ahead (a sender running ahead is paced by the
   * playhead, so what it releases is on time by definition). The handler's reply to it may catch up on
   * that much (docs/architecture.md, "Timing rules").
   */
  releasedLateMs = 0;

  /** True while a whole frame of audio waits to be played out (the session stays on the clock). */
  get isActive(): boolean {
    return this.playout.buffer.bufferedMs + this.playout.pendingMs >= this.frameMs;
  }

  /**
   * Throws a WavegateError when the payload cannot be of this format (empty, half a sample, bad TOC).
   * `media.payload` is only read during the call (what is kept is copied).
   */
  push(media: { payload: Uint8Array; seq: number | undefined; timestamp: number | undefined }, now: number): void {
    const durationMs = payloadDurationMs(this.format, media.payload);
    if (this.lossless) {
      // Every frame as sent, in arrival order: decoded, resampled, nothing concealed or dropped.
      const frame = this.toFrame(this.decode(media.payload));
      if (frame !== undefined) this.ready.push(frame);
      this.streamMs += durationMs;
      return;
    }
    // A gap the sender may catch up on is the same spurt, late (a stall: SenderPace); a longer one starts a new spurt.
    if (this.lastArrival === -Infinity) this.pace.restart(now, this.openedAt);
    else if (now - this.lastArrival > this.pace.maxCatchUpMs) this.pace.restart(now);
    this.lastArrival = now;
    this.pace.onPacket(now, durationMs);
    const packet = this.packet;
    packet.payload = this.payloads.copy(media.payload);
    packet.seq = media.seq;
    packet.timestamp = media.timestamp;
    packet.durationMs = durationMs;
    if (this.playout.push(packet, now) !== 'accepted') this.payloads.release(packet.payload);
  }

  /**
   * Frames due for the handler. While the sender is not ahead of real time, a packet's arrival releases
   * all buffered whole frames, so a smooth or jittery stream goes straight through without waiting for
   * the clock. A sender running ahead is paced by the playhead: an arrival releases audio up to half a
   * frame early, the clock releases buffered packets once the playhead is a whole frame late. Only whole
   * frames of buffered audio are pulled: nothing is made up for a buffer that ran dry. A stream that
   * stops gets no invented tail, and audio delayed by a stall is released at once when it arrives rather
   * than replaced. Losses the buffer can see (a gap in sequence numbers or timestamps, with later
   * packets buffered) are concealed.
   */
  pull(now: number, cause: 'arrival' | 'tick'): readonly AudioFrame[] {
    const frames = this.out;
    // pop, not `length = 0`: setting the length is a call into V8's runtime (seen in perf), pop is inlined.
    while (frames.length > 0) frames.pop();
    if (this.lossless) {
      for (const frame of this.ready) frames.push(frame);
      this.ready.length = 0;
      return frames;
    }
    const slack = cause === 'arrival' ? this.frameMs / 2 : -this.frameMs;
    this.releasedLateMs = 0;
    if (!this.isActive) return frames;
    // After a pause longer than the buffer would conceal, this is a new talk spurt: start afresh.
    if (this.playhead === undefined || this.playhead < now - this.playout.buffer.options.maxUnderrunMs) this.playhead = now;
    // A sender that is not ahead of real time has everything it sent released as it arrives, whatever
    // the phase of its packets against the playhead (anchored on a first packet that came late, every
    // later one would land just before it and wait a whole frame). The playhead paces the rest.
    const ahead = this.pace.ahead(now);
    const onTime = cause === 'arrival' && !ahead;
    // How late the oldest audio held is, before any is released (see releasedLateMs).
    if (!ahead) this.releasedLateMs = this.pace.lateMs(now, this.playout.buffer.bufferedMs + this.playout.pendingMs);
    // A full buffer releases its surplus at once rather than drop the earliest packet at the next push:
    // a burst after an event-loop stall longer than the buffer (64 packets) is audio delayed, not extra.
    while ((onTime || this.playhead <= now + slack || this.playout.buffer.bufferedPackets >= this.playout.buffer.options.capacity) && this.isActive) {
      // At the wire rate the handler's frame is the played frame: pulled straight into a pooled one.
      const direct = this.resampler === undefined ? this.frames.acquire(this.frameSamples, this.streamMs) : undefined;
      const target = direct?.samples ?? this.wireView.take(this.frameSamples);
      if (!this.playout.pullInto(now, target)) {
        if (direct !== undefined) this.frames.release(direct);
        this.playhead = undefined;
        break;
      }
      this.playhead += this.frameMs;
      const frame = direct ?? this.toFrame(target);
      if (frame !== undefined) frames.push(frame);
      this.streamMs += this.frameMs;
    }
    if (onTime && this.playhead !== undefined) this.playhead = now + this.frameMs;
    return frames;
  }

  stats(): JitterBufferStats {
    return this.playout.stats();
  }

  close(): void {
    this.decoder.close();
  }
}

/** Scratch shared by every input pipeline (shared-scratch.ts): decoder output, and the played frame at the wire rate before resampling. */
const DECODED = new ScratchArea();
const WIRE_FRAME = new ScratchArea();
const EMPTY_PCM = new Int16Array(0);

/** −50 dBFS: quiet enough that dropping 20 ms of it to cut latency cannot remove speech. */
const SILENCE_RMS = 32768 * 10 ** (-50 / 20);

/**
 * Whether a packet may be dropped by time-stretching. PCM codecs are stateless, so the packet is
 * decoded and measured; Opus state must not be disturbed, so only its tiny (DTX/silence) packets qualify.
 */
function isNearSilent(format: MediaFormat, decode: (payload: Uint8Array) => Int16Array, payload: Uint8Array): boolean {
  if (format.encoding === 'audio/opus') return payload.byteLength <= 8;
  const pcm = decode(payload);
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, pcm.length)) < SILENCE_RMS;
}
