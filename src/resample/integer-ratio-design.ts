import { besselI0, kaiserBeta, type FilterSpec } from './kaiser-design.js';

/**
 * Filters of the live and telephone tiers for integer ratios, 1:F or F:1 (docs/resampler.md).
 *
 * One linear-phase lowpass h[t], t = −c … c, at the higher rate: a Kaiser-windowed sinc with its cutoff
 * exactly at the lower Nyquist (fs_high / 2F) and its transition band centred there, from `passband` ×
 * the lower Nyquist to (2 − passband) × it. For F = 2 this is a halfband filter: every tap at an even
 * t ≠ 0 is zero, so only about half are computed. For any F the taps at multiples of F (but 0) are zero
 * (a Nyquist filter), which makes one branch trivial: decimation takes stream 0 at the centre tap only,
 * and interpolation passes the input samples through unchanged on output phase 0.
 *
 * Against the `high` tier (transition ending at the lower Nyquist) the transition is twice as wide, so
 * the filter is about half as long; what folds back (decimation) or images (interpolation) from within
 * (1 … 2 − passband) × the lower Nyquist lands above the passband edge, never inside the passband.
 * Kaiser's formulas as in kaiser-design.ts (J. F. Kaiser 1974; Oppenheim & Schafer §7.5.3).
 *
 * Polyphase form. Decimation by M: with streams x_p[j] = x[Mj + p],
 *   y[m] = Σ_p Σ_i g_p[i] · x_p[m + q_p + i],   g_p[i] = h[M(q_p + i) + p],
 * and interpolation by L, for output phase p (output Lm + p):
 *   y[Lm + p] = Σ_i g_p[i] · x[m + q_p + i],    g_p[i] = L · h[L(q_p + i) − p],
 * where each branch keeps only the span between its first and last non-zero tap.
 */
export interface IntegerBranch {
  /** Offset (in samples of its stream, or of the input) of the branch's first tap. */
  readonly first: number;
  readonly coefficients: Float32Array;
}

export interface IntegerRatioFilter {
  readonly mode: 'decimate' | 'interpolate';
  /** M (decimation) or L (interpolation). */
  readonly factor: number;
  /** Half-length c of h at the higher rate (h has 2c + 1 taps). */
  readonly half: number;
  /** h[t + c], t = −c … c, in float64 as designed (before the float32 branches are cut out). */
  readonly impulse: Float64Array;
  /** M streams (decimation) or L output phases (interpolation). */
  readonly branches: readonly IntegerBranch[];
  readonly beta: number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/** Half-length c for factor F: Kaiser's length estimate over the centred transition; odd for F = 2. */
export function halfLengthFor(factor: number, spec: FilterSpec): number {
  const transition = (1 - spec.passband) / factor; // cycles per high-rate sample: 2(1 − passband) × 1/(2F)
  const length = (spec.stopbandDb - 7.95) / (14.36 * transition) + 1;
  let half = Math.max(1, Math.ceil((length - 1) / 2));
  if (factor === 2 && half % 2 === 0) half++; // a halfband's outermost taps sit at odd t
  return half;
}

export function designIntegerRatio(mode: 'decimate' | 'interpolate', factor: number, spec: FilterSpec): IntegerRatioFilter {
  if (!Number.isInteger(factor) || factor < 2) throw new RangeError(`integer ratio factor must be an integer ≥ 2, got ${String(factor)}`);
  const c = halfLengthFor(factor, spec);
  const beta = kaiserBeta(spec.stopbandDb);
  const i0Beta = besselI0(beta);
  const h = new Float64Array(2 * c + 1);
  for (let t = -c; t <= c; t++) {
    if (t !== 0 && t % factor === 0) continue; // exact zeros of sinc(t / F)
    const u = t / (c + 1);
    h[t + c] = (sinc(t / factor) / factor) * (besselI0(beta * Math.sqrt(1 - u * u)) / i0Beta);
  }
  const branches: IntegerBranch[] = [];
  if (mode === 'decimate') {
    let total = 0;
    for (const v of h) total += v;
    for (let i = 0; i < h.length; i++) h[i]! /= total; // unity DC gain
    for (let p = 0; p < factor; p++) branches.push(branch(h, c, (q) => factor * q + p, 1));
  } else {
    for (let p = 0; p < factor; p++) branches.push(branch(h, c, (q) => factor * q - p, factor));
  }
  return { mode, factor, half: c, impulse: h, branches, beta };
}

/** The taps h[at(q)]·gain over the q whose at(q) is within ±c and non-zero, trimmed; each branch sums to 1 for interpolation. */
function branch(h: Float64Array, c: number, at: (q: number) => number, gain: number): IntegerBranch {
  const qs: number[] = [];
  for (let q = -c - 1; q <= c + 1; q++) {
    const t = at(q);
    if (t >= -c && t <= c && h[t + c] !== 0) qs.push(q);
  }
  const first = qs[0]!;
  const last = qs[qs.length - 1]!;
  const values = new Float64Array(last - first + 1);
  for (let q = first; q <= last; q++) {
    const t = at(q);
    values[q - first] = t >= -c && t <= c ? h[t + c]! * gain : 0;
  }
  if (gain !== 1) {
    // Interpolation: every output phase passes DC exactly (as each row of the high tier's table does).
    let sum = 0;
    for (const v of values) sum += v;
    for (let i = 0; i < values.length; i++) values[i]! /= sum;
  }
  return { first, coefficients: Float32Array.from(values) };
}
