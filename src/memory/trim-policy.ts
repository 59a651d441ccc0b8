/**
 * When to hand the allocator's free memory back to the OS (docs/security.md, "Where the RSS goes"): the
 * pure decision, fed a reading every `checkEveryMs` and told what each trim released. No clock, no
 * timer, no native call here: `now` comes in with each reading.
 *
 * A trim is worth its cost (it walks the heap and returns free pages; the next use faults them back in)
 * when the load that grew the heap has gone and free memory is there to give back:
 * - `load-fell`: open connections are at most `fallRatio` of their peak since the last trim;
 * - `quiet`: connections fell, then stayed as they were for `quietMs` — once per quiet spell;
 * - `freed`: connections have not risen for `quietMs` and the allocator's free bytes grew `minFreeBytes`
 *   over what they were after the last trim (or at the first reading): garbage collected after the load
 *   went, Buffers' memory back in malloc.
 * Each needs the allocator to hold at least `minFreeBytes` free (when it can tell), and trims are
 * `minIntervalMs` apart at least; a trim that released less than `smallReleaseBytes` doubles that
 * interval (up to `maxIntervalMs`), one that released more resets it.
 */
export interface TrimPolicySettings {
  readonly checkEveryMs: number;
  readonly minIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly quietMs: number;
  readonly fallRatio: number;
  /** A peak below this many connections is no load worth trimming after. */
  readonly minPeak: number;
  readonly minFreeBytes: number;
  readonly smallReleaseBytes: number;
}

export const DEFAULT_TRIM_POLICY: TrimPolicySettings = {
  checkEveryMs: 1000,
  minIntervalMs: 10_000,
  maxIntervalMs: 300_000,
  quietMs: 10_000,
  fallRatio: 0.5,
  minPeak: 8,
  minFreeBytes: 8 * 2 ** 20,
  smallReleaseBytes: 2 * 2 ** 20,
};

export interface TrimReading {
  readonly now: number;
  /** Open TCP connections of the process. */
  readonly connections: number;
  /** Bytes free inside the allocator's arenas (glibc mallinfo2 `fordblks`); undefined when unknown. */
  readonly freeBytes: number | undefined;
}

export type TrimReason = 'load-fell' | 'quiet' | 'freed';

export class TrimPolicy {
  private peak = 0;
  private lastConnections = 0;
  private lastRiseAt: number;
  private lastFallAt = -Infinity;
  private lastTrimAt = -Infinity;
  private intervalMs: number;
  private freeAfterTrim: number | undefined;

  constructor(
    readonly settings: TrimPolicySettings = DEFAULT_TRIM_POLICY,
    startedAt = 0,
  ) {
    this.lastRiseAt = startedAt;
    this.intervalMs = settings.minIntervalMs;
  }

  /** The current spacing between trims (grows while trims release little). */
  get currentIntervalMs(): number {
    return this.intervalMs;
  }

  /** A reading: the reason to trim now, or undefined to wait. */
  decide(r: TrimReading): TrimReason | undefined {
    const s = this.settings;
    if (r.connections > this.lastConnections) this.lastRiseAt = r.now;
    else if (r.connections < this.lastConnections) this.lastFallAt = r.now;
    this.lastConnections = r.connections;
    this.peak = Math.max(this.peak, r.connections);
    this.freeAfterTrim ??= r.freeBytes;
    if (r.now - this.lastTrimAt < this.intervalMs) return undefined;
    if (r.freeBytes !== undefined && r.freeBytes < s.minFreeBytes) return undefined;
    if (this.peak >= s.minPeak && r.connections <= this.peak * s.fallRatio) return 'load-fell';
    // Once per quiet spell after a fall (a steady load is no quiet): no trim yet since it began.
    const quietSince = Math.max(this.lastRiseAt, this.lastFallAt) + s.quietMs;
    if (this.lastFallAt >= this.lastRiseAt && r.now >= quietSince && this.lastTrimAt < quietSince) return 'quiet';
    const notRising = r.now >= this.lastRiseAt + s.quietMs;
    if (notRising && r.freeBytes !== undefined && this.freeAfterTrim !== undefined && r.freeBytes >= this.freeAfterTrim + s.minFreeBytes) return 'freed';
    return undefined;
  }

  /** After a trim at `now`: what it released (RSS before − after) and the free bytes then. */
  trimmed(now: number, releasedBytes: number, freeBytesAfter: number | undefined, connections: number): void {
    const s = this.settings;
    this.lastTrimAt = now;
    this.peak = connections;
    this.freeAfterTrim = freeBytesAfter;
    this.intervalMs = releasedBytes < s.smallReleaseBytes ? Math.min(s.maxIntervalMs, this.intervalMs * 2) : s.minIntervalMs;
  }
}
