import { parseArgs } from 'node:util';
import { isVariantName, VARIANT_NAMES, type VariantName } from './media-variants.js';

/** What `--targets` chooses from: the bare relay and the gateway. */
export const TARGET_NAMES = ['baseline', 'gateway'] as const;
export type TargetKind = (typeof TARGET_NAMES)[number];
/**
 * A server the ramp drives, a key of the results: `baseline`, `gateway` (one process, as before `--workers`
 * existed) or `gateway-wN` (the gateway with `serve --workers N`).
 */
export type TargetName = TargetKind | `gateway-w${number}`;

/** Gateway worker count of a target (1 for `gateway`), undefined for the bare relay. */
export function gatewayWorkersOf(target: TargetName): number | undefined {
  if (target === 'baseline') return undefined;
  if (target === 'gateway') return 1;
  return Number(target.slice('gateway-w'.length));
}

/** The servers one run drives, in ramp order: the relay, the one-process gateway, then `gateway-wN` when `--workers N` > 1. */
export function targetsOf(options: Pick<LoadOptions, 'targets' | 'gatewayWorkers'>): TargetName[] {
  const out: TargetName[] = [];
  for (const kind of options.targets) {
    out.push(kind);
    if (kind === 'gateway' && options.gatewayWorkers > 1) out.push(`gateway-w${options.gatewayWorkers}`);
  }
  return out;
}

/** How a target reads in tables and charts. */
export function targetLabel(target: TargetName): string {
  const workers = gatewayWorkersOf(target);
  return workers === undefined ? 'bare relay' : workers === 1 ? 'gateway' : `gateway, ${workers} workers`;
}

export interface LoadOptions {
  quick: boolean;
  variants: VariantName[];
  targets: TargetKind[];
  /** Session counts of the ramp; a target stops ramping at its first failing step. */
  steps: number[];
  warmupS: number;
  holdS: number;
  drainMs: number;
  /** Load-generator worker threads (`--load-threads`). */
  loadThreads: number;
  /**
   * `--workers N`: the gateway also runs as `serve --workers N` (target `gateway-wN`) beside the one-process
   * gateway, both ramped alike; 1 (the default) runs the one-process gateway only.
   */
  gatewayWorkers: number;
  /**
   * Ramp a target on past its first step over the latency budget, up to its first step that fails to open
   * or keep up with the media (loss > maxLossRatio). Capacities still end at the first step over budget;
   * sessions per core are then measured at larger counts (on a machine shared with other work, the latency
   * budget is often lost to a burst from elsewhere at 10 or 50 sessions).
   */
  pastLatency: boolean;
  /** Sessions of the idle variant (connected, started, silent); 0 skips it. */
  idleSessions: number;
  idleWarmupS: number;
  idleHoldS: number;
  frameMs: number;
  /** Sub-slots of the frame period the sessions are spread over. */
  slots: number;
  /** A step passes while p99 RTT ≤ frameMs + this. */
  p99BudgetMs: number;
  /** …and while at most this fraction of frames is lost. */
  maxLossRatio: number;
  /** No new step starts after this much time has passed. */
  budgetS: number;
  out: string;
  chart: string;
}

const DEFAULTS: LoadOptions = {
  quick: false,
  variants: [...VARIANT_NAMES],
  targets: [...TARGET_NAMES],
  steps: [10, 50, 100, 200, 300, 400, 600, 800, 1000, 1200, 1500],
  warmupS: 2,
  holdS: 6,
  drainMs: 1200,
  loadThreads: 2,
  gatewayWorkers: 1,
  pastLatency: false,
  idleSessions: 1000,
  idleWarmupS: 2,
  idleHoldS: 10,
  frameMs: 20,
  slots: 4,
  p99BudgetMs: 20,
  maxLossRatio: 0.01,
  budgetS: 540,
  out: 'bench/results/load.json',
  chart: 'bench/results/load.svg',
};

