import { LatencyHistogram, type HistogramSnapshot } from './latency-histogram.js';
import type { LoadOptions, TargetName } from './load-options.js';
import type { RunResult } from './load-protocol.js';
import { VARIANTS, type VariantName } from './media-variants.js';
import { cpuPercentByProcess, treeCpuPercent, treeCpuSeconds, treeSample } from './process-tree.js';
import { scrape, systemCpuSample, type ServerProcess } from './server-process.js';
import { share, type WorkerPool } from './worker-pool.js';

export interface StepContext {
  readonly pool: WorkerPool;
  readonly server: ServerProcess;
  readonly target: TargetName;
  readonly variant: VariantName | 'idle';
  readonly options: LoadOptions;
  readonly wavPath: string;
  /** Server RSS right after it started, KiB (for the per-session estimate). */
  readonly freshRssKiB: number;
  progress(line: string): void;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface StepResult {
  readonly sessions: number;
  readonly opened: number;
  readonly failedToOpen: number;
  readonly firstError: string | undefined;
  /** Round trips of the markers sent during the hold, ms (a marker every MARKER_PERIOD frames). */
  readonly rttMs: Percentiles;
  /** Markers whose round trip exceeded frameMs + p99BudgetMs. */
  readonly late: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Reply frames read during the hold: the work the server's CPU over the hold paid for. */
  readonly framesReceivedInHold: number;
  readonly markersSent: number;
  readonly markersMatched: number;
  /** Markers not back within 1 s (warmup, hold and drain). */
  readonly lost: number;
  readonly lossRatio: number;
  readonly spuriousOnsets: number;
  readonly generatorSkipped: number;
  readonly closedEarly: Record<string, number>;
  /** How late the generator sent frames against its own clock, ms (when high, the generator is the limit). */
  readonly sendLagMs: Percentiles;
  readonly server: {
    /** CPU of the server's whole process tree (a `--workers N` gateway's primary and workers), percent of ONE core. */
    readonly cpuPercent: number;
    /** The same per process, the root (primary) first; absent in results from before `--workers`. */
    readonly cpuPercentByProcess?: readonly number[];
    /** RSS summed over the process tree. */
    readonly rssKiB: number;
    /** RSS now minus RSS right after the server started (includes lazily loaded codecs, so per-session only for many sessions). */
    readonly rssGrowthKiB: number;
    /** The gateway's event-loop delay over the hold; with several workers, the worst worker's. */
    readonly eventLoopDelayMs: { readonly p50: number; readonly p99: number; readonly max: number };
    /** Garbage-collection pause time during the hold (perf_hooks gc entries, gc-probe.ts), ms and collections. */
    readonly gcMs: number;
    readonly gcCount: number;
    /** The longest GC pause during the hold, and the pauses ≥ 4 ms (gc-probe.ts). */
    readonly gcLongestPauseMs?: number;
    readonly gcLongPauses?: number;
    /**
     * GC CPU time as a share of the server's CPU time over the hold, percent. perf_hooks gives each
     * pause's wall-clock duration, which grows when the machine is short of CPU and the thread waits
     * for a core mid-pause; so the pause time is scaled by the main thread's share of its runnable time
     * it actually ran (/proc/<pid>/schedstat: run ÷ (run + wait)) before it is divided by CPU time.
     */
    readonly gcPercentOfCpu: number;
    /** The main thread's share of its runnable time spent on a CPU during the hold (1 = never waited for a core). */
    readonly cpuShare: number;
  };
  readonly generatorCpuPercent: number;
  /**
   * Whole machine during the hold, percent of ONE core (200 = both cores busy): `other` = processes that
   * are neither the server nor the generator; `steal` = time the hypervisor gave the cores to other VMs.
   */
  readonly machineCpuPercent: { readonly busy: number; readonly other: number; readonly steal: number };
  /** Increase of every `*_total` counter the server exports over the step (the gateway's own drop counts). */
  readonly serverCounters: Record<string, number>;
  /** Frames the gateway itself reports dropped (sum of its drop counters). */
  readonly serverDropped: number;
  /** /metrics requests that failed (the server too starved to answer in 10 s): its counters are missing then. */
  readonly scrapeErrors: readonly string[];
  readonly pass: boolean;
  readonly failReason: string | undefined;
}

/** Why a step fails a p99 budget (all sessions open, none closed early, p99 within budget, loss within bound), or undefined. */
export function judge(
  step: Pick<StepResult, 'opened' | 'sessions' | 'firstError' | 'closedEarly' | 'rttMs' | 'lossRatio'> & { active?: boolean },
  budgetMs: number,
  maxLossRatio: number,
): string | undefined {
  const active = step.active ?? true;
  if (step.opened < step.sessions) return `${step.sessions - step.opened} sessions failed to open (${step.firstError ?? '?'})`;
  if (Object.keys(step.closedEarly).length > 0) return `sessions closed early: ${JSON.stringify(step.closedEarly)}`;
  if (active && !(step.rttMs.p99 <= budgetMs)) return `p99 ${step.rttMs.p99} ms > ${budgetMs} ms`;
  if (active && step.lossRatio > maxLossRatio) return `lost ${(step.lossRatio * 100).toFixed(2)}% > ${maxLossRatio * 100}%`;
  return undefined;
}

const sleepUntil = (t: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, t - performance.now())));

