import { performance } from 'node:perf_hooks';
import type { GlibcMalloc } from './glibc-malloc.js';
import { DEFAULT_TRIM_POLICY, TrimPolicy, type TrimPolicySettings, type TrimReason } from './trim-policy.js';

/** What the trimmer did, for /metrics (src/memory/memory-trim-metrics.ts). */
export interface MemoryTrimStats {
  trims: Record<TrimReason, number>;
  /** RSS before − after, summed over the trims (a trim that released nothing adds 0). */
  releasedBytes: number;
  /** Time the event loop spent inside malloc_trim, summed, and the longest single trim. */
  trimSeconds: number;
  maxTrimSeconds: number;
  last: { reason: TrimReason; at: number; rssBefore: number; rssAfter: number; seconds: number } | undefined;
  /** The allocator's free bytes at the last check (mallinfo2), undefined when unknown. */
  freeBytes: number | undefined;
}

/** Open TCP sockets of the process (its HTTP, WebSocket and raw connections): the load figure. */
export function openTcpSockets(): number {
  let n = 0;
  for (const type of process.getActiveResourcesInfo()) if (type === 'TCPSocketWrap') n++;
  return n;
}

/**
 * Every `checkEveryMs`, reads the load and the allocator's free bytes, asks the policy
 * (src/memory/trim-policy.ts) and trims when it says so. One per process however many gateways run in
 * it (`acquire`/`release`: the timer runs while one is open, unref'd so it keeps no process alive).
 */
export class MemoryTrimmer {
  readonly stats: MemoryTrimStats = { trims: { 'load-fell': 0, quiet: 0, freed: 0 }, releasedBytes: 0, trimSeconds: 0, maxTrimSeconds: 0, last: undefined, freeBytes: undefined };
  private readonly policy: TrimPolicy;
  private timer: NodeJS.Timeout | undefined;
  private users = 0;

  constructor(
    private readonly malloc: GlibcMalloc,
    settings: TrimPolicySettings = DEFAULT_TRIM_POLICY,
    private readonly now: () => number = () => performance.now(),
    private readonly connections: () => number = openTcpSockets,
  ) {
    this.policy = new TrimPolicy(settings, now());
  }

  acquire(): void {
    if (this.users++ === 0) {
      this.timer = setInterval(() => this.check(), this.policy.settings.checkEveryMs);
      this.timer.unref();
    }
  }

  release(): void {
    if (this.users > 0 && --this.users === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One check: a trim when the policy asks for one. Returns the reason of the trim done, if any. */
  check(): TrimReason | undefined {
    const now = this.now();
    const connections = this.connections();
    const freeBytes = this.malloc.freeBytes();
    this.stats.freeBytes = freeBytes;
    const reason = this.policy.decide({ now, connections, freeBytes });
    if (reason === undefined) return undefined;
    this.trimNow(reason, now, connections);
    return reason;
  }

  private trimNow(reason: TrimReason, now: number, connections: number): void {
    const rssBefore = process.memoryUsage.rss();
    const t0 = performance.now();
    this.malloc.trim();
    const seconds = (performance.now() - t0) / 1000;
    const rssAfter = process.memoryUsage.rss();
    const released = Math.max(0, rssBefore - rssAfter);
    const s = this.stats;
    s.trims[reason]++;
    s.releasedBytes += released;
    s.trimSeconds += seconds;
    s.maxTrimSeconds = Math.max(s.maxTrimSeconds, seconds);
    s.last = { reason, at: Date.now(), rssBefore, rssAfter, seconds };
    this.policy.trimmed(now, released, this.malloc.freeBytes(), connections);
  }
}
