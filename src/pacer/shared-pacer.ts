import { FrameClock } from './frame-clock.js';

/**
 * Something paced by the shared clock; `onTick` returns false once it has nothing left to do.
 * `onSchedule` is false for a tick that ran half a period or more after its deadline: the event loop
 * was busy, and its timers run before it reads sockets, so what arrived meanwhile has not been read
 * yet. Nothing may be concluded on such a tick from what has not arrived.
 */
export interface Paced {
  onTick(now: number, onSchedule: boolean): boolean;
}

/**
 * One timer for every session (docs/architecture.md, "Timing rules"). Sessions join when they have queued work and leave by
 * returning false from `onTick`; with no members the timer stops, so silent sessions cost nothing.
 * The timer is re-armed for the next deadline of a drift-free `FrameClock`, never `setInterval`.
 */
export class SharedPacer {
  private readonly members = new Set<Paced>();
  private readonly clock: FrameClock;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  /** Ticks whose deadline had already passed by more than one period (event loop was busy). */
  skippedTicks = 0;
  ticks = 0;

  constructor(periodMs: number, now: () => number = () => performance.now()) {
    this.now = now;
    this.clock = new FrameClock(periodMs, now());
  }

  get size(): number {
    return this.members.size;
  }

  join(member: Paced): void {
    this.members.add(member);
    if (this.timer === undefined && !this.ticking) {
      this.clock.restart(this.now());
      this.arm();
    }
  }

  leave(member: Paced): void {
    this.members.delete(member);
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.members.clear();
  }

  private arm(): void {
    const delay = Math.max(0, this.clock.nextDeadline() - this.now());
    this.timer = setTimeout(this.tick, delay);
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const now = this.now();
    const deadline = this.clock.nextDeadline();
    const elapsed = this.clock.advance(now);
    if (elapsed === 0) {
      this.arm();
      return;
    }
    this.ticks++;
    if (elapsed > 1) this.skippedTicks += elapsed - 1;
    const onSchedule = now - deadline < this.clock.periodMs / 2;
    this.ticking = true;
    for (const member of this.members) {
      let keep = false;
      try {
        keep = member.onTick(now, onSchedule);
      } catch (err) {
        console.error('wavegate: paced member failed', err);
      }
      if (!keep) this.members.delete(member);
    }
    this.ticking = false;
    if (this.members.size > 0) this.arm();
  };
}
