import { DelayHistogram } from './delay-histogram.js';

/**
 * Estimates how much arrival jitter a stream has, the NetEQ way: each packet's one-way delay
 * (arrival time − sender time, up to an unknown clock offset) is compared with the smallest delay
 * seen in a recent window (2 s by default); that "relative delay" goes into a histogram with
 * forgetting, and the jitter buffer sizes itself to a high quantile (95th percentile) of it.
 * Also tracks the RFC 3550 interarrival jitter (the `jitter` webrtc-stat). Pure: time is passed in.
 *
 * Allocates nothing per packet: the sliding-minimum window is a monotonic deque kept in two ring
 * buffers of numbers (arrival, delay). They start small (a 2 s window of 20 ms packets needs 100
 * entries at most) and double when full, up to MAX_WINDOW_ENTRIES.
 */
export interface ArrivalDelayEstimatorOptions {
  /** How far back the reference (smallest) delay is searched, ms. */
  windowMs: number;
  bucketMs: number;
  buckets: number;
  forgetFactor: number;
  startWeight: number;
}

/** Most entries kept in the sliding-minimum window, whatever the packet rate (a power of two). */
const MAX_WINDOW_ENTRIES = 4096;
const FIRST_CAPACITY = 128;

export class ArrivalDelayEstimator {
  readonly #windowMs: number;
  readonly #histogram: DelayHistogram;
  /**
   * Monotonic deque of (arrival, delay): delays increase from front to back, so the front is the
   * window's minimum. Entry i (0 = front) is at (#front + i) & #mask.
   */
  #arrival = new Float64Array(FIRST_CAPACITY);
  #delay = new Float64Array(FIRST_CAPACITY);
  #mask = FIRST_CAPACITY - 1;
  #front = 0;
  #size = 0;
  #hasLast = false;
  #lastArrivalMs = 0;
  #lastSenderMs = 0;
  #rfcJitterMs = 0;

  constructor(options: ArrivalDelayEstimatorOptions) {
    this.#windowMs = options.windowMs;
    this.#histogram = new DelayHistogram(options);
  }

  /** Records one packet; returns its relative delay (ms, ≥ 0). */
  add(senderMs: number, arrivalMs: number): number {
    const delayMs = arrivalMs - senderMs;
    // Later packets with a smaller delay make the back entries useless as minimums.
    while (this.#size > 0 && this.#delay[(this.#front + this.#size - 1) & this.#mask]! >= delayMs) this.#size--;
    if (this.#size === this.#mask + 1) {
      if (this.#size < MAX_WINDOW_ENTRIES) {
        this.#grow();
      } else {
        this.#front = (this.#front + 1) & this.#mask;
        this.#size--;
      }
    }
    const arrival = this.#arrival;
    const delay = this.#delay;
    const mask = this.#mask;
    const back = (this.#front + this.#size) & mask;
    arrival[back] = arrivalMs;
    delay[back] = delayMs;
    this.#size++;
    // Entries older than the window go, but the newest always stays.
    while (this.#size > 1 && arrival[this.#front]! < arrivalMs - this.#windowMs) {
      this.#front = (this.#front + 1) & mask;
      this.#size--;
    }
    const relativeMs = delayMs - delay[this.#front]!;
    this.#histogram.add(relativeMs);

    if (this.#hasLast) {
      const d = arrivalMs - this.#lastArrivalMs - (senderMs - this.#lastSenderMs);
      this.#rfcJitterMs += (Math.abs(d) - this.#rfcJitterMs) / 16;
    }
    this.#hasLast = true;
    this.#lastArrivalMs = arrivalMs;
    this.#lastSenderMs = senderMs;
    return relativeMs;
  }

  /** Doubles the deque's capacity, entries moved to the front in order. */
  #grow(): void {
    const capacity = 2 * (this.#mask + 1);
    const arrival = new Float64Array(capacity);
    const delay = new Float64Array(capacity);
    for (let i = 0; i < this.#size; i++) {
      const at = (this.#front + i) & this.#mask;
      arrival[i] = this.#arrival[at]!;
      delay[i] = this.#delay[at]!;
    }
    this.#arrival = arrival;
    this.#delay = delay;
    this.#mask = capacity - 1;
    this.#front = 0;
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
    this.#front = 0;
    this.#size = 0;
    this.#hasLast = false;
    this.#rfcJitterMs = 0;
    this.#histogram.reset();
  }
}
