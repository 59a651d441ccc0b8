import { Counter, Gauge, type Registry } from 'prom-client';
import type { GatewayComponent } from '../http/routes.js';
import { loadGlibcMalloc } from './glibc-malloc.js';
import { MemoryTrimmer } from './memory-trimmer.js';
import type { TrimReason } from './trim-policy.js';

/** `memoryTrim` (docs/security.md, "Where the RSS goes"): 'auto' trims where glibc and koffi are there, 'off' never. */
export type MemoryTrimMode = 'auto' | 'off';

let shared: MemoryTrimmer | undefined;

/** The process's one trimmer, or undefined where trimming cannot run (and why). */
export function sharedMemoryTrimmer(): { trimmer: MemoryTrimmer | undefined; why: string } {
  const malloc = loadGlibcMalloc();
  if (!malloc.value) return { trimmer: undefined, why: malloc.why };
  shared ??= new MemoryTrimmer(malloc.value);
  return { trimmer: shared, why: malloc.why };
}

/**
 * The gateway's part: with 'auto', holds the shared trimmer between start and close, and counts on
 * /metrics what it did. With 'off', or without glibc or koffi, nothing runs and
 * `wavegate_memory_trim_enabled` reads 0.
 */
export function memoryTrimComponent(mode: MemoryTrimMode, registry: Registry): GatewayComponent {
  const trimmer = mode === 'auto' ? sharedMemoryTrimmer().trimmer : undefined;
  registerMemoryTrimMetrics(registry, trimmer);
  let held = false;
  return {
    name: 'memory-trim',
    start() {
      if (trimmer && !held) {
        held = true;
        trimmer.acquire();
      }
    },
    close() {
      if (trimmer && held) {
        held = false;
        trimmer.release();
      }
    },
  };
}

const REASONS: readonly TrimReason[] = ['load-fell', 'quiet', 'freed'];

function registerMemoryTrimMetrics(registry: Registry, trimmer: MemoryTrimmer | undefined): void {
  const registers = [registry];
  const stats = () => trimmer?.stats;
  new Gauge({
    name: 'wavegate_memory_trim_enabled',
    help: "1 when this process gives the allocator's free memory back to the OS (glibc malloc_trim through koffi; --memory-trim auto), else 0.",
    registers,
    // `--workers` (src/cluster/worker-metrics.ts sums the workers' registries): 1 only when every worker trims.
    aggregator: 'min',
    collect() {
      this.set(trimmer ? 1 : 0);
    },
  });
  new Counter({
    name: 'wavegate_memory_trims_total',
    help: 'malloc_trim(0) calls, by what triggered them (load-fell: connections fell to half their peak; quiet: no new connections for a while; freed: the allocator got memory back).',
    labelNames: ['reason'],
    registers,
    collect() {
      this.reset();
      for (const reason of REASONS) this.inc({ reason }, stats()?.trims[reason] ?? 0);
    },
  });
  const counter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read());
      },
    });
  // Per process: with `--workers` the last trim's RSS readings are left out of the box's sum ('omit').
  const gauge = (name: string, help: string, read: () => number, aggregator: 'sum' | 'max' | 'omit' = 'sum') =>
    new Gauge({
      name,
      help,
      registers,
      aggregator,
      collect() {
        this.set(read());
      },
    });
  counter('wavegate_memory_trim_released_bytes_total', 'RSS the trims released (RSS before − after each trim), summed.', () => stats()?.releasedBytes ?? 0);
  counter('wavegate_memory_trim_seconds_total', 'Time the event loop spent inside malloc_trim, summed.', () => stats()?.trimSeconds ?? 0);
  gauge('wavegate_memory_trim_max_seconds', 'The longest single malloc_trim so far.', () => stats()?.maxTrimSeconds ?? 0, 'max');
  gauge('wavegate_memory_trim_last_rss_before_bytes', 'RSS just before the last trim (0: none yet).', () => stats()?.last?.rssBefore ?? 0, 'omit');
  gauge('wavegate_memory_trim_last_rss_after_bytes', 'RSS just after the last trim (0: none yet).', () => stats()?.last?.rssAfter ?? 0, 'omit');
  gauge('wavegate_memory_allocator_free_bytes', "Bytes free inside glibc's arenas at the last check (mallinfo2 fordblks; 0 when unknown).", () => stats()?.freeBytes ?? 0);
}
