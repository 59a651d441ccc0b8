import { mixToMono } from '../audio/mix-to-mono.js';
import { ScratchArea, ScratchView } from '../audio/shared-scratch.js';
import type { AudioFrame } from '../audio/audio-frame.js';
import { samplesPerFrame } from '../audio/audio-frame.js';
import type { EncoderOptions, PayloadEncoder } from '../codecs/codec.js';
import { createEncoder } from '../codecs/codec-factory.js';
import type { MediaFormat } from '../codecs/media-format.js';
import { resamplerFor } from '../resample/resampler-tier.js';
import type { StreamingResampler } from '../resample/streaming-resampler.js';
import { OutputQueue, type DueKind, type OutputMark, type OutputQueueStats } from './output-queue.js';

export interface OutputPipelineOptions {
  frameMs: number;
  leadMs: number;
  capacity: number;
  /** Encoder settings (Opus: complexity, application, DTX, FEC; see docs/media.md). */
  encoder?: Omit<EncoderOptions, 'frameMs'>;
}

/** On-schedule ticks (and frames' time) without handler audio, with nothing queued, that end a talk spurt. */
const IDLE_FLUSH_TICKS = 2;

/**
 * Handler audio (any rate, any length) → resampled to the client's rate with per-source-rate state, into
 * scratch space → the paced, bounded output queue, which holds PCM frames → encoded when sent. In steady
 * state nothing here allocates per frame: the resampler writes into a reused buffer, the queue's frames
 * live in a ring, and G.711/L16 encode into a reused payload buffer (docs/media.md, "Output path").
 *
 * Sending is pull-style, so no per-frame object or callback is made: `next(now)` says what is due, then
 * `takeMark()`, `takeFrame()` (encoded; `lastPcm` is its PCM) or `dropFrame()` (unsent, never encoded).
 */
export class OutputPipeline {
  private readonly format: MediaFormat;
  private readonly encoder: PayloadEncoder;
  private readonly queue: OutputQueue;
  private readonly frameSamples: number;
  private resampler: { rate: number; stream: StreamingResampler; lead: Int16Array } | undefined;
  /** The resampler's output before it is queued: scratch shared by every output pipeline (shared-scratch.ts). */
  private readonly scratch = new ScratchView(RESAMPLED);
  /** G.711/L16 payloads are encoded into this (made at the first frame; Opus packets come from libopus). */
  private payload: Uint8Array | undefined;
  /** Or into this, when the sink copies the payload at once (takeFrame). */
  private readonly scratchPayload = new ScratchView(PAYLOAD);
  private pcm: Int16Array | undefined;
  /** Audio went into the resampler since its last flush (it holds back its filter delay). */
  private resamplerHolds = false;
  /** When, and how many on-schedule clock ticks ago, the handler last sent audio. */
  private lastAudioAt = -Infinity;
  private ticksSinceAudio = 0;
  private readonly idleFlushMs: number;

  constructor(format: MediaFormat, options: OutputPipelineOptions) {
    this.format = format;
    this.encoder = createEncoder(format, { ...options.encoder, frameMs: options.frameMs as 10 | 20 | 40 | 60 });
    this.frameSamples = this.encoder.frameSamples ?? samplesPerFrame(format.sampleRate, options.frameMs);
    this.queue = new OutputQueue({ frameMs: options.frameMs, leadMs: options.leadMs, capacity: options.capacity, frameSamples: this.frameSamples });
    this.idleFlushMs = IDLE_FLUSH_TICKS * options.frameMs;
  }

  /** Audio held back in the resampler or a partial frame, waiting for more. */
  get hasResidual(): boolean {
    return this.resamplerHolds || this.queue.partialSamples > 0;
  }

  get stats(): OutputQueueStats {
    return this.queue.stats;
  }

  get backlogMs(): number {
    return this.queue.backlogMs;
  }

  get isEmpty(): boolean {
    return this.queue.isEmpty;
  }

  /** `lateMs`: how late this audio is (a reply to input a stall held up; see OutputQueue.pushSamples). */
  pushAudio(frame: AudioFrame, now: number, lateMs = 0): void {
    // A new source rate: the old resampler's tail goes out first, then a fresh one takes over.
    if (this.resampler !== undefined && this.resampler.rate !== frame.sampleRate && this.resamplerHolds) {
      this.pushAll(this.resampler.stream.flush(), now);
      this.resamplerHolds = false;
    }
    this.lastAudioAt = now;
    this.ticksSinceAudio = 0;
    const samples = mixToMono(frame.samples, frame.channels);
    if (frame.sampleRate === this.format.sampleRate) {
      this.pushAll(samples, now, lateMs);
      return;
    }
    const resampler = this.resamplerFor(frame.sampleRate);
    // The filter holds back its delay; lead a spurt with that much silence instead, so every input
    // frame completes an output frame at once (else each waits for the next: +1 frame of latency).
    if (!this.resamplerHolds) this.pushAll(resampler.lead, now, lateMs);
    this.resamplerHolds = true;
    const out = this.scratch.take(resampler.stream.outputLength(samples.length));
    const n = resampler.stream.processInto(samples, out);
    this.queue.pushSamples(out, 0, n, now, lateMs);
  }

