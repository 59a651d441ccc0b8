import type { KernelName } from './fir-kernel.js';

/**
 * The filtering core behind a StreamingResampler (streaming-resampler.ts), which keeps the stream's
 * counters, the flush and the public API. Two engines (docs/resampler.md): the polyphase engine (any
 * rational ratio, every tier's fallback) and the integer-ratio engine (1:F and F:1, live and telephone
 * tiers). Both keep the same timing contract: output m is emitted once the input reaches
 * m·in/out + delayFrames, the signal itself time-aligned.
 */
export interface ResampleEngine {
  readonly kernel: KernelName;
  /** Multiply-adds per output frame (per channel). */
  readonly taps: number;
  /** Input frames the streaming output lags behind. */
  readonly delayFrames: number;
  /** Frames the next feed of `frames` input frames produces (exact, given the current state). */
  outputLength(frames: number): number;
  /**
   * Takes `frames` frames of `input` from frame `from` (interleaved channels), writes at most `limit`
   * output frames into `output` from frame `at`; returns the frames written.
   */
  feed(input: Int16Array | Float32Array, from: number, frames: number, output: Int16Array | Float32Array, at: number, limit: number): number;
  /** A fresh stream: zeros before time 0. */
  reset(): void;
}

/** Input frames an engine takes per inner step: bounds its memory whatever the size of one call. */
export const BLOCK_FRAMES = 4096;