export function percentiles(h: LatencyHistogram): Percentiles {
  const round = (x: number) => Math.round(x * 100) / 100;
  return { count: h.count, p50: round(h.percentile(50)), p95: round(h.percentile(95)), p99: round(h.percentile(99)), max: round(h.maxMs), mean: round(h.mean()) };
}

function merge(snapshots: readonly HistogramSnapshot[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const s of snapshots) h.add(s);
  return h;
}

function counterDeltas(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    const name = key.split('{')[0]!;
    if (!name.endsWith('_total')) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta !== 0) out[key] = Math.round(delta * 1e6) / 1e6;
  }
  return out;
}

/** Drop counters of the gateway's /metrics (see src/metrics/session-metrics.ts). */
export function droppedFromCounters(counters: Record<string, number>): number {
  let n = 0;
  for (const [key, value] of Object.entries(counters)) {
    if (key.startsWith('wavegate_frames_dropped_total') || key.startsWith('wavegate_messages_dropped_total') || key.startsWith('wavegate_jitter_packets_discarded_total')) n += value;
  }
  return n;
}

/** Event-loop delay quantile `q` in ms; a `--workers` box labels it per worker, so the worst worker's. */
export function eventLoopDelayMs(m: ReadonlyMap<string, number>, q: string): number {
  let worst = Number.NaN;
  for (const [key, value] of m) {
    if (!key.startsWith('wavegate_event_loop_delay_seconds{') || !key.includes(`quantile="${q}"`)) continue;
    if (Number.isNaN(worst) || value > worst) worst = value;
  }
  return Math.round(worst * 1e5) / 100;
}

async function connect(ctx: StepContext, sessions: number): Promise<{ opened: number; failed: number; firstError: string | undefined }> {
  const { pool, server, target, variant, wavPath } = ctx;
  // A WebRTC peer's setup (ICE, then a DTLS handshake in JavaScript on both ends) takes far longer than an upgrade.
  const webrtc = variant !== 'idle' && VARIANTS[variant].transport === 'webrtc';
  const replies = await pool.request(
    (i) => ({
      type: 'connect',
      // The WebRTC variant posts its offers to the same server's /webrtc/offer.
      url: webrtc ? `${server.url}/webrtc/offer` : server.wsUrl,
      count: share(sessions, pool.size, i),
      idPrefix: `${target}-${variant}-${sessions}-w${i}`,
      variant: variant === 'idle' ? 'mulaw-json' : variant,
      wavPath,
      connectTimeoutMs: webrtc ? 60_000 : 15_000,
    }),
    'connected',
    webrtc ? 60_000 + sessions * 1000 : 30_000 + sessions * 50,
  );
  return {
    opened: replies.reduce((n, r) => n + r.opened, 0),
    failed: replies.reduce((n, r) => n + r.failed, 0),
    firstError: replies.find((r) => r.firstError !== undefined)?.firstError,
  };
}

