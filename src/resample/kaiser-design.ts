import type { ResampleRatio } from './resample-ratio.js';
import { DOT_LANES } from './simd-dot-wasm.js';

/**
 * Windowed-sinc polyphase filter design (Kaiser window), the textbook method: J. F. Kaiser, "Nonrecursive
 * digital filter design using the I0-sinh window function" (1974); the β and length formulas are the
 * ones in Oppenheim & Schafer, Discrete-Time Signal Processing, §7.5.3.
 *
 * The filter is laid out in input-sample units. Output sample m sits at input position t = m·down/up;
 * write t = n0 + p/up with n0 an integer and p the phase (0 ≤ p < up). The output is the sum of
 * `taps` inputs x[n0 - taps/2 + 1 … n0 + taps/2] weighted by row p of the table, where
 *   h(τ) = s · sinc(s·τ) · kaiser(τ / (taps/2)),   τ = t − n (distance from input n to the output time),
 *   s = cutoff / max(1, down/up)  (cutoff relative to the input Nyquist).
 * The cutoff sits halfway through the transition band, which runs from `passband` × the lower Nyquist
 * (flat within the stopband ripple) to exactly the lower Nyquist (attenuated by `stopbandDb`), so
 * nothing above the new Nyquist folds back. Each row is scaled to sum to exactly 1 (unity DC gain on
 * every phase, no phase-dependent DC ripple).
 */
export interface FilterSpec {
  /** Fraction of the lower Nyquist kept flat, e.g. 0.9 → 0–7.2 kHz for 48 k → 16 k. */
  readonly passband: number;
  /** Attenuation at and above the lower Nyquist, dB. */
  readonly stopbandDb: number;
}

export interface PolyphaseTable {
  /** Taps per phase, a multiple of 16 (the SIMD kernel takes 16 per step). */
  readonly taps: number;
  readonly phases: number;
  /** phases × taps coefficients, phase-major: row p starts at p·taps. */
  readonly coefficients: Float32Array;
  readonly beta: number;
}

/** Zeroth-order modified Bessel function of the first kind, by its power series (converges for all x). */
export function besselI0(x: number): number {
  const q = (x * x) / 4;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < 200 && term > sum * 1e-17; k++) {
    term *= q / (k * k);
    sum += term;
  }
  return sum;
}

/** Kaiser's β for a stopband attenuation of `a` dB. */
export function kaiserBeta(a: number): number {
  if (a > 50) return 0.1102 * (a - 8.7);
  if (a >= 21) return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21);
  return 0;
}

/** Taps per phase (at the input rate), rounded up to a multiple of DOT_LANES (16). */
export function tapsFor(ratio: ResampleRatio, spec: FilterSpec): number {
  const lowNyquist = Math.min(ratio.inputRate, ratio.outputRate) / 2;
  const transition = ((1 - spec.passband) * lowNyquist) / ratio.inputRate; // cycles per input sample
  const length = (spec.stopbandDb - 7.95) / (14.36 * transition); // Kaiser's length estimate
  return Math.max(DOT_LANES, Math.ceil(length / DOT_LANES) * DOT_LANES);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

export function designPolyphaseTable(ratio: ResampleRatio, spec: FilterSpec): PolyphaseTable {
  const taps = tapsFor(ratio, spec);
  const half = taps / 2;
  const phases = ratio.up;
  const beta = kaiserBeta(spec.stopbandDb);
  const i0Beta = besselI0(beta);
  const cutoff = (1 + spec.passband) / 2; // relative to the lower Nyquist
  const s = cutoff * Math.min(1, ratio.outputRate / ratio.inputRate);
  const coefficients = new Float32Array(phases * taps);
  const row = new Float64Array(taps);
  for (let p = 0; p < phases; p++) {
    let sum = 0;
    for (let k = 0; k < taps; k++) {
      const tau = p / phases + (half - 1 - k); // output time minus input time, in input samples
      const u = tau / half;
      const w = Math.abs(u) >= 1 ? 0 : besselI0(beta * Math.sqrt(1 - u * u)) / i0Beta;
      row[k] = s * sinc(s * tau) * w;
      sum += row[k]!;
    }
    for (let k = 0; k < taps; k++) coefficients[p * taps + k] = row[k]! / sum;
  }
  return { taps, phases, coefficients, beta };
}
