import type { DspBlock, FrameProcessor } from './dsp-block.js';
import { checkOption, inRange } from './option-check.js';

export type BiquadKind = 'highpass' | 'lowpass';

interface Coefficients {
  b0: number;
  b1: number;
  b2: number;
  a1: number;
  a2: number;
}

/** RBJ Audio EQ Cookbook high-/low-pass, normalised by a0. */
function design(kind: BiquadKind, cutoffHz: number, q: number, sampleRate: number): Coefficients {
  const w0 = (2 * Math.PI * cutoffHz) / sampleRate;
  const cos = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  const b1 = kind === 'highpass' ? -(1 + cos) : 1 - cos;
  const b0 = kind === 'highpass' ? (1 + cos) / 2 : (1 - cos) / 2;
  return { b0: b0 / a0, b1: b1 / a0, b2: b0 / a0, a1: (-2 * cos) / a0, a2: (1 - alpha) / a0 };
}

/**
 * Second-order high- or low-pass filter (transposed direct form II), one state pair per channel.
 * Coefficients are recomputed when the rate or channel count of the stream changes; a cutoff at or
 * above Nyquist for the current rate makes the filter pass audio through unchanged.
 */
export function biquad(kind: BiquadKind, cutoffHz: number, q = Math.SQRT1_2): FrameProcessor {
  checkOption(inRange(cutoffHz, 10, 24_000), kind, cutoffHz, 'a cutoff in Hz from 10 to 24000');
  checkOption(inRange(q, 0.1, 20), `${kind} q`, q, 'a number from 0.1 to 20');
  let rate = 0;
  let coeffs: Coefficients | undefined;
  let z1 = new Float64Array(1);
  let z2 = new Float64Array(1);
  return {
    name: kind,
    process(block: DspBlock): DspBlock {
      const { samples, sampleRate, channels } = block;
      if (sampleRate !== rate || z1.length !== channels) {
        rate = sampleRate;
        coeffs = cutoffHz < sampleRate / 2 ? design(kind, cutoffHz, q, sampleRate) : undefined;
        z1 = new Float64Array(channels);
        z2 = new Float64Array(channels);
      }
      if (!coeffs) return block;
      const { b0, b1, b2, a1, a2 } = coeffs;
      for (let c = 0; c < channels; c++) {
        let s1 = z1[c]!;
        let s2 = z2[c]!;
        for (let i = c; i < samples.length; i += channels) {
          const x = samples[i]!;
          const y = b0 * x + s1;
          s1 = b1 * x - a1 * y + s2;
          s2 = b2 * x - a2 * y;
          samples[i] = y;
        }
        z1[c] = s1;
        z2[c] = s2;
      }
      return block;
    },
    reset() {
      z1.fill(0);
      z2.fill(0);
    },
  };
}

export const highPass = (cutoffHz: number, q?: number): FrameProcessor => biquad('highpass', cutoffHz, q);
export const lowPass = (cutoffHz: number, q?: number): FrameProcessor => biquad('lowpass', cutoffHz, q);
