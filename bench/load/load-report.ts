import type { LoadOptions, TargetName } from './load-options.js';
import type { StepResult } from './load-step.js';
import { VARIANTS, type VariantName } from './media-variants.js';

export interface RampResult {
  /** Largest step that passed, every smaller step having passed too; 0 when the first failed. */
  readonly capacity: number;
  /** Why the ramp ended: the first failing step's reason, the end of the step list, or the time budget. */
  readonly stoppedBy: string;
  readonly steps: readonly StepResult[];
}

export interface IdleResult {
  readonly sessions: number;
  readonly opened: number;
  readonly cpuPercent: number;
  readonly rssBeforeKiB: number;
  readonly rssAfterKiB: number;
  readonly rssPerSessionKiB: number;
  readonly eventLoopDelayMs: StepResult['server']['eventLoopDelayMs'];
  readonly machineCpuPercent: StepResult['machineCpuPercent'];
}

export interface TargetCheck {
  readonly goal: string;
  readonly value: string;
  readonly met: boolean | undefined;
}

export type Ramps = Partial<Record<VariantName, Partial<Record<TargetName, RampResult>>>>;

export function capacityOf(steps: readonly StepResult[]): number {
  let capacity = 0;
  for (const step of steps) {
    if (!step.pass) break;
    capacity = step.sessions;
  }
  return capacity;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * 100) / 100;

export function ratios(ramps: Ramps): Partial<Record<VariantName, number | undefined>> & { l16VsMulawRelay?: number | undefined } {
  const out: Partial<Record<VariantName, number | undefined>> & { l16VsMulawRelay?: number | undefined } = {};
  for (const [variant, r] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    out[variant] = ratio(r?.gateway?.capacity, r?.baseline?.capacity);
  }
  out.l16VsMulawRelay = ratio(ramps['l16-binary']?.gateway?.capacity, ramps['mulaw-json']?.baseline?.capacity);
  return out;
}

/** The issue's targets, reported as they stand (the benchmark is not tuned to them). */
export function checkTargets(ramps: Ramps, idle: IdleResult | undefined, options: LoadOptions): TargetCheck[] {
  const r = ratios(ramps);
  const checks: TargetCheck[] = [];
  const add = (goal: string, value: number | undefined, met: (v: number) => boolean, unit = '') =>
    checks.push({ goal, value: value === undefined ? 'not measured' : `${value}${unit}`, met: value === undefined ? undefined : met(value) });
  add('μ-law echo capacity ≥ 0.9 × bare relay', r['mulaw-json'], (v) => v >= 0.9, '×');
  add('binary L16 capacity ≥ 1.0 × bare JSON relay', r.l16VsMulawRelay, (v) => v >= 1.0, '×');
  add(`${options.idleSessions} idle sessions < 3% of a core`, idle?.cpuPercent, (v) => v < 3, '%');
  add('≤ 64 KiB RSS per session (idle)', idle?.rssPerSessionKiB, (v) => v <= 64, ' KiB');
  add('Opus echo ≥ 200 sessions', ramps['opus-binary']?.gateway?.capacity, (v) => v >= 200, ' sessions');
  return checks;
}

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** The README table: one row per step and target. */
export function markdownTable(ramps: Ramps): string {
  const rows = [
    '| variant | server | sessions | RTT p50 / p95 / p99 / max (ms) | late | lost | dropped (gateway) | server CPU | server RSS | event-loop delay p99 / max (ms) | generator CPU | other load | pass |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---|',
  ];
  for (const [variant, byTarget] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    for (const target of ['baseline', 'gateway'] as const) {
      const ramp = byTarget?.[target];
      if (!ramp) continue;
      for (const s of ramp.steps) {
        const r = s.rttMs;
        rows.push(
          `| ${variant} | ${target === 'baseline' ? 'bare relay' : 'gateway'} | ${s.sessions} | ${f(r.p50)} / ${f(r.p95)} / ${f(r.p99)} / ${f(r.max)} | ${s.late} | ${s.lost} | ${target === 'gateway' ? s.serverDropped : '–'} | ${f(s.server.cpuPercent, 0)}% | ${Math.round(s.server.rssKiB / 1024)} MiB | ${f(s.server.eventLoopDelayMs.p99)} / ${f(s.server.eventLoopDelayMs.max)} | ${f(s.generatorCpuPercent, 0)}% | ${s.machineCpuPercent.other}% | ${s.pass ? 'yes' : `no: ${s.failReason}`} |`,
        );
      }
    }
  }
  return rows.join('\n');
}

export function capacityTable(ramps: Ramps): string {
  const r = ratios(ramps);
  const rows = ['| variant | bare relay capacity | gateway capacity | gateway / relay |', '|---|---:|---:|---:|'];
  for (const [variant, byTarget] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    const cap = (t: TargetName) => {
      const ramp = byTarget?.[t];
      if (!ramp) return '–';
      const top = ramp.steps.at(-1);
      return `${ramp.capacity}${top?.pass ? ` (no failure up to ${top.sessions}: ${ramp.stoppedBy})` : ''}`;
    };
    rows.push(`| ${VARIANTS[variant].label} | ${cap('baseline')} | ${cap('gateway')} | ${r[variant] ?? '–'} |`);
  }
  return rows.join('\n');
}
