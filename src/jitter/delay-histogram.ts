/**
 * A histogram of delays (ms) with exponential forgetting, NetEQ style: every new observation scales
 * all buckets by the forget factor and adds the remaining weight to its own bucket, so the mass
 * always sums to 1 and old observations fade away. The first observations get a larger weight
 * (the factor ramps up from 0 as `1 - startWeight / (n + 1)`) so the estimate converges quickly
 * instead of dragging a made-up prior around. Pure: no timers, no I/O.
 */
export interface DelayHistogramOptions {
  /** Width of one bucket in ms. */
  bucketMs: number;
  /** Number of buckets; larger delays land in the last one. */
  buckets: number;
  /** Per-observation forget factor in (0, 1): closer to 1 remembers longer. */
  forgetFactor: number;
  /** Early-observation weight (NetEQ uses 2): the factor is min(forgetFactor, 1 − startWeight/(n+1)). */
  startWeight: number;
}

export class DelayHistogram {
  readonly #options: DelayHistogramOptions;
  readonly #mass: Float64Array;
  #count = 0;

  constructor(options: DelayHistogramOptions) {
    this.#options = options;
    this.#mass = new Float64Array(options.buckets);
  }

  /** Observations added so far. */
  get count(): number {
    return this.#count;
  }

  add(delayMs: number): void {
    const { bucketMs, buckets, forgetFactor, startWeight } = this.#options;
    const factor = Math.max(0, Math.min(forgetFactor, 1 - startWeight / (this.#count + 1)));
    for (let i = 0; i < buckets; i++) this.#mass[i] = this.#mass[i]! * factor;
    const index = Math.min(buckets - 1, Math.max(0, Math.floor(delayMs / bucketMs)));
    this.#mass[index] = this.#mass[index]! + (1 - factor);
    this.#count++;
  }

  /**
   * Lower edge (ms) of the bucket holding quantile `q` of the mass: the smallest delay d such that at
   * least q of the (weighted) observations were below d + bucketMs. 0 before any observation.
   */
  quantileMs(q: number): number {
    if (this.#count === 0) return 0;
    let cumulative = 0;
    for (let i = 0; i < this.#mass.length; i++) {
      cumulative += this.#mass[i]!;
      // Tolerate float error in the running sum.
      if (cumulative >= q - 1e-9) return i * this.#options.bucketMs;
    }
    return (this.#mass.length - 1) * this.#options.bucketMs;
  }

  reset(): void {
    this.#mass.fill(0);
    this.#count = 0;
  }
}
