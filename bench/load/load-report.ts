import { gatewayWorkersOf, targetLabel, type LoadOptions, type TargetName } from './load-options.js';
import { judge, type StepResult } from './load-step.js';
import { VARIANTS, type VariantName } from './media-variants.js';

export interface RampResult {
  /** Largest step that passed (p99 ≤ frameMs + p99BudgetMs), every smaller step having passed too; 0 when the first failed. */
  readonly capacity: number;
  /**
   * The same with the budget counted from this server's own latency floor: p99 ≤ max(frameMs, p99 of
   * the first step) + p99BudgetMs. Separates a fixed added latency (a jitter buffer) from saturation;
   * the ramp goes on while this holds.
   */
  readonly floorBudgetMs: number;
  readonly saturationCapacity: number;
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

export function capacityOf(steps: readonly StepResult[], pass: (step: StepResult) => boolean = (s) => s.pass): number {
  let capacity = 0;
  for (const step of steps) {
    if (!pass(step)) break;
    capacity = step.sessions;
  }
  return capacity;
}

/** The ramp's own budget: from the first step's p99 (its floor), never tighter than the absolute one. */
export function floorBudget(first: StepResult | undefined, options: LoadOptions): number {
  const absolute = options.frameMs + options.p99BudgetMs;
  if (first === undefined || !Number.isFinite(first.rttMs.p99)) return absolute;
  return Math.max(absolute, Math.ceil(first.rttMs.p99) + options.p99BudgetMs);
}

export function passesFloorBudget(step: StepResult, budgetMs: number, options: LoadOptions): boolean {
  return judge(step, budgetMs, options.maxLossRatio) === undefined;
}

const ratio = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined || b === undefined || b === 0 ? undefined : Math.round((a / b) * 100) / 100;

/**
 * Sessions one core could carry at the CPU cost measured: 100 / (server CPU % ÷ sessions), taken at the
 * largest step where every session opened and at most maxLossRatio of the markers were lost (the
 * server kept up with the media, whatever its latency), so fixed per-wakeup costs are amortised as they
 * would be near capacity. CPU time is less sensitive to other load on the machine than latency is.
 */
export function sessionsPerCore(ramp: RampResult | undefined, options: LoadOptions): { sessions: number; cpuPercent: number; perCore: number } | undefined {
  if (!ramp || ramp.steps.length === 0) return undefined;
  const keptUp = ramp.steps.filter((s) => s.opened === s.sessions && s.lossRatio <= options.maxLossRatio);
  const step = keptUp.at(-1);
  if (step === undefined) return undefined;
  const perSession = step.server.cpuPercent / step.sessions;
  return { sessions: step.sessions, cpuPercent: step.server.cpuPercent, perCore: perSession > 0 ? Math.round(100 / perSession) : Number.POSITIVE_INFINITY };
}

/**
 * Sessions per core from the frames the server really echoed: CPU time over the hold ÷ reply frames read
 * in it, scaled to sessions of 1000/frameMs frames a second, at the largest step where every session
 * opened. Unlike sessionsPerCore it needs no step that kept up, so it still says something when the
 * machine starves the server (then the server drops frames, and CPU per echoed frame is what it costs).
 */
export function sessionsPerCoreByFrames(ramp: RampResult | undefined, options: LoadOptions): { sessions: number; usPerFrame: number; perCore: number } | undefined {
  const step = ramp?.steps.filter((s) => s.opened === s.sessions && (s.framesReceivedInHold ?? 0) > 0 && s.server.cpuPercent > 0).at(-1);
  if (step === undefined) return undefined;
  const cpuS = (step.server.cpuPercent / 100) * options.holdS;
  const usPerFrame = (cpuS * 1e6) / step.framesReceivedInHold;
  return { sessions: step.sessions, usPerFrame: Math.round(usPerFrame * 10) / 10, perCore: Math.round(1e6 / usPerFrame / (1000 / options.frameMs)) };
}

export type Ratios = Partial<Record<VariantName, number | undefined>> & {
  l16VsMulawRelay?: number | undefined;
  /** Gateway capacity over WebRTC / over the WebSocket, both Opus 48 kHz echo. */
  webrtcVsWebSocketOpus?: number | undefined;
};

/** Gateway capacity / bare relay capacity per variant (and binary L16 gateway / μ-law JSON relay, WebRTC / WebSocket Opus gateway). */
export function ratios(ramps: Ramps, key: 'capacity' | 'saturationCapacity' = 'capacity'): Ratios {
  const out: Ratios = {};
  for (const [variant, r] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    out[variant] = ratio(r?.gateway?.[key], r?.baseline?.[key]);
  }
  out.l16VsMulawRelay = ratio(ramps['l16-binary']?.gateway?.[key], ramps['mulaw-json']?.baseline?.[key]);
  out.webrtcVsWebSocketOpus = ratio(ramps['webrtc-opus']?.gateway?.[key], ramps['opus-binary']?.gateway?.[key]);
  return out;
}

/**
 * Opus echo sessions per core before the data-plane rework (issue 14): the median of the three bench:load
 * runs at d8100ce that the README's Performance section quotes (bench/results/load-run{1,2,3}.json: 49,
 * 23, 21; 22 again at ab3fda4 in load-before-run1.json). The target is 3× this.
 */
export const OPUS_PER_CORE_BEFORE = 23;

/** The gateway's p99 at 10 sessions and at the largest step ≤ half its sessions per core (issue 14's latency-under-load test). */
export function latencyUnderLoad(ramp: RampResult | undefined, options: LoadOptions): { atTen: number; half: number; sessions: number; deltaMs: number } | undefined {
  const perCore = sessionsPerCore(ramp, options);
  const ten = ramp?.steps.find((s) => s.sessions === 10);
  if (!ramp || !perCore || !ten) return undefined;
  const half = ramp.steps.filter((s) => s.sessions > 10 && s.sessions <= perCore.perCore / 2 && s.opened === s.sessions).at(-1);
  if (!half) return undefined;
  return { atTen: ten.rttMs.p99, half: half.rttMs.p99, sessions: half.sessions, deltaMs: Math.round((half.rttMs.p99 - ten.rttMs.p99) * 100) / 100 };
}

/** GC share of the gateway's CPU at the 50-session μ-law step. */
export function gcAtFifty(ramps: Ramps): number | undefined {
  return ramps['mulaw-json']?.gateway?.steps.find((s) => s.sessions === 50)?.server.gcPercentOfCpu;
}

export function perCoreRatio(ramps: Ramps, variant: VariantName, options: LoadOptions): number | undefined {
  const g = sessionsPerCore(ramps[variant]?.gateway, options);
  const b = sessionsPerCore(ramps[variant]?.baseline, options);
  return ratio(g?.perCore, b?.perCore);
}

/** Issue 14's acceptance targets, reported as they stand (the benchmark is not tuned to them). */
export function checkTargets(ramps: Ramps, idle: IdleResult | undefined, options: LoadOptions): TargetCheck[] {
  const rf = ratios(ramps, 'saturationCapacity');
  const checks: TargetCheck[] = [];
  const add = (goal: string, value: number | undefined, met: (v: number) => boolean, unit = '') =>
    checks.push({ goal, value: value === undefined ? 'not measured' : `${value}${unit}`, met: value === undefined ? undefined : met(value) });
  add('μ-law JSON sessions per core ≥ 0.6 × bare relay', perCoreRatio(ramps, 'mulaw-json', options), (v) => v >= 0.6, '×');
  add('binary L16 sessions per core ≥ 0.7 × bare relay', perCoreRatio(ramps, 'l16-binary', options), (v) => v >= 0.7, '×');
  for (const variant of ['mulaw-json', 'l16-binary'] as const) {
    const l = latencyUnderLoad(ramps[variant]?.gateway, options);
    add(`${variant}: p99 at half capacity${l ? ` (${l.sessions} sessions, ${l.half} ms)` : ''} within 10 ms of p99 at 10${l ? ` (${l.atTen} ms)` : ''}`, l?.deltaMs, (v) => v <= 10, ' ms');
  }
  const opus = sessionsPerCore(ramps['opus-binary']?.gateway, options)?.perCore;
  add(`Opus echo sessions per core ≥ 3 × before (${OPUS_PER_CORE_BEFORE})`, opus === undefined ? undefined : Math.round((opus / OPUS_PER_CORE_BEFORE) * 100) / 100, (v) => v >= 3, '×');
  add(`${options.idleSessions} idle sessions < 1% of a core`, idle?.cpuPercent, (v) => v < 1, '%');
  add('≤ 64 KiB RSS per session (idle)', idle?.rssPerSessionKiB, (v) => v <= 64, ' KiB');
  add('GC < 2% of the gateway CPU at 50 μ-law sessions', gcAtFifty(ramps), (v) => v < 2, '%');
  // Context, not targets: sessions per core from CPU per echoed frame (meaningful on a starved machine).
  for (const variant of ['mulaw-json', 'l16-binary', 'opus-binary'] as const) {
    const g = sessionsPerCoreByFrames(ramps[variant]?.gateway, options);
    const b = sessionsPerCoreByFrames(ramps[variant]?.baseline, options);
    add(`(context, CPU per echoed frame) ${variant} sessions per core gateway${g ? ` ${g.perCore} (${g.usPerFrame} µs/frame)` : ''} / relay${b ? ` ${b.perCore} (${b.usPerFrame} µs/frame)` : ''}`, ratio(g?.perCore, b?.perCore), () => true, '×');
  }
  // Context, not targets: capacities at the latency budget counted from each server's own floor.
  add('(context, floor budget) μ-law capacity gateway / relay', rf['mulaw-json'], () => true, '×');
  add('(context, floor budget) binary L16 capacity gateway / relay', rf['l16-binary'], () => true, '×');
  add('(context, floor budget) Opus echo capacity', ramps['opus-binary']?.gateway?.saturationCapacity, () => true, ' sessions');
  return checks;
}

const f = (x: number, digits = 1) => (Number.isFinite(x) ? x.toFixed(digits) : '–');

/** The README table: one row per step and target. */
export function markdownTable(ramps: Ramps): string {
  const rows = [
    '| variant | server | sessions | RTT p50 / p95 / p99 / max (ms) | late | lost | dropped (gateway) | server CPU | server RSS | event-loop delay p99 / max (ms) | GC % of CPU | generator CPU | other load / steal | pass |',
    '|---|---|---:|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|',
  ];
  for (const [variant, byTarget] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    for (const [target, ramp] of Object.entries(byTarget ?? {}) as Array<[TargetName, RampResult | undefined]>) {
      if (!ramp) continue;
      for (const s of ramp.steps) {
        const r = s.rttMs;
        rows.push(
          `| ${variant} | ${targetLabel(target)} | ${s.sessions} | ${f(r.p50)} / ${f(r.p95)} / ${f(r.p99)} / ${f(r.max)} | ${s.late} | ${s.lost} | ${target === 'baseline' ? '–' : s.serverDropped} | ${f(s.server.cpuPercent, 0)}% | ${Math.round(s.server.rssKiB / 1024)} MiB | ${f(s.server.eventLoopDelayMs.p99)} / ${f(s.server.eventLoopDelayMs.max)} | ${f(s.server.gcPercentOfCpu ?? Number.NaN, 2)}% | ${f(s.generatorCpuPercent, 0)}% | ${s.machineCpuPercent.other}% / ${s.machineCpuPercent.steal}% | ${s.pass ? 'yes' : `no: ${s.failReason}`} |`,
        );
      }
    }
  }
  return rows.join('\n');
}

export function capacityTable(ramps: Ramps, options: LoadOptions): string {
  const strict = ratios(ramps);
  const floor = ratios(ramps, 'saturationCapacity');
  const rows = [
    '| variant | bare relay | gateway | gateway / relay | gateway floor p99 → its budget | bare relay, floor budget | gateway, floor budget | gateway / relay, floor budget | sessions per core: relay / gateway (ratio) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [variant, byTarget] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    const cap = (t: TargetName, key: 'capacity' | 'saturationCapacity') => {
      const ramp = byTarget?.[t];
      if (!ramp) return '–';
      const top = ramp.steps.at(-1);
      const notReached = key === 'saturationCapacity' && top !== undefined && ramp.saturationCapacity === top.sessions;
      return `${ramp[key]}${notReached ? '+' : ''}`;
    };
    const g = byTarget?.gateway;
    const floorText = g ? `${f(g.steps[0]?.rttMs.p99 ?? Number.NaN)} → ${g.floorBudgetMs} ms` : '–';
    const pb = sessionsPerCore(byTarget?.baseline, options);
    const pg = sessionsPerCore(byTarget?.gateway, options);
    const perCore = pb && pg ? `${pb.perCore} / ${pg.perCore} (${(pg.perCore / pb.perCore).toFixed(2)})` : '–';
    rows.push(`| ${VARIANTS[variant].label} | ${cap('baseline', 'capacity')} | ${cap('gateway', 'capacity')} | ${strict[variant] ?? '–'} | ${floorText} | ${cap('baseline', 'saturationCapacity')} | ${cap('gateway', 'saturationCapacity')} | ${floor[variant] ?? '–'} | ${perCore} |`);
  }
  return rows.join('\n');
}

