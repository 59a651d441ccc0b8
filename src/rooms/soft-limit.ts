/**
 * The mix's limiter (docs/rooms.md, "Mixing rules"): linear up to the knee, then a tanh curve that
 * approaches but never reaches full scale, so a sum of loud voices is compressed, never clipped and
 * never wraps. Stateless: the same sample always maps to the same output, and below the knee the
 * mix is exact (what N−1 correctness relies on).
 */
export const LIMIT_KNEE = 24_576; // −2.5 dBFS
const HEADROOM = 32_767 - LIMIT_KNEE;

export function softLimit(x: number): number {
  const a = x < 0 ? -x : x;
  if (a <= LIMIT_KNEE) return Math.round(x);
  // tanh < 1, so the result stays below 32767 whatever the sum (floor keeps it an int16 inside the range).
  const y = Math.min(32_766, Math.floor(LIMIT_KNEE + HEADROOM * Math.tanh((a - LIMIT_KNEE) / HEADROOM)));
  return x < 0 ? -y : y;
}

/** `mix[i]` (float sums) → `out[i]`, soft-limited. */
export function softLimitInto(mix: Float64Array, out: Int16Array, n = out.length): void {
  for (let i = 0; i < n; i++) {
    const x = mix[i]!;
    out[i] = x <= LIMIT_KNEE && x >= -LIMIT_KNEE ? Math.round(x) : softLimit(x);
  }
}

/** `(mix[i] − gain·own[i])` → `out[i]`, soft-limited: the N−1 mix of the member whose frame is `own`. */
export function softLimitMinusInto(mix: Float64Array, own: Int16Array, gain: number, out: Int16Array, n = out.length): void {
  for (let i = 0; i < n; i++) {
    const x = mix[i]! - gain * own[i]!;
    out[i] = x <= LIMIT_KNEE && x >= -LIMIT_KNEE ? Math.round(x) : softLimit(x);
  }
}
