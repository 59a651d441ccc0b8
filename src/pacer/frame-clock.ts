/**
 * Pure schedule of one shared pacing clock: tick k is due at `start + k·periodMs`. Deadlines are
 * computed from the start, never by adding periods to "now", so timer lateness never accumulates
 * into drift; ticks missed while the process was busy are skipped, not replayed.
 */
export class FrameClock {
  readonly periodMs: number;
  private start: number;
  private k = 0;

  constructor(periodMs: number, now: number) {
    this.periodMs = periodMs;
    this.start = now;
  }

  /** When the next tick is due. */
  nextDeadline(): number {
    return this.start + (this.k + 1) * this.periodMs;
  }

  /** Marks the ticks due at `now` as done; returns how many elapsed (0 = early wake-up, >1 = ticks skipped). */
  advance(now: number): number {
    const due = Math.floor((now - this.start) / this.periodMs);
    const elapsed = Math.max(0, due - this.k);
    this.k = Math.max(this.k, due);
    return elapsed;
  }

  /** Restart the schedule at `now` (after the clock stood still with nothing to pace). */
  restart(now: number): void {
    this.start = now;
    this.k = 0;
  }
}
