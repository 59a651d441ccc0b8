import { capacityOf, floorBudget, passesFloorBudget, type RampResult } from './load-report.js';
import { targetsOf, type LoadOptions, type TargetName } from './load-options.js';
import { judge, runStep, type StepContext, type StepResult } from './load-step.js';
import type { VariantName } from './media-variants.js';
import type { ServerProcess } from './server-process.js';
import type { WorkerPool } from './worker-pool.js';

export interface RampEnvironment {
  readonly pool: WorkerPool;
  readonly options: LoadOptions;
  readonly wavPath: string;
  freshServer(target: TargetName): Promise<{ server: ServerProcess; freshRssKiB: number }>;
  progress(line: string, final?: boolean): void;
  /** False once the time budget leaves no room for another round of steps. */
  timeLeftFor(sessions: number): boolean;
}

interface Lane {
  readonly target: TargetName;
  readonly ctx: StepContext;
  readonly steps: StepResult[];
  budgetMs: number;
  stoppedBy: string | undefined;
}

/**
 * One variant, every target side by side: both servers run (each in its own process, the idle one
 * costs nothing) and the ramp alternates between them at every session count, so a burst of load from
 * elsewhere on the machine hits both alike. A target stops at its first step over its floor budget (with
 * `--past-latency`, at its first step that loses markers or sessions; capacities still end at the first
 * step over budget).
 */
export async function rampVariant(env: RampEnvironment, variant: VariantName): Promise<Partial<Record<TargetName, RampResult>>> {
  const { options } = env;
  const lanes: Lane[] = [];
  try {
    for (const target of targetsOf(options)) {
      const { server, freshRssKiB } = await env.freshServer(target);
      const ctx: StepContext = { pool: env.pool, server, target, variant, options, wavPath: env.wavPath, freshRssKiB, progress: (l) => env.progress(l) };
      lanes.push({ target, ctx, steps: [], budgetMs: options.frameMs + options.p99BudgetMs, stoppedBy: undefined });
    }
    for (const n of options.steps) {
      const running = lanes.filter((lane) => lane.stoppedBy === undefined);
      if (running.length === 0) break;
      if (running.every((lane) => lane.steps.length >= 2) && !env.timeLeftFor(n)) {
        for (const lane of running) lane.stoppedBy = `time budget (${options.budgetS} s)`;
        break;
      }
      for (const lane of running) {
        const step = await runStep(lane.ctx, n);
        lane.steps.push(step);
        const r = step.rttMs;
        env.progress(
          `${lane.target.padEnd(8)} ${variant.padEnd(11)} ${String(n).padStart(5)} sessions  rtt p50 ${r.p50} p99 ${r.p99} max ${r.max} ms  lost ${step.lost}  dropped ${step.serverDropped}  cpu ${step.server.cpuPercent}%${(step.server.cpuPercentByProcess?.length ?? 0) > 1 ? ` (${step.server.cpuPercentByProcess!.join(' + ')})` : ''} gc ${step.server.gcPercentOfCpu}% (share ${step.server.cpuShare}, longest pause ${step.server.gcLongestPauseMs} ms, ${step.server.gcLongPauses} ≥ 4 ms)  rss ${Math.round(step.server.rssKiB / 1024)} MiB  gen ${step.generatorCpuPercent}%  other ${step.machineCpuPercent.other}% steal ${step.machineCpuPercent.steal}%  ${step.pass ? 'ok' : `over ${options.frameMs + options.p99BudgetMs} ms budget: ${step.failReason}`}`,
          true,
        );
        lane.budgetMs = floorBudget(lane.steps[0], options);
        const overBudget = judge(step, lane.budgetMs, options.maxLossRatio);
        // --past-latency: on, while every session opened and kept up with the media (CPU per session at larger counts).
        const fellBehind = judge(step, Number.POSITIVE_INFINITY, options.maxLossRatio);
        if (options.pastLatency ? fellBehind !== undefined : overBudget !== undefined) lane.stoppedBy = options.pastLatency ? `${fellBehind} (past latency)` : `${overBudget} (floor budget)`;
      }
    }
  } finally {
    await Promise.all(lanes.map((lane) => lane.ctx.server.stop()));
  }
  const out: Partial<Record<TargetName, RampResult>> = {};
  for (const lane of lanes) {
    out[lane.target] = {
      capacity: capacityOf(lane.steps),
      floorBudgetMs: lane.budgetMs,
      saturationCapacity: capacityOf(lane.steps, (s) => passesFloorBudget(s, lane.budgetMs, options)),
      stoppedBy: lane.stoppedBy ?? 'end of the step list',
      steps: lane.steps,
    };
  }
  return out;
}
