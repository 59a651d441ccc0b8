import { mixToMono } from '../audio/mix-to-mono.js';
import type { AudioFrame } from '../audio/audio-frame.js';
import { samplesPerFrame } from '../audio/audio-frame.js';
import { FrameSplitter } from '../audio/frame-splitter.js';
import { allocSamples } from '../audio/sample-pool.js';
import type { PayloadEncoder } from '../codecs/codec.js';
import { createEncoder } from '../codecs/codec-factory.js';
import type { MediaFormat } from '../codecs/media-format.js';
import { resamplerFor } from '../resample/resampler-tier.js';
import type { StreamingResampler } from '../resample/streaming-resampler.js';
import { OutputQueue, type OutputItem, type OutputQueueStats } from './output-queue.js';

export interface OutputPipelineOptions {
  frameMs: number;
  leadMs: number;
  capacity: number;
  /** Keep each frame's PCM beside its payload (for recording taps). */
  keepPcm: boolean;
}

/** On-schedule ticks (and frames' time) without handler audio, with nothing queued, that end a talk spurt. */
const IDLE_FLUSH_TICKS = 2;

/**
 * Handler audio (any rate, any length) → resampled to the client's rate with per-source-rate state →
 * cut into frames → encoded → the paced, bounded output queue.
 */
export class OutputPipeline {
  private readonly format: MediaFormat;
  private readonly encoder: PayloadEncoder;
  private readonly splitter: FrameSplitter;
  private readonly queue: OutputQueue;
  private readonly keepPcm: boolean;
  private resampler: { rate: number; stream: StreamingResampler } | undefined;
  /** Audio went into the resampler since its last flush (it holds back its filter delay). */
  private resamplerHolds = false;
  /** When, and how many on-schedule clock ticks ago, the handler last sent audio. */
  private lastAudioAt = -Infinity;
  private ticksSinceAudio = 0;
  private readonly idleFlushMs: number;

  constructor(format: MediaFormat, options: OutputPipelineOptions) {
    this.format = format;
    this.encoder = createEncoder(format, { frameMs: options.frameMs as 10 | 20 | 40 | 60 });
    this.splitter = new FrameSplitter(this.encoder.frameSamples ?? samplesPerFrame(format.sampleRate, options.frameMs));
    this.queue = new OutputQueue({ frameMs: options.frameMs, leadMs: options.leadMs, capacity: options.capacity });
    this.keepPcm = options.keepPcm;
    this.idleFlushMs = IDLE_FLUSH_TICKS * options.frameMs;
  }

  /** Audio held back in the resampler or a partial frame, waiting for more. */
  get hasResidual(): boolean {
    return this.resamplerHolds || this.splitter.buffered > 0;
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

  pushAudio(frame: AudioFrame, now: number): void {
    // A new source rate: the old resampler's tail goes out first, then a fresh one takes over.
    if (this.resampler !== undefined && this.resampler.rate !== frame.sampleRate && this.resamplerHolds) {
      for (const pcm of this.splitter.push(this.resampler.stream.flush())) this.enqueue(pcm, now);
      this.resamplerHolds = false;
    }
    this.lastAudioAt = now;
    this.ticksSinceAudio = 0;
    const samples = mixToMono(frame.samples, frame.channels);
    for (const pcm of this.splitter.push(this.resample(samples, frame.sampleRate))) this.enqueue(pcm, now);
  }

  pushMark(name: string, origin: 'client' | 'handler'): void {
    this.queue.pushMark(name, origin);
  }

  /** Talk spurts ended (each may add up to one frame: the filter lead and the padded last frame). */
  spurts = 0;

  /** Ends a talk spurt: the resampler's held-back tail and the partial last frame (padded) go out. */
  flush(now: number): void {
    this.spurts++;
    if (this.resampler && this.resamplerHolds) {
      for (const pcm of this.splitter.push(this.resampler.stream.flush())) this.enqueue(pcm, now);
    }
    this.resamplerHolds = false;
    const tail = this.splitter.flush();
    if (tail) this.enqueue(tail, now);
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

  due(now: number): OutputItem[] {
    return this.queue.due(now);
  }

  clear(): void {
    this.queue.clear();
    this.splitter.reset();
    this.resampler?.stream.reset();
    this.resamplerHolds = false;
  }

  close(): void {
    this.encoder.close();
  }

  private enqueue(pcm: Int16Array, now: number): void {
    this.queue.pushFrame(this.encoder.encode(pcm), this.keepPcm ? pcm : undefined, now);
  }

  private resample(samples: Int16Array, rate: number): Int16Array {
    if (rate === this.format.sampleRate) return samples;
    if (this.resampler?.rate !== rate) this.resampler = { rate, stream: resamplerFor(rate, this.format.sampleRate, this.format.encoding) };
    const { stream } = this.resampler;
    // The filter holds back its delay; lead a spurt with that much silence instead, so every input
    // frame completes an output frame at once (else each waits for the next: +1 frame of latency).
    const lead = this.resamplerHolds ? 0 : Math.round((stream.latencyMs * this.format.sampleRate) / 1000);
    this.resamplerHolds = true;
    // Internal arrays (they go to the splitter and encoder only), so they come from the sample pool.
    const out = allocSamples(lead + stream.outputLength(samples.length));
    stream.processInto(samples, out.subarray(lead));
    return out;
  }
}
