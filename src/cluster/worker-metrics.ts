import { Gauge, Registry } from 'prom-client';
import { sendError } from '../http/respond.js';
import type { HttpRoute } from '../http/routes.js';
import type { MetricsComponent } from '../metrics/metrics-component.js';
import type { SessionHost } from '../session/session-host.js';
import type { PrimaryLink } from './worker-ipc.js';

/**
 * `GET /metrics` in a `--workers` worker answers for the whole box (docs/scale-out.md#metrics): the worker
 * asks the primary, which gathers every listening worker's registry (as JSON, over IPC) and merges them with
 * prom-client's AggregatorRegistry.aggregate (sums by default), adding its own figures (workers, restarts).
 * Per-worker figures carry a `worker` label.
 */
export function boxMetrics(metrics: MetricsComponent, host: SessionHost, link: PrimaryLink, workerId: string): MetricsComponent {
  const scraped = new ScrapedRegistry(metrics, workerId);
  link.collectWith(() => scraped.getMetricsAsJSON());
  new Gauge({
    name: 'wavegate_worker_sessions_open',
    help: 'Sessions open now on each worker.',
    labelNames: ['worker'],
    registers: [metrics.registry],
    collect() {
      let open = 0;
      for (const _ of host.registry.all()) open++;
      this.set({ worker: workerId }, open);
    },
  });
  const wrap = (route: HttpRoute): HttpRoute => ({
    ...route,
    async handle(req, res) {
      const text = await link.request<string | { error: string } | null>({ wavegate: 'metrics' }, null, 10_000);
      if (typeof text !== 'string') return sendError(res, 'WG_ERR_INTERNAL', `metrics: ${text?.error ?? 'the primary did not answer'}`);
      res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    },
  });
  return { ...metrics, httpRoutes: (metrics.httpRoutes ?? []).map(wrap) };
}

/** Figures a sum over workers would make meaningless: each worker's own series, labelled `worker`. */
const PER_WORKER = new Set(['wavegate_event_loop_delay_seconds', 'wavegate_event_loop_delay_mean_seconds', 'process_start_time_seconds', 'process_resident_memory_bytes', 'process_cpu_seconds_total']);

/**
 * What the primary's AggregatorRegistry gets from this worker: the session figures are read from the host at
 * scrape time (metrics-component.ts), so refresh them first (not a whole scrape: that would collect the
 * event-loop delay window and reset it, and this collection would read ~0); per-worker figures get the
 * `worker` label.
 */
class ScrapedRegistry extends Registry {
  constructor(
    private readonly component: MetricsComponent,
    private readonly workerId: string,
  ) {
    super();
  }

  override async getMetricsAsJSON(): ReturnType<Registry['getMetricsAsJSON']> {
    this.component.refresh();
    const all = await this.component.registry.getMetricsAsJSON();
    return all.map((metric) =>
      PER_WORKER.has(metric.name) ? { ...metric, values: metric.values.map((v) => ({ ...v, labels: { ...v.labels, worker: this.workerId } })) } : metric,
    );
  }
}
