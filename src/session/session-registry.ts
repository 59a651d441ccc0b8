import type { CloseReason } from '../handler/handler.js';
import { emptyJitterBufferStats, type JitterBufferStats } from '../jitter/jitter-stats.js';
import type { Session } from './session.js';
import { emptyCounters, type SessionCounters } from './session-stats.js';

export type Admission = { ok: true; release: () => void } | { ok: false; reason: 'limit' | 'duplicate' };

export interface RegistryCounters {
  opened: number;
  refused: number;
  duplicates: number;
  closed: Partial<Record<CloseReason, number>>;
}

/**
 * Open sessions by id. Admission (concurrency limit, duplicate ids) is decided here, before a
 * handler is created or started; a reservation holds the slot while the session is being built.
 */
export class SessionRegistry {
  readonly limit: number | null;
  readonly counters: RegistryCounters = { opened: 0, refused: 0, duplicates: 0, closed: {} };
  /**
   * Counters of the sessions already removed, summed at removal, so process-wide totals (GET /metrics)
   * survive the sessions they came from. Jitter-buffer gauges (bufferedMs, targetDelayMs…) are summed
   * too but mean nothing here; readers take only the counters.
   */
  readonly closedTotals = { counters: emptyCounters(), jitterBuffer: emptyJitterBufferStats() };
  private readonly sessions = new Map<string, Session>();
  private readonly reserved = new Set<string>();

  constructor(limit: number | null) {
    this.limit = limit;
  }

  get size(): number {
    return this.sessions.size + this.reserved.size;
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  all(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /** Reserves `id`; the caller must `add` the session or `release` the reservation. */
  admit(id: string): Admission {
    if (this.sessions.has(id) || this.reserved.has(id)) {
      this.counters.duplicates++;
      return { ok: false, reason: 'duplicate' };
    }
    if (this.limit !== null && this.size >= this.limit) {
      this.counters.refused++;
      return { ok: false, reason: 'limit' };
    }
    this.reserved.add(id);
    return { ok: true, release: () => this.reserved.delete(id) };
  }

  add(session: Session): void {
    this.reserved.delete(session.id);
    this.sessions.set(session.id, session);
    this.counters.opened++;
  }

  remove(session: Session): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    const reason = session.closeReason ?? 'socket_closed';
    this.counters.closed[reason] = (this.counters.closed[reason] ?? 0) + 1;
    const stats = session.stats();
    const { counters, jitterBuffer } = this.closedTotals;
    for (const key of Object.keys(counters) as Array<keyof SessionCounters>) counters[key] += stats[key];
    for (const key of Object.keys(jitterBuffer) as Array<keyof JitterBufferStats>) jitterBuffer[key] += stats.jitterBuffer[key];
  }

  /** Closes sessions over the time limit or idle too long (called once a second for all sessions). */
  sweep(now: number, limits: { timeLimitMs: number | null; idleTimeoutMs: number }): void {
    for (const session of this.sessions.values()) {
      if (limits.timeLimitMs !== null && now - session.startedAt >= limits.timeLimitMs) {
        void session.close('time_limit', { code: 'WG_ERR_TIME_LIMIT', message: `session time limit of ${limits.timeLimitMs / 1000} s reached` });
      } else if (now - session.lastActivity >= limits.idleTimeoutMs) {
        void session.close('idle_timeout', { code: 'WG_ERR_IDLE_TIMEOUT', message: `no message for ${limits.idleTimeoutMs / 1000} s` });
      }
    }
  }

  async closeAll(reason: CloseReason): Promise<void> {
    await Promise.allSettled([...this.sessions.values()].map((session) => session.close(reason)));
  }
}
