/**
 * Round-trip times in fixed 0.1 ms bins up to 2 s (plus one overflow bin): merging the histograms of
 * several workers is a sum, and percentiles come out exact to the bin width. Pure, no clock.
 */
export const BIN_MS = 0.1;
export const MAX_MS = 2000;
const BINS = Math.round(MAX_MS / BIN_MS) + 1; // last bin = overflow

export interface HistogramSnapshot {
  /** Counts per bin; sparse (bin index → count) so it crosses postMessage cheaply. */
  readonly bins: Record<number, number>;
  readonly count: number;
  readonly sumMs: number;
  readonly maxMs: number;
}

export class LatencyHistogram {
  private counts = new Uint32Array(BINS);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  record(ms: number): void {
    const value = ms < 0 ? 0 : ms;
    const bin = Math.min(BINS - 1, Math.floor(value / BIN_MS));
    this.counts[bin]!++;
    this.count++;
    this.sumMs += value;
    if (value > this.maxMs) this.maxMs = value;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }

  snapshot(): HistogramSnapshot {
    const bins: Record<number, number> = {};
    for (let i = 0; i < BINS; i++) if (this.counts[i] !== 0) bins[i] = this.counts[i]!;
    return { bins, count: this.count, sumMs: this.sumMs, maxMs: this.maxMs };
  }

  add(snapshot: HistogramSnapshot): void {
    for (const [bin, n] of Object.entries(snapshot.bins)) this.counts[Number(bin)]! += n;
    this.count += snapshot.count;
    this.sumMs += snapshot.sumMs;
    if (snapshot.maxMs > this.maxMs) this.maxMs = snapshot.maxMs;
  }

  /** The upper edge of the bin holding the p-th percentile (0 < p ≤ 100), ms; NaN when empty. */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.ceil((p / 100) * this.count);
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return i === BINS - 1 ? this.maxMs : Math.min(this.maxMs, (i + 1) * BIN_MS);
    }
    return this.maxMs;
  }

  /** How many recorded values exceed `ms`, to the bin width. */
  countAbove(ms: number): number {
    const first = Math.floor(ms / BIN_MS);
    let n = 0;
    for (let i = Math.max(0, first); i < BINS; i++) n += this.counts[i]!;
    return n;
  }

  mean(): number {
    return this.count === 0 ? Number.NaN : this.sumMs / this.count;
  }
}
