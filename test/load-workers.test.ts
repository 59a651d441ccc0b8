// bench:load's `--workers N` (docs/scale-out.md, "What it costs"): option parsing, the targets it ramps, and the
// CPU of a server's whole process tree (a real parent burning nothing whose child burns a core; a real
// `serve --workers 2` box answering the GC probe from each of its three processes). npm test builds dist/ first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { gatewayWorkersOf, parseLoadOptions, targetsOf, USAGE, type LoadOptions } from '../bench/load/load-options.js';
import { eventLoopDelayMs } from '../bench/load/load-step.js';
import { cpuPercentByProcess, descendants, sumSamples, treeCpuSeconds, treeSample } from '../bench/load/process-tree.js';
import type { ProcSample } from '../bench/load/proc-stat.js';
import { EchoSession } from './cluster-support.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function options(argv: string[]): LoadOptions {
  const o = parseLoadOptions(argv);
  if (o === 'help') throw new Error('help');
  return o;
}

describe('bench:load options', () => {
  it('--workers N ramps the one-process gateway and `serve --workers N` beside the relay; --load-threads sizes the generator', () => {
    const o = options(['--workers', '2']);
    expect(o.gatewayWorkers).toBe(2);
    expect(o.loadThreads).toBe(2);
    expect(targetsOf(o)).toEqual(['baseline', 'gateway', 'gateway-w2']);
    expect(options(['--load-threads', '3']).loadThreads).toBe(3);
    expect(targetsOf(options([]))).toEqual(['baseline', 'gateway']);
    expect(targetsOf(options(['--workers', '1']))).toEqual(['baseline', 'gateway']);
    expect(targetsOf(options(['--targets', 'gateway', '--workers', '3']))).toEqual(['gateway', 'gateway-w3']);
    expect(targetsOf(options(['--targets', 'baseline', '--workers', '3']))).toEqual(['baseline']);
    expect(USAGE).toContain('--load-threads N');
    expect(options([]).pastLatency).toBe(false);
    expect(options(['--past-latency']).pastLatency).toBe(true);
  });

  it('refuses a worker count that is not a positive integer', () => {
    for (const bad of ['0', '1.5', 'two', '65']) expect(() => parseLoadOptions(['--workers', bad])).toThrow(/--workers/);
    expect(() => parseLoadOptions(['--load-threads', '0'])).toThrow(/--load-threads/);
  });

  it('--idle-warmup and --idle-hold set the idle run\'s wait and measurement', () => {
    const o = options(['--idle-warmup', '15', '--idle-hold', '20']);
    expect([o.idleWarmupS, o.idleHoldS]).toEqual([15, 20]);
    expect([options([]).idleWarmupS, options([]).idleHoldS]).toEqual([2, 10]);
    expect(() => parseLoadOptions(['--idle-hold', '0'])).toThrow(/--idle-hold/);
    expect(() => parseLoadOptions(['--idle-warmup', 'soon'])).toThrow(/--idle-warmup/);
  });

  it('reads a target name as its worker count', () => {
    expect(gatewayWorkersOf('baseline')).toBeUndefined();
    expect(gatewayWorkersOf('gateway')).toBe(1);
    expect(gatewayWorkersOf('gateway-w4')).toBe(4);
  });
});

const sample = (cpuS: number, at = 1000): ProcSample => ({ at, cpuS, rssKiB: 10, hwmKiB: 10, mainRunS: 0, mainWaitS: 0 });