const QUICK: Partial<LoadOptions> = {
  steps: [10, 100, 300],
  warmupS: 1,
  holdS: 2,
  drainMs: 1100,
  idleSessions: 1000,
  idleWarmupS: 1,
  idleHoldS: 3,
  budgetS: 90,
  out: 'bench/results/load-quick.json',
  chart: 'bench/results/load-quick.svg',
};

export const USAGE = `usage: npm run bench:load -- [options]

  --quick                 short holds and fewer steps (< 2 min)
  --variants a,b          ${VARIANT_NAMES.join(', ')} (default all)
  --targets a,b           baseline, gateway (default both)
  --steps 50,100,…        session counts of the ramp
  --hold S  --warmup S    seconds measured per step / seconds before measuring
  --workers N             also ramp the gateway with \`serve --workers N\` (target gateway-wN) beside the
                          one-process gateway; CPU is summed over its primary and workers (default 1)
  --load-threads N        load-generator worker threads (default 2)
  --past-latency          ramp on past the latency budget while sessions keep up (capacities unchanged)
  --idle N                idle sessions for the idle-CPU run, 0 skips it (default 1000)
  --idle-warmup S  --idle-hold S
                          seconds after the idle sessions opened before measuring (default 2; the
                          one-off clean-up after opening them, V8's memory reducer and the malloc
                          trim, runs ~8 s after), and seconds measured (default 10)
  --out FILE  --chart FILE
`;

function list(name: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new TypeError(`Expected \`--${name}\` to be a comma-separated list, got \`${value}\``);
  return items;
}

function num(name: string, value: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new TypeError(`Expected \`--${name}\` to be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got \`${value}\``);
  }
  return n;
}

export function parseLoadOptions(argv: readonly string[]): LoadOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean' },
      variants: { type: 'string' },
      targets: { type: 'string' },
      steps: { type: 'string' },
      hold: { type: 'string' },
      warmup: { type: 'string' },
      workers: { type: 'string' },
      'load-threads': { type: 'string' },
      'past-latency': { type: 'boolean' },
      idle: { type: 'string' },
      'idle-warmup': { type: 'string' },
      'idle-hold': { type: 'string' },
      out: { type: 'string' },
      chart: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return 'help';
  const o: LoadOptions = { ...DEFAULTS, ...(values.quick ? { ...QUICK, quick: true } : {}) };
  if (values.variants !== undefined) {
    o.variants = list('variants', values.variants).map((v) => {
      if (!isVariantName(v)) throw new TypeError(`Expected \`--variants\` items among ${VARIANT_NAMES.join(', ')}, got \`${v}\``);
      return v;
    });
  }
  if (values.targets !== undefined) {
    o.targets = list('targets', values.targets).map((t) => {
      if (!(TARGET_NAMES as readonly string[]).includes(t)) throw new TypeError(`Expected \`--targets\` items among ${TARGET_NAMES.join(', ')}, got \`${t}\``);
      return t as TargetKind;
    });
  }
  if (values.steps !== undefined) o.steps = list('steps', values.steps).map((s) => num('steps', s, 1, 20_000, true));
  if (values.hold !== undefined) o.holdS = num('hold', values.hold, 1, 600);
  if (values.warmup !== undefined) o.warmupS = num('warmup', values.warmup, 0, 60);
  if (values.workers !== undefined) o.gatewayWorkers = num('workers', values.workers, 1, 64, true);
  if (values['load-threads'] !== undefined) o.loadThreads = num('load-threads', values['load-threads'], 1, 64, true);
  if (values['past-latency']) o.pastLatency = true;
  if (values.idle !== undefined) o.idleSessions = num('idle', values.idle, 0, 20_000, true);
  if (values['idle-warmup'] !== undefined) o.idleWarmupS = num('idle-warmup', values['idle-warmup'], 0, 120);
  if (values['idle-hold'] !== undefined) o.idleHoldS = num('idle-hold', values['idle-hold'], 1, 600);
  if (values.out !== undefined) o.out = values.out;
  if (values.chart !== undefined) o.chart = values.chart;
  o.steps = [...new Set(o.steps)].sort((a, b) => a - b);
  return o;
}
