/**
 * `npm run bench:load [-- --quick] [-- --workers N]`: the gateway (its CLI, in its own process; with
 * `--workers N` also `serve --workers N`, a primary and N workers) and a bare `ws` echo relay (its own
 * process) driven in turn by the same load generator (this process, sessions spread over worker threads),
 * ramping sessions in steps; JSON to bench/results/, an SVG chart, markdown tables on stdout.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAUNCH_FLAGS } from '../../src/cli/heap-tuning.js';
import { renderChart } from './chart-svg.js';
import { gatewayWorkersOf, parseLoadOptions, targetsOf, USAGE, type LoadOptions, type TargetName } from './load-options.js';
import { capacityTable, checkTargets, markdownTable, ratios, sessionsPerCore, sessionsPerCoreByFrames, workersComparison, workersTable, type IdleResult, type RampResult, type Ramps } from './load-report.js';
import { runStep } from './load-step.js';
import { rampVariant } from './ramp.js';
import { MARKER_PERIOD } from './media-variants.js';
import { treeSample } from './process-tree.js';
import { startServer, type ServerProcess } from './server-process.js';
import { WorkerPool } from './worker-pool.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const WAV = join(ROOT, 'test', 'fixtures', 'speech', 's01-slt.wav');

const tty = process.stderr.isTTY;
let lastLine = 0;
function progress(line: string, final = false): void {
  if (tty) {
    process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
  } else if (final || performance.now() - lastLine > 5000) {
    lastLine = performance.now();
    process.stderr.write(`${line}\n`);
  }
}

/**
 * Both servers run under the node flags `npx wavegate` starts the gateway with (the first line of
 * bin/wavegate.js, LAUNCH_FLAGS), so the ratio compares the code on one runtime configuration.
 */
function startTarget(target: TargetName): Promise<ServerProcess> {
  const workers = gatewayWorkersOf(target);
  if (workers !== undefined) {
    // Idle timeout raised so the silent sessions of the idle run are not closed while measured.
    const args = [...LAUNCH_FLAGS, join(ROOT, 'bin', 'wavegate.js'), 'serve', '--port', '0', '--idle-timeout', '3600'];
    return startServer(workers > 1 ? [...args, '--workers', String(workers)] : args, '/websocket/offer');
  }
  return startServer([...LAUNCH_FLAGS, join(ROOT, 'dist', 'bench', 'load', 'baseline-relay.js'), '--port', '0'], '/websocket/offer');
}

/** One figure per variant and target, keyed like the ramps (`baseline`, `gateway`, `gateway-wN`). */
function perTarget<T>(ramps: Ramps, pick: (ramp: RampResult | undefined) => T): Record<string, Record<string, T>> {
  return Object.fromEntries(Object.entries(ramps).map(([v, r]) => [v, Object.fromEntries(Object.entries(r ?? {}).map(([t, ramp]) => [t, pick(ramp)]))]));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function freshServer(target: TargetName): Promise<{ server: ServerProcess; freshRssKiB: number }> {
  const server = await startTarget(target);
  await sleep(500);
  return { server, freshRssKiB: treeSample(server.pid).rssKiB };
}

/** The commit the gateway was built from, and whether src/ or handlers/ had uncommitted changes. */
function revision(): { commit: string; uncommittedFiles: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--', 'src', 'handlers', 'bin'], { cwd: ROOT, encoding: 'utf8' });
    return { commit, uncommittedFiles: status.split('\n').filter(Boolean).map((l) => l.slice(3)) };
  } catch {
    return { commit: 'unknown (not a git checkout)', uncommittedFiles: [] };
  }
}

function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  return {
    nproc: os.availableParallelism(),
    cpuModel: /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? 'unknown',
    node: process.version,
    totalMemMiB: Math.round(os.totalmem() / 2 ** 20),
    kernel: os.release(),
  };
}

