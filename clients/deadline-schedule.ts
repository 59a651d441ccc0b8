/**
 * A drift-free schedule: tick k is due at `start + k·periodMs`, whatever time the previous tick
 * actually ran. An adapter arms one timer for the next deadline, and when it wakes late it handles
 * every tick due since (so late wake-ups never accumulate into drift, and no tick is skipped). Pure.
 */
export class DeadlineSchedule {
  readonly startMs: number;
  readonly periodMs: number;

  constructor(startMs: number, periodMs: number) {
    if (!Number.isFinite(startMs)) throw new TypeError(`Expected \`startMs\` to be a finite number, got \`${String(startMs)}\``);
    if (!(Number.isFinite(periodMs) && periodMs > 0)) throw new TypeError(`Expected \`periodMs\` to be a number > 0, got \`${String(periodMs)}\``);
    this.startMs = startMs;
    this.periodMs = periodMs;
  }

  /** When tick `k` is due. */
  deadline(k: number): number {
    return this.startMs + k * this.periodMs;
  }

  /** The last tick due at or before `now` (−1 before the start). */
  dueThrough(now: number): number {
    return Math.floor((now - this.startMs) / this.periodMs + 1e-9);
  }

  /** Milliseconds from `now` until tick `k` is due (0 if it already is). */
  delayUntil(k: number, now: number): number {
    return Math.max(0, this.deadline(k) - now);
  }
}
