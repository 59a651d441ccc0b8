/**
 * Known-answer measurements of a sample-rate converter, used by the codec benchmark and the resampler
 * tests. A converter is any function from a whole Float32 signal at `inputRate` to the whole converted
 * signal at `outputRate` (time-aligned or not: a constant delay is fitted and reported).
 *
 * - Passband SNR: 12 tones spread over 3–80 % of the lower Nyquist (PASSBAND_TOP); the output is compared with the
 *   same tones computed exactly at the output instants (after fitting one delay for all tones, gain
 *   fixed at 1, so ripple, phase error, aliasing, imaging and rounding all count as noise).
 * - Stopband rejection, downsampling: single tones between the output Nyquist and the input Nyquist
 *   must vanish; rejection is input power over output power, worst tone.
 * - Image rejection, upsampling: a tone near the top of the passband; everything in the output except
 *   that tone (fitted) is images; rejection is tone power over the rest, worst tone.
 */
export type Converter = (input: Float32Array) => Float32Array;

export interface Tone {
  readonly frequency: number;
  readonly amplitude: number;
  readonly phase: number;
}

/** Samples of Σ a·sin(2πf(t − delay) + φ) at t = i/rate. */
export function synthesize(tones: readonly Tone[], rate: number, frames: number, delaySeconds = 0, from = 0): Float64Array {
  const out = new Float64Array(frames);
  for (const { frequency, amplitude, phase } of tones) {
    const w = (2 * Math.PI * frequency) / rate;
    const offset = phase - 2 * Math.PI * frequency * delaySeconds;
    for (let i = 0; i < frames; i++) out[i]! += amplitude * Math.sin(w * (i + from) + offset);
  }
  return out;
}

/** Highest test tone, as a fraction of the lower Nyquist. */
export const PASSBAND_TOP = 0.8;

/** The 12-tone test signal for a conversion (peak below 0.9 of full scale for PCM16 when scale = 32768). */
export function passbandTones(inputRate: number, outputRate: number, scale = 1, top = PASSBAND_TOP): Tone[] {
  const lowNyquist = Math.min(inputRate, outputRate) / 2;
  const tones: Tone[] = [];
  for (let k = 0; k < 12; k++) {
    // Slightly irregular spacing so no tone shares a period with another or with the frame length.
    const fraction = 0.03 + ((top - 0.03) * k) / 11;
    tones.push({ frequency: lowNyquist * fraction * (1 - 0.004 * (1 + Math.sin(k + 1)) / 2), amplitude: 0.07 * scale, phase: 0.7 * k * k });
  }
  return tones;
}

function residual(y: ArrayLike<number>, tones: readonly Tone[], rate: number, delay: number, from: number, to: number): { noise: number; signal: number } {
  const ref = synthesize(tones, rate, to - from, delay, from);
  let noise = 0;
  let signal = 0;
  for (let i = from; i < to; i++) {
    const r = ref[i - from]!;
    noise += (y[i]! - r) ** 2;
    signal += r * r;
  }
  return { noise, signal };
}

/** The delay (seconds) that best aligns `y` with `tones`: integer-lag search, then golden-section refinement. */
export function fitDelay(y: ArrayLike<number>, tones: readonly Tone[], rate: number, from: number, to: number, maxLag = 64): number {
  const shortTo = Math.min(to, from + 600);
  let bestLag = 0;
  let bestNoise = Infinity;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    const { noise } = residual(y, tones, rate, lag / rate, from, shortTo);
    if (noise < bestNoise) [bestNoise, bestLag] = [noise, lag];
  }
  let lo = (bestLag - 1) / rate;
  let hi = (bestLag + 1) / rate;
  const g = (Math.sqrt(5) - 1) / 2;
  let a = hi - g * (hi - lo);
  let b = lo + g * (hi - lo);
  let fa = residual(y, tones, rate, a, from, to).noise;
  let fb = residual(y, tones, rate, b, from, to).noise;
  for (let it = 0; it < 50; it++) {
    if (fa < fb) {
      hi = b; b = a; fb = fa; a = hi - g * (hi - lo); fa = residual(y, tones, rate, a, from, to).noise; // prettier-ignore
    } else {
      lo = a; a = b; fa = fb; b = lo + g * (hi - lo); fb = residual(y, tones, rate, b, from, to).noise; // prettier-ignore
    }
  }
  return (lo + hi) / 2;
}

const db = (ratio: number): number => 10 * Math.log10(ratio);

