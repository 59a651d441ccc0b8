import { Registry } from 'prom-client';
import { sendError } from '../http/respond.js';
import type { GatewayComponent, RouteAccess } from '../http/routes.js';
import { DEFAULT_EVENT_LOOP_RESOLUTION_MS, EventLoopDelayMetric } from './event-loop-delay.js';
import type { MetricsSource } from './metrics-snapshot.js';
import { registerProcessMetrics } from './process-metrics.js';
import { SessionMetrics } from './session-metrics.js';

export interface MetricsComponentOptions {
  /** Where the metrics are served. */
  path?: string;
  /** Period of the event-loop delay sampling timer, ms. */
  eventLoopResolutionMs?: number;
  /** Who may scrape with access tokens on (`--metrics-token-required` → 'admin'); default 'public'. */
  access?: RouteAccess;
}

const DEFAULTS = { path: '/metrics', eventLoopResolutionMs: DEFAULT_EVENT_LOOP_RESOLUTION_MS } as const;

export interface MetricsComponent extends GatewayComponent {
  readonly registry: Registry;
  /** The Prometheus text a scrape returns now. */
  scrape(): Promise<string>;
  /**
   * Reads the session figures from the source into the registry without collecting it. For a caller that
   * collects the registry itself (a `--workers` worker, src/cluster/worker-metrics.ts): a scrape() first
   * would reset the event-loop delay window, and the second collection would read an empty one.
   */
  refresh(): void;
}

/**
 * `GET /metrics` in the Prometheus text format (prom-client, its own registry: nothing global). Every
 * value is read from `source` at scrape time; the event-loop delay monitor runs between start and close.
 */
export function metricsComponent(source: MetricsSource, options: MetricsComponentOptions = {}): MetricsComponent {
  const o = { ...DEFAULTS, ...options };
  if (typeof o.path !== 'string' || !o.path.startsWith('/')) throw new TypeError(`Expected \`path\` to be a string starting with /, got \`${String(o.path)}\``);
  const registry = new Registry();
  const sessions = new SessionMetrics(registry);
  const eventLoop = new EventLoopDelayMetric(registry, { resolutionMs: o.eventLoopResolutionMs });
  registerProcessMetrics(registry);
  const refresh = (): void => sessions.update(source.metricsSnapshot());
  const scrape = (): Promise<string> => {
    refresh();
    return registry.metrics();
  };
  return {
    name: 'metrics',
    registry,
    scrape,
    refresh,
    httpRoutes: [
      {
        method: ['GET', 'HEAD'],
        path: o.path,
        access: o.access ?? 'public',
        async handle(req, res) {
          let text: string;
          try {
            text = await scrape();
          } catch (err) {
            sendError(res, 'WG_ERR_INTERNAL', `metrics: ${err instanceof Error ? err.message : String(err)}`);
            return;
          }
          res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
          res.end(req.method === 'HEAD' ? undefined : text);
        },
      },
    ],
    start() {
      eventLoop.start();
    },
    close() {
      eventLoop.stop();
    },
  };
}
