import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';

export interface EventLoopDelayOptions {
  /** Sampling timer period in ms (perf_hooks' resolution); each sample costs one wakeup. */
  resolutionMs?: number;
  /** Metric name prefix. */
  prefix?: string;
}

/**
 * One frame period: a stall shorter than a frame is absorbed by the jitter buffers, so sampling finer
 * buys little, and each sample is a wakeup that an idle process pays for. On a 2-core VM an otherwise idle
 * node process with the 10 ms timer used 1.0 % of a core, with 20 ms 0.55 %, with 50 ms 0.2 %
 * (docs/performance.md, "Idle cost").
 */
export const DEFAULT_EVENT_LOOP_RESOLUTION_MS = 20;

const DEFAULTS = { resolutionMs: DEFAULT_EVENT_LOOP_RESOLUTION_MS, prefix: 'wavegate_' } as const;

/** The delays exported, as `quantile` label values (Prometheus summary convention; "1" is the max). */
const QUANTILES = [
  ['0.5', 50],
  ['0.9', 90],
  ['0.99', 99],
  ['1', 100],
] as const;

/**
 * Event-loop delay from perf_hooks `monitorEventLoopDelay`, exported as gauges over the window since the
 * previous scrape (the histogram is reset at each scrape, as prom-client's nodejs_eventloop_lag_* are).
 * perf_hooks records the whole timer interval; the timer's own period is subtracted, so an idle loop
 * reads ~0, not `resolutionMs`. Enabled by `start()`, stopped by `stop()`: no timer outlives its owner.
 */
export class EventLoopDelayMetric {
  readonly resolutionMs: number;
  private readonly histogram: IntervalHistogram;

  constructor(registry: Registry, options: EventLoopDelayOptions = {}) {
    const o = { ...DEFAULTS, ...options };
    if (!Number.isInteger(o.resolutionMs) || o.resolutionMs < 1 || o.resolutionMs > 1000) {
      throw new TypeError(`Expected \`resolutionMs\` to be an integer from 1 to 1000, got \`${String(o.resolutionMs)}\``);
    }
    this.resolutionMs = o.resolutionMs;
    this.histogram = monitorEventLoopDelay({ resolution: o.resolutionMs });
    const histogram = this.histogram;
    const offsetS = o.resolutionMs / 1e3;
    const delay = (ns: number): number => (Number.isFinite(ns) && histogram.count > 0 ? Math.max(0, ns / 1e9 - offsetS) : 0);
    new Gauge({
      name: `${o.prefix}event_loop_delay_seconds`,
      help: `Event-loop delay since the previous scrape (perf_hooks monitorEventLoopDelay, ${o.resolutionMs} ms timer, timer period subtracted); quantile "1" is the max.`,
      labelNames: ['quantile'],
      registers: [registry],
      collect() {
        for (const [label, p] of QUANTILES) this.set({ quantile: label }, delay(p === 100 ? histogram.max : histogram.percentile(p)));
      },
    });
    new Gauge({
      name: `${o.prefix}event_loop_delay_mean_seconds`,
      help: 'Mean event-loop delay since the previous scrape (timer period subtracted).',
      registers: [registry],
      collect() {
        this.set(delay(histogram.mean));
        // The last collector of the pair resets the window (prom-client collects in registration order).
        histogram.reset();
      },
    });
  }

  start(): void {
    this.histogram.enable();
  }

  stop(): void {
    this.histogram.disable();
  }
}
