import { mixToMono } from '../audio/mix-to-mono.js';
import type { AudioFrame } from '../audio/audio-frame.js';
import { StreamingResampler } from '../resample/streaming-resampler.js';
import { concatSamples } from '../audio/concat-samples.js';

/**
 * One side of a recording (the caller's input or the gateway's output) placed on the session's
 * timeline at the recording rate. Pure apart from the resampler's own state: frames in, PCM out.
 *
 * - A frame whose timestamp lies ahead of the track's end by more than `gapToleranceMs` is preceded
 *   by silence up to that timestamp (a pause in the output, lost input); the silence is capped at
 *   `maxGapMs` per gap. A frame at or behind the end is appended as is (nothing received is dropped;
 *   its lateness is counted). Gaps are measured at the frame's own rate, before resampling, so the
 *   resampler's delay never looks like a gap.
 * - `padTo(ms)` adds silence so the track reaches `ms` (used to keep a silent side in step).
 * - Frames at another rate than the recording's go through a streaming resampler; stereo frames are
 *   mixed down to mono.
 */

export interface RecordingTrackOptions {
  /** Rate of the recording (output of this track). */
  readonly sampleRate: number;
  readonly gapToleranceMs: number;
  readonly maxGapMs: number;
}

export interface RecordingTrackCounters {
  /** Samples received, per channel, at their own rate. */
  receivedSamples: number;
  /** Silence added at the track's input rate (gaps and padTo). */
  paddedSamples: number;
  /** Samples of frames that arrived behind the track's end (appended, not dropped). */
  lateSamples: number;
  /** Gaps longer than maxGapMs (the silence was capped). */
  cappedGaps: number;
}

export class RecordingTrack {
  readonly counters: RecordingTrackCounters = { receivedSamples: 0, paddedSamples: 0, lateSamples: 0, cappedGaps: 0 };
  private readonly options: RecordingTrackOptions;
  private inputRate: number;
  private resampler: StreamingResampler | undefined;
  /** Samples placed so far at `inputRate` (the track's end on its own clock). */
  private placed = 0;
  /** Milliseconds already placed at earlier input rates (a rate change starts a new segment). */
  private segmentStartMs = 0;

  constructor(options: RecordingTrackOptions) {
    this.options = options;
    this.inputRate = options.sampleRate;
  }

  /** Where the track ends on the session timeline, in ms. */
  get endMs(): number {
    return this.segmentStartMs + (this.placed * 1000) / this.inputRate;
  }

  push(frame: AudioFrame): Int16Array {
    const mono = mixToMono(frame.samples, frame.channels);
    const parts: Int16Array[] = [];
    if (frame.sampleRate !== this.inputRate) parts.push(this.switchRate(frame.sampleRate));
    this.counters.receivedSamples += mono.length;
    const gapMs = frame.timestamp - this.endMs;
    if (gapMs > this.options.gapToleranceMs) {
      if (gapMs > this.options.maxGapMs) this.counters.cappedGaps++;
      parts.push(this.silence(Math.round((Math.min(gapMs, this.options.maxGapMs) * this.inputRate) / 1000)));
    } else if (gapMs < -this.options.gapToleranceMs) {
      this.counters.lateSamples += mono.length;
    }
    this.placed += mono.length;
    parts.push(this.convert(mono));
    return concat(parts);
  }

  /** Silence until the track reaches `ms` on the session timeline (nothing when it is there already). */
  padTo(ms: number): Int16Array {
    const missing = Math.floor(((ms - this.endMs) * this.inputRate) / 1000);
    return missing > 0 ? this.silence(missing) : new Int16Array(0);
  }

  /** The resampler's last samples (end of the recording). */
  flush(): Int16Array {
    return this.resampler?.flush() ?? new Int16Array(0);
  }

  private silence(samples: number): Int16Array {
    this.counters.paddedSamples += samples;
    this.placed += samples;
    return this.convert(new Int16Array(samples));
  }

  private convert(samples: Int16Array): Int16Array {
    return this.resampler === undefined ? samples : this.resampler.process(samples);
  }

  private switchRate(rate: number): Int16Array {
    const tail = this.flush();
    this.segmentStartMs = this.endMs;
    this.placed = 0;
    this.inputRate = rate;
    this.resampler = rate === this.options.sampleRate ? undefined : new StreamingResampler(rate, this.options.sampleRate);
    return tail;
  }
}

function concat(parts: Int16Array[]): Int16Array {
  return parts.length === 1 ? parts[0]! : concatSamples(parts); // one part: no copy needed
}
