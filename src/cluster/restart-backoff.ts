/**
 * Delay before a dead worker is replaced (docs/scale-out.md#workers): 100 ms doubling for every worker of
 * the slot that died young (within `stableMs` of its start), up to `maxMs`; a worker that lived longer
 * resets it. Pure: `now` is passed in.
 */
export class RestartBackoff {
  private failures = 0;

  constructor(
    private readonly baseMs = 100,
    private readonly maxMs = 10_000,
    private readonly stableMs = 10_000,
  ) {}

  /** A worker started at `startedAt` died at `now`: how long to wait before the next one. */
  next(startedAt: number, now: number): number {
    this.failures = now - startedAt >= this.stableMs ? 0 : this.failures + 1;
    return Math.min(this.maxMs, this.baseMs * 2 ** Math.max(0, this.failures - 1));
  }
}
