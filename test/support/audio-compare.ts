/** Normalised correlation of `a` and `b` over their overlap when `b` is delayed by `lag` samples. */
export function correlationAt(a: ArrayLike<number>, b: ArrayLike<number>, lag: number, step = 1): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  const n = Math.min(a.length, b.length - lag);
  for (let i = 0; i < n; i += step) {
    const x = a[i]!;
    const y = b[i + lag]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Finds the delay of `b` relative to `a` (0…maxLag samples) with the highest correlation: coarse, then fine. */
export function align(a: ArrayLike<number>, b: ArrayLike<number>, maxLag: number): { lag: number; correlation: number } {
  const coarse = 8;
  let best = { lag: 0, correlation: -Infinity };
  for (let lag = 0; lag <= maxLag; lag += coarse) {
    const c = correlationAt(a, b, lag, 4);
    if (c > best.correlation) best = { lag, correlation: c };
  }
  const around = best.lag;
  best = { lag: 0, correlation: -Infinity };
  for (let lag = Math.max(0, around - 2 * coarse); lag <= Math.min(maxLag, around + 2 * coarse); lag++) {
    const c = correlationAt(a, b, lag);
    if (c > best.correlation) best = { lag, correlation: c };
  }
  return best;
}

export function rms(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / Math.max(1, x.length));
}

/**
 * Correlation after piecewise alignment: each `windowSamples` window of `a` is matched against `b`
 * at its own best lag, searched from `maxShift` before to 2·`maxShift` after the previous window's lag
 * (a jitter buffer inserts concealment or deceleration while the machine is busy, pushing later audio
 * back; it removes only near-silence). This measures fidelity, not timing. Returns the energy-weighted
 * mean correlation and the lags used.
 */
export function piecewiseCorrelation(a: Int16Array, b: Int16Array, windowSamples: number, maxShift: number, initialMaxLag: number): { correlation: number; lags: number[] } {
  let lag = align(a.subarray(0, Math.min(a.length, windowSamples * 4)), b, initialMaxLag).lag;
  let weighted = 0;
  let energy = 0;
  const lags: number[] = [];
  for (let start = 0; start + windowSamples <= a.length; start += windowSamples) {
    const segment = a.subarray(start, start + windowSamples);
    let best = { lag, correlation: -Infinity };
    for (let l = Math.max(-start, lag - maxShift); l <= lag + 2 * maxShift; l += 4) {
      if (start + l + windowSamples > b.length) break;
      const c = correlationAt(segment, b.subarray(start + l), 0, 2);
      if (c > best.correlation) best = { lag: l, correlation: c };
    }
    if (best.correlation === -Infinity) break;
    for (let l = best.lag - 3; l <= best.lag + 3; l++) {
      if (start + l < 0 || start + l + windowSamples > b.length) continue;
      const c = correlationAt(segment, b.subarray(start + l), 0, 1);
      if (c > best.correlation) best = { lag: l, correlation: c };
    }
    lag = best.lag;
    lags.push(lag);
    const e = rms(segment) ** 2;
    weighted += best.correlation * e;
    energy += e;
  }
  return { correlation: energy === 0 ? 0 : weighted / energy, lags };
}
