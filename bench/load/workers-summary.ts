/**
 * `node dist/bench/load/workers-summary.js bench/results/load-workers-run*.json`: the one- and N-worker
 * gateway and the bare relay of several `npm run bench:load -- --workers N` runs side by side, each run's
 * figures recomputed from its ramps (load-report.ts), then the median of each column: the README's
 * "One and two workers" table.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { LoadOptions } from './load-options.js';
import { sessionsPerCore, sessionsPerCoreByFrames, workersComparison, type RampResult, type Ramps } from './load-report.js';
import type { VariantName } from './media-variants.js';

interface RunFile {
  meta: { date: string; options: LoadOptions };
  ramps: Ramps;
}

export function median(xs: readonly number[]): number | undefined {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Sessions one core carries at the marginal cost: 100 ÷ the slope of a least-squares line through
 * (sessions, server CPU %) over the steps that kept up (all opened, loss ≤ maxLossRatio), with its
 * intercept (the fixed cost: each worker's own timers and event loop). Needs two such steps.
 */
export function marginalPerCore(ramp: RampResult | undefined, maxLossRatio: number): { perCore: number; fixedCpuPercent: number } | undefined {
  const steps = (ramp?.steps ?? []).filter((s) => s.opened === s.sessions && s.lossRatio <= maxLossRatio);
  if (steps.length < 2) return undefined;
  const n = steps.length;
  const mx = steps.reduce((a, s) => a + s.sessions, 0) / n;
  const my = steps.reduce((a, s) => a + s.server.cpuPercent, 0) / n;
  const sxy = steps.reduce((a, s) => a + (s.sessions - mx) * (s.server.cpuPercent - my), 0);
  const sxx = steps.reduce((a, s) => a + (s.sessions - mx) ** 2, 0);
  const slope = sxy / sxx;
  if (!(slope > 0)) return undefined;
  return { perCore: Math.round(100 / slope), fixedCpuPercent: Math.round((my - slope * mx) * 10) / 10 };
}

const COLUMNS = [
  'relay capacity (floor)',
  'relay per core',
  '1 worker capacity (floor)',
  '1 worker CPU there',
  '1 worker per core',
  '1 worker per core by frames',
  'N workers capacity (floor)',
  'N workers CPU there',
  'N workers per core',
  'N workers per core by frames',
  'N / 1 capacity',
  'N / 1 per core',
  'N / 1 per core by frames',
  '1 worker marginal per core (fit)',
  'N workers marginal per core (fit)',
  'N / 1 marginal per core',
  'kept-up steps, 1 worker',
  'kept-up steps, N workers',
  'other load at N workers’ top step',
] as const;

function row(run: RunFile, variant: VariantName): number[] | undefined {
  const byTarget = run.ramps[variant];
  const comparison = workersComparison(run.ramps, run.meta.options)[variant];
  if (!byTarget || !comparison) return undefined;
  const one = comparison.rows.find((r) => r.workers === 1)!;
  const many = comparison.rows.filter((r) => r.workers > 1).at(-1)!;
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? Number.NaN : Math.round((a / b) * 100) / 100);
  const manySteps = byTarget[many.target]?.steps ?? [];
  const maxLoss = run.meta.options.maxLossRatio;
  const marginalOne = marginalPerCore(byTarget[one.target], maxLoss);
  const marginalMany = marginalPerCore(byTarget[many.target], maxLoss);
  const keptUp = (ramp: RampResult | undefined) => (ramp?.steps ?? []).filter((s) => s.opened === s.sessions && s.lossRatio <= maxLoss).length;
  return [
    byTarget.baseline?.saturationCapacity ?? Number.NaN,
    sessionsPerCore(byTarget.baseline, run.meta.options)?.perCore ?? Number.NaN,
    one.saturationCapacity,
    one.cpuPercentAtSaturationCapacity ?? Number.NaN,
    one.sessionsPerCore?.perCore ?? Number.NaN,
    one.sessionsPerCoreByFrames?.perCore ?? Number.NaN,
    many.saturationCapacity,
    many.cpuPercentAtSaturationCapacity ?? Number.NaN,
    many.sessionsPerCore?.perCore ?? Number.NaN,
    many.sessionsPerCoreByFrames?.perCore ?? Number.NaN,
    ratio(many.saturationCapacity, one.saturationCapacity),
    ratio(many.sessionsPerCore?.perCore, one.sessionsPerCore?.perCore),
    ratio(many.sessionsPerCoreByFrames?.perCore, one.sessionsPerCoreByFrames?.perCore),
    marginalOne?.perCore ?? Number.NaN,
    marginalMany?.perCore ?? Number.NaN,
    ratio(marginalMany?.perCore, marginalOne?.perCore),
    keptUp(byTarget[one.target]),
    keptUp(byTarget[many.target]),
    manySteps.at(-1)?.machineCpuPercent.other ?? Number.NaN,
  ];
}

function main(files: readonly string[]): void {
  const byVariant = new Map<VariantName, Array<{ name: string; values: number[] }>>();
  for (const file of files) {
    const run = JSON.parse(readFileSync(file, 'utf8')) as RunFile;
    for (const variant of Object.keys(run.ramps) as VariantName[]) {
      const values = row(run, variant);
      if (!values) continue;
      const list = byVariant.get(variant) ?? [];
      list.push({ name: `${basename(file)} (${run.meta.date.slice(11, 16)} UTC)`, values });
      byVariant.set(variant, list);
    }
  }
  const cell = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : String(Math.round(x * 100) / 100));
  for (const [variant, runs] of byVariant) {
    process.stdout.write(`\n${variant}\n\n| run | ${COLUMNS.join(' | ')} |\n|---|${COLUMNS.map(() => '---:').join('|')}|\n`);
    for (const r of runs) process.stdout.write(`| ${r.name} | ${r.values.map(cell).join(' | ')} |\n`);
    process.stdout.write(`| **median** | ${COLUMNS.map((_, i) => cell(median(runs.map((r) => r.values[i]!)))).join(' | ')} |\n`);
  }
}

main(process.argv.slice(2));