/** One step of the ramp: connect `sessions`, warm up, measure the hold, drain, close. Bounded in time. */
export async function runStep(ctx: StepContext, sessions: number): Promise<StepResult> {
  const { pool, server, options } = ctx;
  const active = ctx.variant !== 'idle';
  const warmupMs = (active ? options.warmupS : options.idleWarmupS) * 1000;
  const holdMs = (active ? options.holdS : options.idleHoldS) * 1000;
  const drainMs = active ? options.drainMs : 0;
  const label = `${ctx.target} ${ctx.variant} ${sessions}`;
  ctx.progress(`${label}: connecting…`);
  const { opened, failed, firstError } = await connect(ctx, sessions);

  const scrapeErrors: string[] = [];
  // A server too starved to answer /metrics in time costs this step its counters, not the whole run.
  const scrapeOrEmpty = (): Promise<Map<string, number>> =>
    scrape(server.url).catch((err: unknown) => {
      scrapeErrors.push(err instanceof Error ? err.message : String(err));
      return new Map<string, number>();
    });
  const before = await scrapeOrEmpty();
  const t0 = performance.now() + 5;
  const measureFrom = t0 + warmupMs;
  const measureUntil = measureFrom + holdMs;
  let rounds = 0;
  const latest: Array<{ rtt: HistogramSnapshot; sent: number; received: number } | undefined> = [];
  const off = pool.onMessage((index, message) => {
    if (message.type !== 'progress') return;
    latest[index] = message;
    if (++rounds % pool.size !== 0) return;
    const parts = latest.filter((m) => m !== undefined);
    const h = merge(parts.map((m) => m.rtt));
    const sent = parts.reduce((n, m) => n + m.sent, 0);
    const received = parts.reduce((n, m) => n + m.received, 0);
    const now = performance.now();
    const phase = now < measureFrom ? 'warmup' : now < measureUntil ? `hold ${((now - measureFrom) / 1000).toFixed(0)}/${holdMs / 1000}s` : 'drain';
    ctx.progress(
      `${label} sessions (${opened} open) ${phase}  rtt/1s p50 ${h.percentile(50).toFixed(1)} p99 ${h.percentile(99).toFixed(1)} max ${h.maxMs.toFixed(1)} ms  sent ${sent} recv ${received}`,
    );
  });
  const results = pool.request(
    () => ({ type: 'run', active, frameMs: options.frameMs, slots: options.slots, warmupMs, holdMs, drainMs }),
    'result',
    warmupMs + holdMs + drainMs + 30_000,
  );
  await sleepUntil(measureFrom);
  // Starts the event-loop delay window; before the CPU readings, so the benchmark's own scrape (the
  // metrics text of every open session) is not counted as the server's cost.
  await scrape(server.url);
  const gc0 = await server.gcSample();
  const proc0 = treeSample(server.pid);
  const gen0 = process.cpuUsage();
  const sys0 = systemCpuSample();
  const genT0 = performance.now();
  await sleepUntil(measureUntil);
  const proc1 = treeSample(server.pid);
  const genUs = process.cpuUsage(gen0);
  const sys1 = systemCpuSample();
  const genT1 = performance.now();
  const gc1 = await server.gcSample();
  const during = await scrapeOrEmpty();
  let replies: RunResult[];
  try {
    replies = await results;
  } finally {
    off();
  }
  const after = await scrapeOrEmpty();
  await pool.request((): { type: 'close'; timeoutMs: number } => ({ type: 'close', timeoutMs: 5000 }), 'closed', 30_000);

  const rtt = merge(replies.map((r) => r.rtt));
  const sendLag = merge(replies.map((r) => r.sendLag));
  const sum = (f: (r: RunResult) => number) => replies.reduce((n, r) => n + f(r), 0);
  const closedEarly: Record<string, number> = {};
  for (const r of replies) for (const [code, n] of Object.entries(r.closedEarly)) closedEarly[code] = (closedEarly[code] ?? 0) + n;
  const markersSent = sum((r) => r.markersSent);
  const lost = sum((r) => r.markersLost);
  const lossRatio = markersSent === 0 ? 0 : lost / markersSent;
  const serverCounters = counterDeltas(before, after);
  const budget = options.frameMs + options.p99BudgetMs;
  const p = percentiles(rtt);
  const serverCpu = treeCpuPercent(proc0, proc1);
  const serverCpuS = treeCpuSeconds(proc0, proc1);
  const mainRun = proc1.mainRunS - proc0.mainRunS;
  const share = mainRun > 0 ? mainRun / (mainRun + (proc1.mainWaitS - proc0.mainWaitS)) : 1;
  const generatorCpu = (genUs.user + genUs.system) / 1000 / (genT1 - genT0) * 100;
  const busy = (100 * (sys1.busyS - sys0.busyS)) / ((genT1 - genT0) / 1000);
  const steal = (100 * (sys1.stealS - sys0.stealS)) / ((genT1 - genT0) / 1000);
  const result = {
    opened,
    sessions,
    firstError,
    closedEarly,
    active,
    rttMs: p,
    lossRatio,
  };
  const failReason = judge(result, budget, options.maxLossRatio);
  return {
    sessions,
    opened,
    failedToOpen: failed,
    firstError,
    rttMs: p,
    late: rtt.countAbove(budget),
    framesSent: sum((r) => r.framesSent),
    framesReceived: sum((r) => r.framesReceived),
    framesReceivedInHold: sum((r) => r.framesReceivedInHold),
    markersSent,
    markersMatched: sum((r) => r.markersMatched),
    lost,
    lossRatio: Math.round(lossRatio * 1e6) / 1e6,
    spuriousOnsets: sum((r) => r.spuriousOnsets),
    generatorSkipped: sum((r) => r.skippedGeneratorLate + r.skippedBackpressure),
    closedEarly,
    sendLagMs: percentiles(sendLag),
    server: {
      cpuPercent: Math.round(serverCpu * 10) / 10,
      cpuPercentByProcess: cpuPercentByProcess(proc0, proc1),
      rssKiB: proc1.rssKiB,
      rssGrowthKiB: proc1.rssKiB - ctx.freshRssKiB,
      eventLoopDelayMs: { p50: eventLoopDelayMs(during, '0.5'), p99: eventLoopDelayMs(during, '0.99'), max: eventLoopDelayMs(during, '1') },
      gcMs: Math.round((gc1.gcMs - gc0.gcMs) * 10) / 10,
      gcCount: gc1.gcCount - gc0.gcCount,
      // The probe's longest pause restarts at every reading: gc1's covers the hold.
      gcLongestPauseMs: Math.round((gc1.longestPauseMs ?? Number.NaN) * 100) / 100,
      gcLongPauses: gc1.longPauses ?? Number.NaN,
      gcPercentOfCpu: serverCpuS > 0 ? Math.round((((gc1.gcMs - gc0.gcMs) * share) / 10 / serverCpuS) * 100) / 100 : 0,
      cpuShare: Math.round(share * 1000) / 1000,
    },
    generatorCpuPercent: Math.round(generatorCpu * 10) / 10,
    machineCpuPercent: { busy: Math.round(busy), other: Math.round(Math.max(0, busy - serverCpu - generatorCpu)), steal: Math.round(steal) },
    serverCounters,
    serverDropped: droppedFromCounters(serverCounters),
    scrapeErrors,
    pass: failReason === undefined,
    failReason,
  };
}
