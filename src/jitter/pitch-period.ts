/**
 * Pitch period estimate for loss concealment: the lag (in samples) at which the most recent
 * `windowLength` samples best match the samples `lag` earlier, by normalized cross-correlation.
 * `signal` is mono; the search covers [minLag, maxLag] and needs windowLength + maxLag samples.
 * Long lags (high sample rates) are searched on a decimated copy first (≈ 20 samples for the
 * shortest lag), then refined at full resolution around the best one. Pure.
 */
export interface PitchEstimate {
  /** Best lag in samples. */
  readonly period: number;
  /** Its normalized correlation in [-1, 1]; near 1 for voiced, periodic audio. 0 for silence. */
  readonly correlation: number;
}

/** A shorter lag wins if its correlation is at least this share of the best one. */
const OCTAVE_TOLERANCE = 0.9;

export function estimatePitchPeriod(signal: Float32Array, minLag: number, maxLag: number, windowLength: number): PitchEstimate {
  const factor = Math.max(1, Math.floor(minLag / 20));
  if (factor === 1) return search(signal, minLag, maxLag, windowLength);
  // Box-filter decimation is a crude low-pass, enough to find the period's neighbourhood.
  const decimated = new Float32Array(Math.floor(signal.length / factor));
  const offset = signal.length - decimated.length * factor; // keep the newest samples aligned
  for (let i = 0; i < decimated.length; i++) {
    let sum = 0;
    for (let j = 0; j < factor; j++) sum += signal[offset + i * factor + j]!;
    decimated[i] = sum;
  }
  const coarse = search(decimated, Math.floor(minLag / factor), Math.ceil(maxLag / factor), Math.floor(windowLength / factor));
  if (coarse.correlation <= 0) return { period: coarse.period * factor, correlation: coarse.correlation };
  const center = coarse.period * factor;
  return search(signal, Math.max(minLag, center - factor), Math.min(maxLag, center + factor), windowLength);
}

function search(signal: Float32Array, minLag: number, maxLag: number, windowLength: number): PitchEstimate {
  const n = signal.length;
  const maxUsableLag = Math.min(maxLag, n - windowLength);
  if (maxUsableLag < minLag || windowLength <= 0) return { period: Math.max(1, minLag), correlation: 0 };
  const start = n - windowLength;
  let energyRecent = 0;
  for (let i = start; i < n; i++) energyRecent += signal[i]! * signal[i]!;
  if (energyRecent === 0) return { period: minLag, correlation: 0 };

  // Energy of the lagged window, updated incrementally as the lag grows.
  let energyLagged = 0;
  for (let i = start - minLag; i < n - minLag; i++) energyLagged += signal[i]! * signal[i]!;
  const correlations = new Float64Array(maxUsableLag - minLag + 1);
  let best = -Infinity;
  for (let lag = minLag; lag <= maxUsableLag; lag++) {
    if (lag > minLag) {
      const enter = signal[start - lag]!;
      const leave = signal[n - lag]!;
      energyLagged += enter * enter - leave * leave;
    }
    let cross = 0;
    for (let i = start; i < n; i++) cross += signal[i]! * signal[i - lag]!;
    const c = cross / Math.sqrt(energyRecent * Math.max(energyLagged, 1e-9));
    correlations[lag - minLag] = c;
    best = Math.max(best, c);
  }
  // Periodic audio matches at every multiple of its period: take the shortest lag that is a local
  // peak nearly as good as the best, not a multiple that happens to score a hair higher.
  for (let k = 0; k < correlations.length; k++) {
    const c = correlations[k]!;
    const peak = (k === 0 || c >= correlations[k - 1]!) && (k === correlations.length - 1 || c >= correlations[k + 1]!);
    if (peak && c >= OCTAVE_TOLERANCE * best) return { period: minLag + k, correlation: c };
  }
  return { period: minLag, correlation: best };
}
