import { createAudioFrame, type AudioFrame } from '../audio/audio-frame.js';

/**
 * What DSP processors work on: interleaved float samples in [-1, 1] (values beyond are allowed
 * between processors; the chain clips once, at the end), with their rate and channel count.
 */
export interface DspBlock {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly channels: number;
}

/**
 * One per-frame processor. `process` may change `samples` in place and return the same block, or
 * return a new one. It keeps its own state (filter memory, envelopes) between frames; it holds no
 * timers and does no I/O. A processor that throws is bypassed for that frame by the chain.
 */
export interface FrameProcessor {
  readonly name: string;
  process(block: DspBlock): DspBlock;
  /** Forget filter memory and envelopes (after a failure, or a discontinuity in the stream). */
  reset?(): void;
}

const INT16_SCALE = 1 / 32768;

export function blockFromFrame(frame: AudioFrame): DspBlock {
  const samples = new Float32Array(frame.samples.length);
  for (let i = 0; i < samples.length; i++) samples[i] = frame.samples[i]! * INT16_SCALE;
  return { samples, sampleRate: frame.sampleRate, channels: frame.channels };
}

/** Back to PCM16, rounding and clipping to the int16 range. */
export function frameFromBlock(block: DspBlock, timestamp: number): AudioFrame {
  const out = new Int16Array(block.samples.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(block.samples[i]! * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return createAudioFrame(out, block.sampleRate, block.channels, timestamp);
}

export function dbToLinear(db: number): number {
  return Math.pow(10, db / 20);
}

/** Coefficient of a one-pole smoother reaching ~63% of a step in `ms` at `sampleRate`. */
export function timeConstant(ms: number, sampleRate: number): number {
  return ms <= 0 ? 0 : Math.exp(-1000 / (ms * sampleRate));
}
