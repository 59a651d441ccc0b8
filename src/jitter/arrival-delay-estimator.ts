import { DelayHistogram } from './delay-histogram.js';

/**
 * Estimates how much arrival jitter a stream has, the NetEQ way: each packet's one-way delay
 * (arrival time − sender time, up to an unknown clock offset) is compared with the smallest delay
 * seen in a recent window (2 s by default); that "relative delay" goes into a histogram with
 * forgetting, and the jitter buffer sizes itself to a high quantile (95th percentile) of it.
 * Also tracks the RFC 3550 interarrival jitter (the `jitter` webrtc-stat). Pure: time is passed in.
 */
export interface ArrivalDelayEstimatorOptions {
  /** How far back the reference (smallest) delay is searched, ms. */
  windowMs: number;
  bucketMs: number;
  buckets: number;
  forgetFactor: number;
  startWeight: number;
}

interface DelaySample {
  readonly arrivalMs: number;
  readonly delayMs: number;
}

/** Most entries kept in the sliding-minimum window, whatever the packet rate. */
const MAX_WINDOW_ENTRIES = 4096;

export class ArrivalDelayEstimator {
  readonly #windowMs: number;
  readonly #histogram: DelayHistogram;
  /** Monotonic deque: delays increase from front to back, so the front is the window's minimum. */
  #window: DelaySample[] = [];
  #last: { arrivalMs: number; senderMs: number } | undefined;
  #rfcJitterMs = 0;

  constructor(options: ArrivalDelayEstimatorOptions) {
    this.#windowMs = options.windowMs;
    this.#histogram = new DelayHistogram(options);
  }

  /** Records one packet; returns its relative delay (ms, ≥ 0). */
  add(senderMs: number, arrivalMs: number): number {
    const delayMs = arrivalMs - senderMs;
    const w = this.#window;
    while (w.length > 0 && w[w.length - 1]!.delayMs >= delayMs) w.pop();
    w.push({ arrivalMs, delayMs });
    let drop = 0;
    while (drop < w.length - 1 && (w[drop]!.arrivalMs < arrivalMs - this.#windowMs || w.length - drop > MAX_WINDOW_ENTRIES)) drop++;
    if (drop > 0) this.#window = w.slice(drop);
    const relativeMs = delayMs - this.#window[0]!.delayMs;
    this.#histogram.add(relativeMs);

    if (this.#last !== undefined) {
      const d = arrivalMs - this.#last.arrivalMs - (senderMs - this.#last.senderMs);
      this.#rfcJitterMs += (Math.abs(d) - this.#rfcJitterMs) / 16;
    }
    this.#last = { arrivalMs, senderMs };
    return relativeMs;
  }

  /** The relative delay (ms, bucket lower edge) below which fraction `q` of recent packets arrived. */
  quantileMs(q: number): number {
    return this.#histogram.quantileMs(q);
  }

  /** RFC 3550 §A.8 interarrival jitter, ms. */
  get jitterMs(): number {
    return this.#rfcJitterMs;
  }

  get count(): number {
    return this.#histogram.count;
  }

  /** Forget everything (a new stream starts). */
  reset(): void {
    this.#window = [];
    this.#last = undefined;
    this.#rfcJitterMs = 0;
    this.#histogram.reset();
  }
}