export interface WorkersRow {
  readonly target: TargetName;
  readonly workers: number;
  readonly capacity: number;
  readonly saturationCapacity: number;
  /**
   * CPU of the whole process tree at the floor-budget capacity step (saturationCapacity: the strict one is 0
   * whenever other load lifts the first step's p99 over 40 ms), percent of one core, and per process,
   * primary first.
   */
  readonly cpuPercentAtSaturationCapacity: number | undefined;
  readonly cpuPercentByProcessAtSaturationCapacity: readonly number[] | undefined;
  readonly sessionsPerCore: ReturnType<typeof sessionsPerCore>;
  readonly sessionsPerCoreByFrames: ReturnType<typeof sessionsPerCoreByFrames>;
}

export interface WorkersComparison {
  readonly rows: readonly WorkersRow[];
  /** N workers over one process: capacity, floor-budget capacity, sessions per core (CPU of the tree). */
  readonly capacityRatio: number | undefined;
  readonly saturationCapacityRatio: number | undefined;
  readonly perCoreRatio: number | undefined;
}

/** `npm run bench:load -- --workers N`: the one-process gateway beside `serve --workers N`, per variant. */
export function workersComparison(ramps: Ramps, options: LoadOptions): Partial<Record<VariantName, WorkersComparison>> {
  const out: Partial<Record<VariantName, WorkersComparison>> = {};
  for (const [variant, byTarget] of Object.entries(ramps) as Array<[VariantName, Ramps[VariantName]]>) {
    const rows: WorkersRow[] = [];
    for (const [target, ramp] of Object.entries(byTarget ?? {}) as Array<[TargetName, RampResult | undefined]>) {
      const workers = gatewayWorkersOf(target);
      if (workers === undefined || !ramp) continue;
      const atCapacity = ramp.steps.find((s) => s.sessions === ramp.saturationCapacity);
      rows.push({
        target,
        workers,
        capacity: ramp.capacity,
        saturationCapacity: ramp.saturationCapacity,
        cpuPercentAtSaturationCapacity: atCapacity?.server.cpuPercent,
        cpuPercentByProcessAtSaturationCapacity: atCapacity?.server.cpuPercentByProcess,
        sessionsPerCore: sessionsPerCore(ramp, options),
        sessionsPerCoreByFrames: sessionsPerCoreByFrames(ramp, options),
      });
    }
    const one = rows.find((r) => r.workers === 1);
    const many = rows.filter((r) => r.workers > 1).at(-1);
    if (!one || !many) continue;
    out[variant] = {
      rows,
      capacityRatio: ratio(many.capacity, one.capacity),
      saturationCapacityRatio: ratio(many.saturationCapacity, one.saturationCapacity),
      perCoreRatio: ratio(many.sessionsPerCore?.perCore, one.sessionsPerCore?.perCore),
    };
  }
  return out;
}