describe('process tree CPU', () => {
  it('finds every descendant of the root and nothing else', () => {
    // 1 ← 10 (root) ← 11, 12 ← 13; 20 is a sibling of the root; 30 its own parent.
    const parents = new Map([
      [10, 1],
      [12, 10],
      [11, 10],
      [13, 12],
      [20, 1],
      [30, 30],
    ]);
    expect(descendants(10, parents)).toEqual([10, 11, 12, 13]);
    expect(descendants(20, parents)).toEqual([20]);
  });

  it('sums each process over the interval, counts a process that started in it whole, skips one that exited', () => {
    const a = sumSamples(new Map([[1, sample(5, 0)], [2, sample(3, 0)], [3, sample(9, 0)]]));
    const b = sumSamples(new Map([[1, sample(5.5)], [2, sample(4)], [4, sample(0.25)]]));
    expect(treeCpuSeconds(a, b)).toBeCloseTo(0.5 + 1 + 0.25, 9);
    expect(cpuPercentByProcess(a, b)).toEqual([50, 100, 25]);
    expect(b.rssKiB).toBe(30);
  });

  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  it('counts the CPU of a child process, not only the root', async () => {
    // The root idles; its child spins for 3 s.
    const spin = 'const t = Date.now(); while (Date.now() - t < 3000);';
    child = spawn(process.execPath, ['-e', `require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(spin)}], { stdio: 'inherit' }); setTimeout(() => {}, 5000);`], { stdio: 'ignore' });
    const pid = child.pid!;
    let before = treeSample(pid);
    for (let i = 0; i < 100 && before.byPid.size < 2; i++) {
      await new Promise((r) => setTimeout(r, 20));
      before = treeSample(pid);
    }
    expect(before.byPid.size).toBe(2);
    await new Promise((r) => setTimeout(r, 1000));
    const after = treeSample(pid);
    const [rootCpu = Number.NaN, childCpu = Number.NaN] = cpuPercentByProcess(before, after);
    // The spinning child gets a share of a core even on a machine shared with other work (load 8 on 2
    // cores still left it ~28 %); the idle root almost none. The tree's CPU is both.
    expect(childCpu).toBeGreaterThan(5);
    expect(childCpu).toBeGreaterThan(3 * rootCpu);
    const rootS = after.byPid.get(pid)!.cpuS - before.byPid.get(pid)!.cpuS;
    expect(treeCpuSeconds(before, after)).toBeGreaterThan(rootS + 0.04);
  });
});

describe('a `serve --workers 2` box as a load target', () => {
  it('is three processes, each answers the GC probe, and its event-loop delay is the worst worker’s (a stall shows)', async () => {
    for (const file of ['bench/load/server-process', 'bench/load/process-tree', 'bench/load/gc-probe', 'src/cluster/workers-primary']) {
      const built = `${root}dist/${file}.js`;
      if (!existsSync(built) || statSync(`${root}${file}.ts`).mtimeMs > statSync(built).mtimeMs) {
        throw new Error(`dist/${file}.js is missing or older than its source: run \`npx tsc -p tsconfig.json\` first (npm test does)`);
      }
    }
    // The compiled module: its GC probe preload is dist/bench/load/gc-probe.js.
    const { startServer, scrape } = (await import(`${root}dist/bench/load/server-process.js`)) as typeof import('../bench/load/server-process.js');
    const server = await startServer([`${root}bin/wavegate.js`, 'serve', '--port', '0', '--workers', '2', '--handler', `${root}test/stall-handler.mjs`], '/websocket/offer');
    try {
      const tree = treeSample(server.pid);
      expect(tree.byPid.size).toBe(3);
      const gc = await server.gcSample();
      expect(gc.processes).toBe(3);
      expect(Number.isFinite(gc.gcMs)).toBe(true);
      await scrape(server.url); // starts every worker's event-loop delay window
      // The handler blocks the worker that takes this session for 200 ms at its start.
      const session = await EchoSession.open(server.url, 'stall-1');
      await session.echoes(5);
      session.close();
      const metrics = await scrape(server.url);
      // Was ~0 while a worker's answer to the primary collected its registry twice (the first reset the window).
      expect(eventLoopDelayMs(metrics, '1')).toBeGreaterThanOrEqual(150);
      const perWorker = [...metrics].filter(([k]) => k.startsWith('wavegate_event_loop_delay_seconds{') && k.includes('quantile="1"')).map(([, v]) => v);
      expect(perWorker).toHaveLength(2);
      expect(eventLoopDelayMs(metrics, '1')).toBe(Math.round(Math.max(...perWorker) * 1e5) / 100);
    } finally {
      await server.stop();
    }
  });
});
