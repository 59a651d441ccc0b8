import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { descendants, parentPids } from './process-tree.js';

export { cpuPercent, procSample, systemCpuSample, type ProcSample, type SystemCpuSample } from './proc-stat.js';

/** A server under test in its own process: the gateway's CLI or the bare relay. */
export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly wsUrl: string;
  /**
   * Garbage-collection time and count since each process started (from gc-probe.ts, preloaded), summed over
   * the server's process tree (a `--workers N` gateway's primary and workers).
   */
  gcSample(): Promise<GcSample>;
  stop(): Promise<void>;
}

export interface GcSample {
  readonly gcMs: number;
  readonly gcCount: number;
  /** The longest pause and the pauses ≥ 4 ms since the previous sample (of any process of the tree). */
  readonly longestPauseMs?: number;
  readonly longPauses?: number;
  /** Processes whose probe answered (the tree's node processes; absent on a single process's own answer). */
  readonly processes?: number;
}

/** The node flags that preload the GC probe into a server under test. */
export function gcProbeArgs(): string[] {
  return ['--import', new URL('./gc-probe.js', import.meta.url).href];
}

/** Whether a process was started with the GC probe preloaded (only those may get SIGUSR2: it kills others). */
function hasGcProbe(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('gc-probe');
  } catch {
    return false;
  }
}

/**
 * Starts `node <args>` and waits for the line `… listening on http://HOST:PORT` (at most `timeoutMs`).
 * The child is the node process itself (no shell, no npm), so /proc/<pid> is the server (or, for a
 * `--workers N` gateway, the root of its process tree: process-tree.ts).
 */
export function startServer(args: readonly string[], wsPath: string, timeoutMs = 60_000): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...gcProbeArgs(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in ${timeoutMs} ms: ${args.join(' ')}\n${out}${err}`));
    }, timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening: ${args.join(' ')}\n${out}${err}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (!match || child.pid === undefined) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.removeAllListeners('exit');
      let stopping = false;
      // A server that dies mid-run says why (the ramp then fails on its next request).
      child.once('exit', (code, signal) => {
        if (!stopping) process.stderr.write(`\nserver ${args.join(' ')} exited with ${code ?? signal} during the run:\n${err}\n`);
      });
      // After the banner, stdout carries the GC probe's answers, one line per process (other lines are dropped).
      let pendingGc: Array<(answer: { pid: number | undefined; sample: GcSample }) => void> = [];
      let tail = '';
      child.stdout!.on('data', (d: Buffer) => {
        tail += d.toString();
        let nl: number;
        while ((nl = tail.indexOf('\n')) >= 0) {
          const line = tail.slice(0, nl);
          tail = tail.slice(nl + 1);
          const gc = /^wg-gc-probe (\S+) (\d+)(?: (\d+))?(?: (\S+) (\d+))?$/.exec(line);
          if (!gc) continue;
          const answer = { pid: gc[3] === undefined ? undefined : Number(gc[3]), sample: { gcMs: Number(gc[1]), gcCount: Number(gc[2]), ...(gc[4] !== undefined && { longestPauseMs: Number(gc[4]), longPauses: Number(gc[5]) }) } };
          for (const listener of [...pendingGc]) listener(answer);
        }
        if (tail.length > 4096) tail = '';
      });
      const url = match[1]!;
      resolve({
        pid: child.pid,
        url,
        wsUrl: `${url.replace(/^http/, 'ws')}${wsPath}`,
        gcSample: () =>
          new Promise<GcSample>((done) => {
            const pids = descendants(child.pid!, parentPids()).filter(hasGcProbe);
            const answers = new Map<number, GcSample>();
            const finish = (sample: GcSample) => {
              clearTimeout(timer);
              pendingGc = pendingGc.filter((l) => l !== listener);
              done(sample);
            };
            // A server that is saturated may not run its event loop for seconds: no reading (NaN), no failure.
            const timer = setTimeout(() => finish({ gcMs: Number.NaN, gcCount: Number.NaN }), 15_000);
            const listener = ({ pid, sample }: { pid: number | undefined; sample: GcSample }) => {
              answers.set(pid ?? child.pid!, sample);
              if (!pids.every((p) => answers.has(p))) return;
              const all = [...answers.values()];
              finish({
                gcMs: all.reduce((n, a) => n + a.gcMs, 0),
                gcCount: all.reduce((n, a) => n + a.gcCount, 0),
                longestPauseMs: all.reduce((n, a) => Math.max(n, a.longestPauseMs ?? 0), 0),
                longPauses: all.reduce((n, a) => n + (a.longPauses ?? 0), 0),
                processes: all.length,
              });
            };
            pendingGc.push(listener);
            for (const pid of pids) {
              try {
                process.kill(pid, 'SIGUSR2');
              } catch {
                answers.set(pid, { gcMs: 0, gcCount: 0 }); // exited since the scan
              }
            }
          }),
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            stopping = true;
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

/** Parses Prometheus text exposition into `name{labels}` → value (labels as written by prom-client). */
export function parsePrometheus(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

/** GET /metrics; a server too starved to answer (twice, 30 s each) gives an empty reading, not a failed run. */
export async function scrape(url: string): Promise<Map<string, number>> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`GET ${url}/metrics: ${response.status}`);
      return parsePrometheus(await response.text());
    } catch (err) {
      if (attempt === 1) console.error(`bench:load: no /metrics from ${url}: ${(err as Error).message}`);
    }
  }
  return new Map();
}