/** The README's "One and two workers" table. */
export function workersTable(comparison: Partial<Record<VariantName, WorkersComparison>>): string {
  const rows = [
    '| variant | gateway | capacity | capacity, floor budget | CPU there (per process) | sessions per core (sessions, CPU) | sessions per core by frames |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const [variant, c] of Object.entries(comparison) as Array<[VariantName, WorkersComparison]>) {
    for (const r of c.rows) {
      const byProcess = r.cpuPercentByProcessAtSaturationCapacity ?? [];
      const cpu = r.cpuPercentAtSaturationCapacity === undefined ? '–' : `${f(r.cpuPercentAtSaturationCapacity, 0)}%${byProcess.length > 1 ? ` (${byProcess.map((x) => f(x, 0)).join(' + ')})` : ''}`;
      const pc = r.sessionsPerCore ? `${r.sessionsPerCore.perCore} (${r.sessionsPerCore.sessions}, ${f(r.sessionsPerCore.cpuPercent, 0)}%)` : '–';
      rows.push(`| ${variant} | ${targetLabel(r.target)} | ${r.capacity} | ${r.saturationCapacity} | ${cpu} | ${pc} | ${r.sessionsPerCoreByFrames?.perCore ?? '–'} |`);
    }
    rows.push(`| ${variant} | ratio | ${c.capacityRatio ?? '–'}× | ${c.saturationCapacityRatio ?? '–'}× | | ${c.perCoreRatio ?? '–'}× | |`);
  }
  return rows.join('\n');
}
