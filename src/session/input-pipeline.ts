import type { AudioFrame } from '../audio/audio-frame.js';
import type { PayloadDecoder } from '../codecs/codec.js';
import { createDecoder } from '../codecs/codec-factory.js';
import type { MediaFormat } from '../codecs/media-format.js';
import { payloadDurationMs } from '../codecs/payload-duration.js';
import { AudioPlayout } from '../jitter/audio-playout.js';
import type { JitterBufferStats } from '../jitter/jitter-stats.js';
import { resamplerFor } from '../resample/resampler-tier.js';
import type { StreamingResampler } from '../resample/streaming-resampler.js';

/**
 * Client media → jitter buffer (encoded payloads, so Opus conceals with its own PLC/FEC) → decoded
 * or concealed frames → resampled to the handler's rate (stateful) → frames for the handler. Audio is
 * released as it arrives while the sender keeps to real time; a sender running ahead is paced by a
 * playhead, one frame per `frameMs` of real time (ticks the event loop skipped are caught up).
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
  /** The talk spurt so far: when its first packet arrived, the latest arrival, and the audio received. */
  private spurtStart = 0;
  private lastArrival = -Infinity;
  private spurtAudioMs = 0;

  private readonly lossless: boolean;
  /** Lossless timing: decoded frames waiting for the next pull. */
  private ready: AudioFrame[] = [];

  constructor(format: MediaFormat, handlerRate: number, frameMs: number, timing: 'realtime' | 'lossless' = 'realtime') {
    this.lossless = timing === 'lossless';
    this.format = format;
    this.handlerRate = handlerRate;
    this.frameMs = frameMs;
    const decoder = createDecoder(format);
    this.decoder = decoder;
    this.playout = new AudioPlayout<Uint8Array>({
      sampleRate: format.sampleRate,
      frameMs,
      decode: (payload) => decoder.decode(payload),
      canAccelerate: (payload) => isNearSilent(format, decoder, payload),
      // Audio leaves as it arrives (see pull), so there is no playout schedule for inserted depth to protect.
      jitter: { decelerate: false },
      ...(decoder.conceal && { conceal: (samples: number, next: Uint8Array | undefined) => decoder.conceal!(samples, next) }),
    });
    this.resampler = handlerRate === format.sampleRate ? undefined : resamplerFor(format.sampleRate, handlerRate, format.encoding);
  }

  /** True while a whole frame of audio waits to be played out (the session stays on the clock). */
  get isActive(): boolean {
    return this.playout.buffer.bufferedMs + this.playout.pendingMs >= this.frameMs;
  }

  /** Throws a WavegateError when the payload cannot be of this format (empty, half a sample, bad TOC). */
  push(media: { payload: Uint8Array; seq: number | undefined; timestamp: number | undefined }, now: number): void {
    const durationMs = payloadDurationMs(this.format, media.payload);
    if (this.lossless) {
      // Every frame as sent, in arrival order: decoded, resampled, nothing concealed or dropped.
      const pcm = this.decoder.decode(media.payload);
      const samples = this.resampler ? this.resampler.process(pcm) : pcm;
      if (samples.length > 0) this.ready.push({ samples, sampleRate: this.handlerRate, channels: 1, timestamp: this.streamMs });
      this.streamMs += durationMs;
      return;
    }
    if (now - this.lastArrival > this.playout.buffer.options.maxUnderrunMs) {
      this.spurtStart = now;
      this.spurtAudioMs = 0;
    }
    this.lastArrival = now;
    this.spurtAudioMs += durationMs;
    this.playout.push({ payload: media.payload, seq: media.seq, timestamp: media.timestamp, durationMs }, now);
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
  pull(now: number, cause: 'arrival' | 'tick'): AudioFrame[] {
    if (this.lossless) {
      const frames = this.ready;
      this.ready = [];
      return frames;
    }
    const frames: AudioFrame[] = [];
    const slack = cause === 'arrival' ? this.frameMs / 2 : -this.frameMs;
    if (!this.isActive) return frames;
    // After a pause longer than the buffer would conceal, this is a new talk spurt: start afresh.
    if (this.playhead === undefined || this.playhead < now - this.playout.buffer.options.maxUnderrunMs) this.playhead = now;
    // A sender that is not ahead of real time has everything it sent released as it arrives, whatever
    // the phase of its packets against the playhead (anchored on a first packet that came late, every
    // later one would land just before it and wait a whole frame). The playhead paces the rest.
    const onTime = cause === 'arrival' && !this.senderAhead(now);
    while ((onTime || this.playhead <= now + slack) && this.isActive) {
      const pcm = this.playout.pull(now);
      if (pcm === undefined) {
        this.playhead = undefined;
        break;
      }
      this.playhead += this.frameMs;
      const samples = this.resampler ? this.resampler.process(pcm) : pcm;
      if (samples.length > 0) frames.push({ samples, sampleRate: this.handlerRate, channels: 1, timestamp: this.streamMs });
      this.streamMs += this.frameMs;
    }
    if (onTime && this.playhead !== undefined) this.playhead = now + this.frameMs;
    return frames;
  }

  /**
   * The sender has sent more audio this spurt than real time allows: more than the time since its first
   * packet, plus three frames and 0.5 % (a sender's clock may run a little fast) of leeway.
   */
  private senderAhead(now: number): boolean {
    const elapsed = now - this.spurtStart;
    return this.spurtAudioMs > elapsed + 3 * this.frameMs + elapsed / 200;
  }

  stats(): JitterBufferStats {
    return this.playout.stats();
  }

  close(): void {
    this.decoder.close();
  }
}

/** −50 dBFS: quiet enough that dropping 20 ms of it to cut latency cannot remove speech. */
const SILENCE_RMS = 32768 * 10 ** (-50 / 20);

/**
 * Whether a packet may be dropped by time-stretching. PCM codecs are stateless, so the packet is
 * decoded and measured; Opus state must not be disturbed, so only its tiny (DTX/silence) packets qualify.
 */
function isNearSilent(format: MediaFormat, decoder: PayloadDecoder, payload: Uint8Array): boolean {
  if (format.encoding === 'audio/opus') return payload.byteLength <= 8;
  const pcm = decoder.decode(payload);
  let sum = 0;
  for (let i = 0; i < pcm.length; i++) sum += pcm[i]! * pcm[i]!;
  return Math.sqrt(sum / Math.max(1, pcm.length)) < SILENCE_RMS;
}
