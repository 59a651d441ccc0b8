import { emptyJitterBufferStats, type JitterBufferStats } from '../jitter/jitter-stats.js';
import { emptyCounters, type SessionCounters } from '../session/session-stats.js';

/**
 * Everything `GET /metrics` exports about sessions, taken once per scrape. Counters are cumulative
 * over the process: the open sessions' counters plus the totals of the sessions already closed.
 */
export interface MetricsSnapshot {
  readonly sessionsOpen: number;
  readonly sessionsOpened: number;
  /** Sessions refused at admission, by reason (concurrency_limit, duplicate_id). */
  readonly sessionsRefused: Readonly<Record<string, number>>;
  /** Closed sessions by close reason. */
  readonly sessionsClosed: Readonly<Record<string, number>>;
  readonly counters: Readonly<SessionCounters>;
  /** Jitter-buffer counters summed over sessions (webrtc-stats names); gauges summed over open sessions. */
  readonly jitter: Readonly<JitterBufferStats>;
  /** Shared pacer: ticks run, and ticks whose deadline had passed by over one period (busy event loop). */
  readonly pacerTicks: number;
  readonly pacerSkippedTicks: number;
}

/** Where the metrics component gets its numbers from (the session host), read at scrape time only. */
export interface MetricsSource {
  metricsSnapshot(): MetricsSnapshot;
}

export function emptySnapshot(): MetricsSnapshot {
  return {
    sessionsOpen: 0,
    sessionsOpened: 0,
    sessionsRefused: {},
    sessionsClosed: {},
    counters: emptyCounters(),
    jitter: emptyJitterBufferStats(),
    pacerTicks: 0,
    pacerSkippedTicks: 0,
  };
}

/** Adds every numeric field of `from` into `into` (same keys). */
export function addInto<T extends object>(into: T, from: Readonly<T>): T {
  const target = into as Record<string, number>;
  for (const [key, value] of Object.entries(from)) {
    if (typeof value === 'number' && Number.isFinite(value)) target[key] = (target[key] ?? 0) + value;
  }
  return into;
}
