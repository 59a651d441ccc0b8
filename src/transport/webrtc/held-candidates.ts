/**
 * ICE candidates posted before their offer (FastRTC's client posts them while the offer request is
 * still in flight), held until the offer comes: at most `perId` for one id, `maxIds` ids, each for
 * `holdMs` from its first candidate. Pure: time is passed in; the caller answers what expires.
 */
export interface HoldLimits {
  readonly perId: number;
  readonly maxIds: number;
  readonly holdMs: number;
}

export type HoldResult = 'held' | 'too_many_for_id' | 'too_many_ids';

export class HeldCandidates<T> {
  readonly limits: HoldLimits;
  readonly #byId = new Map<string, { since: number; items: T[] }>();

  constructor(limits: HoldLimits) {
    this.limits = limits;
  }

  get size(): number {
    return this.#byId.size;
  }

  hold(id: string, item: T, now: number): HoldResult {
    let entry = this.#byId.get(id);
    if (!entry) {
      if (this.#byId.size >= this.limits.maxIds) return 'too_many_ids';
      entry = { since: now, items: [] };
      this.#byId.set(id, entry);
    }
    if (entry.items.length >= this.limits.perId) return 'too_many_for_id';
    entry.items.push(item);
    return 'held';
  }

  /** Everything held for `id` (its offer has come), in arrival order. */
  take(id: string): T[] {
    const entry = this.#byId.get(id);
    this.#byId.delete(id);
    return entry?.items ?? [];
  }

  /** Removes and returns what has been held longer than `holdMs`. */
  expire(now: number): T[] {
    const out: T[] = [];
    for (const [id, entry] of this.#byId) {
      if (now - entry.since < this.limits.holdMs) continue;
      this.#byId.delete(id);
      out.push(...entry.items);
    }
    return out;
  }

  /** Removes and returns everything (server shutdown). */
  drain(): T[] {
    const out = [...this.#byId.values()].flatMap((e) => e.items);
    this.#byId.clear();
    return out;
  }

  /** When the oldest entry expires, or undefined when nothing is held. */
  nextExpiry(): number | undefined {
    let next: number | undefined;
    for (const entry of this.#byId.values()) next = Math.min(next ?? Infinity, entry.since + this.limits.holdMs);
    return next;
  }
}