/** Steady-state window of an output: skips 15 % at each end (start-up and end transients). */
function window(frames: number): [number, number] {
  return [Math.round(frames * 0.15), Math.round(frames * 0.85)];
}

export interface SnrResult {
  readonly snrDb: number;
  /** Fitted delay in output samples (0 for a time-aligned converter). */
  readonly delaySamples: number;
}

/** Passband SNR on the 12-tone signal, one second long. */
export function passbandSnr(convert: Converter, inputRate: number, outputRate: number, scale = 1, top = PASSBAND_TOP): SnrResult {
  const tones = passbandTones(inputRate, outputRate, scale, top);
  const y = convert(Float32Array.from(synthesize(tones, inputRate, inputRate)));
  const [from, to] = window(Math.min(y.length, outputRate));
  const delay = fitDelay(y, tones, outputRate, from, to);
  const { noise, signal } = residual(y, tones, outputRate, delay, from, to);
  return { snrDb: db(signal / noise), delaySamples: delay * outputRate };
}

/** Amplitude and phase of the tone at `frequency` in y[from..to), by least squares on sin/cos. */
export function toneAmplitude(y: ArrayLike<number>, rate: number, frequency: number, from: number, to: number): number {
  let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0; // prettier-ignore
  const w = (2 * Math.PI * frequency) / rate;
  for (let i = from; i < to; i++) {
    const s = Math.sin(w * i);
    const c = Math.cos(w * i);
    ss += s * s; cc += c * c; sc += s * c; ys += y[i]! * s; yc += y[i]! * c; // prettier-ignore
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  return Math.hypot(a, b);
}

/** Power of y[from..to) left after removing the best-fitting tone at `frequency`. */
function powerWithoutTone(y: ArrayLike<number>, rate: number, frequency: number, from: number, to: number): { tone: number; rest: number } {
  let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0; // prettier-ignore
  const w = (2 * Math.PI * frequency) / rate;
  for (let i = from; i < to; i++) {
    const s = Math.sin(w * i);
    const c = Math.cos(w * i);
    ss += s * s; cc += c * c; sc += s * c; ys += y[i]! * s; yc += y[i]! * c; // prettier-ignore
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  let rest = 0;
  for (let i = from; i < to; i++) rest += (y[i]! - a * Math.sin(w * i) - b * Math.cos(w * i)) ** 2;
  return { tone: ((a * a + b * b) / 2) * (to - from), rest };
}

/**
 * Frequencies probed for stopband (downsampling) or image (upsampling) rejection. Downsampling probes
 * run from `stopbandStart` × the lower Nyquist (1: the Nyquist itself; the live and telephone tiers'
 * stopbands start at (2 − passband) × it, docs/resampler.md) to the input Nyquist.
 */
export function rejectionProbeFrequencies(inputRate: number, outputRate: number, stopbandStart = 1): number[] {
  const lowNyquist = Math.min(inputRate, outputRate) / 2;
  if (inputRate > outputRate) {
    const highNyquist = inputRate / 2;
    const start = lowNyquist * stopbandStart;
    return Array.from({ length: 8 }, (_, j) => start + (highNyquist - start) * (0.01 + (0.98 * j) / 7));
  }
  return [0.5, 0.65, PASSBAND_TOP].map((f) => f * lowNyquist);
}

/**
 * Worst-case rejection in dB over the probe tones (each 0.5 s, amplitude `amplitude`): for downsampling
 * input power over output power; for upsampling tone power over everything else in the output.
 */
export function rejection(convert: Converter, inputRate: number, outputRate: number, amplitude = 0.5, stopbandStart = 1): number {
  let worst = Infinity;
  for (const frequency of rejectionProbeFrequencies(inputRate, outputRate, stopbandStart)) {
    const x = Float32Array.from(synthesize([{ frequency, amplitude, phase: 0.3 }], inputRate, inputRate / 2));
    const y = convert(x);
    const [from, to] = window(Math.min(y.length, outputRate / 2));
    let r: number;
    if (inputRate > outputRate) {
      let p = 0;
      for (let i = from; i < to; i++) p += y[i]! ** 2;
      r = db(((amplitude * amplitude) / 2) * (to - from) / Math.max(p, 1e-300));
    } else {
      const { tone, rest } = powerWithoutTone(y, outputRate, frequency, from, to);
      r = db(tone / Math.max(rest, 1e-300));
    }
    worst = Math.min(worst, r);
  }
  return worst;
}
