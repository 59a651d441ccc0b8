import { Counter, Gauge, type Registry } from 'prom-client';
import type { SessionDirectory } from './session-directory.js';
import type { SessionRouter } from './session-router.js';

/** The directory's and router's figures on `GET /metrics`, read at scrape time (docs/scale-out.md#metrics). */
export function registerClusterMetrics(registry: Registry, directory: SessionDirectory, router: SessionRouter): void {
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  new Gauge({
    name: 'wavegate_directory_degraded',
    help: '1 while the cluster session directory (Redis) is lost and sessions are admitted against the local limit only',
    registers: [registry],
    collect() {
      this.set(directory.stats().degraded ? 1 : 0);
    },
  });
  counter('wavegate_directory_admitted_degraded_total', 'Sessions admitted against the local limit while the directory was lost', () => directory.stats().admittedDegraded);
  counter('wavegate_directory_lost_total', 'Times the directory was found lost (a Redis command failed or exceeded --redis-timeout-ms)', () => directory.stats().lost);
  counter('wavegate_directory_resyncs_total', "Times this node's sessions were registered again after Redis came back", () => directory.stats().resyncs);
  counter('wavegate_directory_conflicts_lost_total', 'Sessions closed because an earlier session on another node held their id', () => directory.stats().conflictsLost);
  counter('wavegate_directory_refused_duplicate_total', 'Sessions refused because another node holds their id', () => directory.stats().refusedDuplicate);
  counter('wavegate_directory_refused_limit_total', 'Sessions refused by the cluster concurrency limit', () => directory.stats().refusedLimit);
  counter('wavegate_forwarded_requests_total', 'Requests this node forwarded to the node holding the session', () => router.counts.forwarded);
  counter('wavegate_forwarded_served_total', 'Requests other nodes forwarded to this node', () => router.counts.served);
  counter('wavegate_forwarded_timeouts_total', 'Forwarded requests the owner did not answer in time (WG_ERR_OWNER_UNAVAILABLE)', () => router.counts.timedOut);
}
