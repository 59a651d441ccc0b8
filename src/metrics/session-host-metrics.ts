import type { JitterBufferStats } from '../jitter/jitter-stats.js';
import type { SessionHost } from '../session/session-host.js';
import { emptyCounters, type SessionCounters } from '../session/session-stats.js';
import type { MetricsSnapshot, MetricsSource } from './metrics-snapshot.js';

/** Jitter-buffer fields that are gauges: summed over open sessions only, never carried from closed ones. */
const JITTER_GAUGES = new Set<keyof JitterBufferStats>(['targetDelayMs', 'bufferedMs', 'bufferedPackets', 'jitter']);

/**
 * Reads a SessionHost at scrape time: the registry's totals of closed sessions plus the live counters
 * of every open session (one `stats()` call each), the admission counters and the shared pacer's.
 */
export function sessionHostMetrics(host: SessionHost): MetricsSource {
  return {
    metricsSnapshot(): MetricsSnapshot {
      const { registry, pacer } = host;
      const closed = registry.closedTotals;
      const counters: SessionCounters = { ...closed.counters };
      const jitter: JitterBufferStats = { ...closed.jitterBuffer };
      for (const key of JITTER_GAUGES) jitter[key] = 0;
      const counterKeys = Object.keys(emptyCounters()) as Array<keyof SessionCounters>;
      const jitterKeys = Object.keys(jitter) as Array<keyof JitterBufferStats>;
      let open = 0;
      for (const session of registry.all()) {
        open++;
        const stats = session.stats();
        for (const key of counterKeys) counters[key] += stats[key];
        for (const key of jitterKeys) jitter[key] += stats.jitterBuffer[key];
      }
      return {
        sessionsOpen: open,
        sessionsOpened: registry.counters.opened,
        sessionsRefused: { concurrency_limit: registry.counters.refused, duplicate_id: registry.counters.duplicates },
        sessionsClosed: { ...registry.counters.closed },
        counters,
        jitter,
        pacerTicks: pacer.ticks,
        pacerSkippedTicks: pacer.skippedTicks,
      };
    },
  };
}
