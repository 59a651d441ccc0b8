/**
 * Pitch period estimate for loss concealment: the lag (in samples) at which the most recent
 * `windowLength` samples best match the samples `lag` earlier, by normalized cross-correlation.
 * `signal` is mono; the search covers [minLag, maxLag] and needs windowLength + maxLag samples.
 * Pure.
 */
export interface PitchEstimate {
  /** Best lag in samples. */
  readonly period: number;
  /** Its normalized correlation in [-1, 1]; near 1 for voiced, periodic audio. 0 for silence. */
  readonly correlation: number;
}

export function estimatePitchPeriod(signal: Float32Array, minLag: number, maxLag: number, windowLength: number): PitchEstimate {
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
  let best = { period: minLag, correlation: -Infinity };
  for (let lag = minLag; lag <= maxUsableLag; lag++) {
    if (lag > minLag) {
      const enter = signal[start - lag]!;
      const leave = signal[n - lag]!;
      energyLagged += enter * enter - leave * leave;
    }
    let cross = 0;
    for (let i = start; i < n; i++) cross += signal[i]! * signal[i - lag]!;
    const denom = Math.sqrt(energyRecent * Math.max(energyLagged, 1e-9));
    const correlation = cross / denom;
    if (correlation > best.correlation) best = { period: lag, correlation };
  }
  return best;
}