  pushMark(name: string, origin: 'client' | 'handler'): void {
    this.queue.pushMark(name, origin);
  }

  /** Talk spurts ended (each may add up to one frame: the filter lead and the padded last frame). */
  spurts = 0;

  /** Ends a talk spurt: the resampler's held-back tail and the partial last frame (padded) go out. */
  flush(now: number): void {
    this.spurts++;
    if (this.resampler && this.resamplerHolds) this.pushAll(this.resampler.stream.flush(), now);
    this.resamplerHolds = false;
    this.queue.flushPartial(now);
  }

  /**
   * Called on every clock tick. When everything queued has gone out and the handler has sent no audio
   * for two frames' time and two ticks, its talk spurt has ended: what is held back goes out. (A
   * producer running ahead of real time keeps the queue filled, so its chunks are never cut apart by
   * padding.) Time alone is not enough: the first tick after an event-loop stall runs before the socket
   * is read, so it would end a spurt that input received during the stall is about to continue; such a
   * late tick is not counted.
   */
  onTick(now: number, onSchedule: boolean): void {
    if (onSchedule) this.ticksSinceAudio++;
    const idle = this.ticksSinceAudio >= IDLE_FLUSH_TICKS && now - this.lastAudioAt >= this.idleFlushMs;
    if (idle && this.hasResidual && this.queue.isEmpty) this.flush(now);
  }

  /** What is due at `now`: 'mark', 'frame', or undefined. */
  next(now: number): DueKind {
    return this.queue.next(now);
  }

  takeMark(): OutputMark {
    return this.queue.takeMark();
  }

  /**
   * The due frame, encoded now. The payload is lent: G.711 and L16 reuse one buffer, so it is valid
   * until the next `takeFrame` unless `payloadKept()` is called (a socket still holds it). With
   * `scratch` (the sink copies it at once: SessionSink.copiesMedia) they encode into memory shared by
   * every output pipeline instead, still in cache from the previous session's frame, valid until any
   * pipeline's next `takeFrame(true)`.
   */
  takeFrame(scratch = false): Uint8Array {
    const pcm = this.queue.takeFrame();
    this.pcm = pcm;
    const bytes = this.encoder.payloadBytes(pcm.length);
    if (bytes === 0) return this.encoder.encodeInto(pcm, EMPTY);
    if (scratch) return this.encoder.encodeInto(pcm, this.scratchPayload.take(bytes));
    if (this.payload?.length !== bytes) this.payload = new Uint8Array(bytes);
    return this.encoder.encodeInto(pcm, this.payload);
  }

  /** The sink kept the last payload (its socket has not written it yet): the next frame gets a fresh buffer. */
  payloadKept(): void {
    this.payload = undefined;
  }

  /** PCM of the frame `takeFrame` last returned; valid until audio is next pushed (copy it to keep it). */
  get lastPcm(): Int16Array {
    if (this.pcm === undefined) throw new Error('OutputPipeline.lastPcm before any takeFrame()');
    return this.pcm;
  }

  /** The due frame leaves unsent and unencoded (the client is not reading). */
  dropFrame(): void {
    this.queue.takeFrame();
  }

  /** The far end's packet loss, percent (Opus spends in-band FEC on it; other codecs ignore it). */
  setRemoteLossPercent(percent: number): void {
    this.encoder.setPacketLossPercent?.(percent);
  }

  clear(): void {
    this.queue.clear();
    this.resampler?.stream.reset();
    this.resamplerHolds = false;
  }

  close(): void {
    this.encoder.close();
  }

  private pushAll(samples: Int16Array, now: number, lateMs = 0): void {
    this.queue.pushSamples(samples, 0, samples.length, now, lateMs);
  }

  private resamplerFor(rate: number): { rate: number; stream: StreamingResampler; lead: Int16Array } {
    if (this.resampler?.rate !== rate) {
      // The tier the client's codec calls for (docs/resampler.md, "Choosing a tier").
      const stream = resamplerFor(rate, this.format.sampleRate, this.format.encoding);
      this.resampler = { rate, stream, lead: new Int16Array(Math.round((stream.latencyMs * this.format.sampleRate) / 1000)) };
    }
    return this.resampler;
  }
}

const EMPTY = new Uint8Array(0);
const RESAMPLED = new ScratchArea();
/** Encoded G.711/L16 payloads for a sink that copies them at once (takeFrame). */
const PAYLOAD = new ScratchArea((length) => new Uint8Array(length));