async function main(options: LoadOptions): Promise<void> {
  const began = performance.now();
  const elapsedS = () => (performance.now() - began) / 1000;
  const loadBefore = os.loadavg();
  const pool = new WorkerPool(options.loadThreads);
  const targets = targetsOf(options);
  const ramps: Ramps = {};
  // Time the idle runs need at the end, kept out of the ramps' budget.
  const idleReserveS = options.idleSessions > 0 ? targets.length * (options.idleWarmupS + options.idleHoldS + 6 + options.idleSessions / 250) : 0;
  const roundCostS = (n: number) => targets.length * (options.warmupS + options.holdS + options.drainMs / 1000 + 2 + n / 400);
  try {
    for (const [i, variant] of options.variants.entries()) {
      const variantsAfter = options.variants.length - i - 1;
      ramps[variant] = await rampVariant(
        {
          pool,
          options,
          wavPath: WAV,
          freshServer,
          progress,
          // Room for this round, two rounds of every variant still to come, and the idle runs.
          timeLeftFor: (n) => elapsedS() + roundCostS(n) + variantsAfter * 2 * roundCostS(200) + idleReserveS <= options.budgetS,
        },
        variant,
      );
    }

    const idle: Partial<Record<TargetName, IdleResult>> = {};
    if (options.idleSessions > 0) {
      for (const target of targets) {
        const { server, freshRssKiB } = await freshServer(target);
        try {
          const step = await runStep({ pool, server, target, variant: 'idle', options, wavPath: WAV, freshRssKiB, progress: (l) => progress(l) }, options.idleSessions);
          idle[target] = {
            sessions: options.idleSessions,
            opened: step.opened,
            cpuPercent: step.server.cpuPercent,
            rssBeforeKiB: freshRssKiB,
            rssAfterKiB: step.server.rssKiB,
            rssPerSessionKiB: Math.round((step.server.rssGrowthKiB / Math.max(1, step.opened)) * 10) / 10,
            eventLoopDelayMs: step.server.eventLoopDelayMs,
            machineCpuPercent: step.machineCpuPercent,
          };
          progress(`${target.padEnd(10)} idle        ${options.idleSessions} sessions  server cpu ${step.server.cpuPercent}%  rss +${idle[target]!.rssPerSessionKiB} KiB/session  other ${step.machineCpuPercent.other}% steal ${step.machineCpuPercent.steal}%`, true);
        } finally {
          await server.stop();
        }
      }
    }

    const budget = options.frameMs + options.p99BudgetMs;
    const result = {
      meta: {
        date: new Date().toISOString(),
        command: `npm run bench:load${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
        argv: process.argv.slice(2),
        machine: machine(),
        revision: revision(),
        loadAverageBefore: loadBefore.map((x) => Math.round(x * 100) / 100),
        loadAverageAfter: os.loadavg().map((x) => Math.round(x * 100) / 100),
        durationS: Math.round(elapsedS()),
        options,
        method: {
          signal: `quiet speech (loudest 20 ms frame −30 dBFS RMS) with every ${MARKER_PERIOD}th frame replaced by a −9 dBFS 1 kHz tone (a marker)`,
          matching: 'a reply frame louder than −20 dBFS after a quieter one is the oldest outstanding marker coming back; markers not back within 1 s are lost. Counting frames cannot match replies to frames: the jitter buffer conceals, stretches and resamples',
          rtt: 'from the moment a marker frame is handed to the client socket to the moment the first reply frame carrying it is read, both in the generator worker (performance.now)',
          pass: `opened all sessions, none closed early, p99 RTT ≤ frameMs + ${options.p99BudgetMs} = ${budget} ms, lost ≤ ${options.maxLossRatio * 100}%`,
          late: `frames whose RTT exceeded ${budget} ms`,
          lost: 'markers not back within 1 s, over warmup, hold and drain',
          nodeFlags: `both servers started as node ${LAUNCH_FLAGS.join(' ')} SCRIPT (the flags on bin/wavegate.js's first line)`,
          cpu: 'server: utime+stime from /proc/<pid>/stat over the hold, summed over the server process and its descendants (a --workers gateway: primary + workers); machine: /proc/stat; percent of ONE core',
        },
      },
      ramps,
      capacity: perTarget(ramps, (r) => r?.capacity),
      ratios: ratios(ramps),
      ratiosFloorBudget: ratios(ramps, 'saturationCapacity'),
      sessionsPerCore: perTarget(ramps, (r) => sessionsPerCore(r, options)),
      sessionsPerCoreByFrames: perTarget(ramps, (r) => sessionsPerCoreByFrames(r, options)),
      workers: workersComparison(ramps, options),
      idle,
      targets: checkTargets(ramps, idle.gateway, options),
    };
    const out = resolve(ROOT, options.out);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const chart = resolve(ROOT, options.chart);
    writeFileSync(chart, renderChart(ramps, budget, `p99 round trip vs sessions — gateway (solid${options.gatewayWorkers > 1 ? `; ${options.gatewayWorkers} workers dash-dot` : ''}) and bare ws relay (dashed), ${machine().nproc} cores`));

    process.stdout.write(`\n${capacityTable(ramps, options)}\n\n${markdownTable(ramps)}\n\n`);
    if (Object.keys(result.workers).length > 0) process.stdout.write(`${workersTable(result.workers)}\n\n`);
    if (idle.gateway) process.stdout.write(`idle: ${JSON.stringify(idle)}\n`);
    for (const t of result.targets) process.stdout.write(`${t.met === undefined ? '?' : t.met ? 'MET ' : 'MISS'}  ${t.goal}: ${t.value}\n`);
    process.stdout.write(`\nwrote ${relative(process.cwd(), out)} and ${relative(process.cwd(), chart)} in ${Math.round(elapsedS())} s\n`);
  } finally {
    await pool.close();
  }
}

const parsed = parseLoadOptions(process.argv.slice(2));
if (parsed === 'help') {
  process.stdout.write(USAGE);
} else {
  main(parsed).catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
