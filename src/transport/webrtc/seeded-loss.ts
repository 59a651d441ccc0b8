/**
 * Fault injection for tests and benchmarks (`webrtcInboundLossPercent`, docs/webrtc.md#fault-injection):
 * decides, packet by packet, whether to drop it, from a seeded pseudo-random sequence (mulberry32), so a
 * run can be repeated exactly. Pure.
 */
export class SeededLoss {
  readonly #threshold: number;
  #state: number;
  dropped = 0;
  seen = 0;

  constructor(percent: number, seed: number) {
    this.#threshold = percent / 100;
    this.#state = seed >>> 0;
  }

  get enabled(): boolean {
    return this.#threshold > 0;
  }

  /** True when this packet is to be dropped. */
  drop(): boolean {
    this.seen++;
    if (this.#threshold <= 0) return false;
    const hit = this.#random() < this.#threshold;
    if (hit) this.dropped++;
    return hit;
  }

  #random(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}
