import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A server under test in its own process: the gateway's CLI or the bare relay. */
export interface ServerProcess {
  readonly pid: number;
  readonly url: string;
  readonly wsUrl: string;
  /** Garbage-collection time and count since the process started (from gc-probe.ts, preloaded). */
  gcSample(): Promise<GcSample>;
  stop(): Promise<void>;
}

export interface GcSample {
  readonly gcMs: number;
  readonly gcCount: number;
}

/** The node flags that preload the GC probe into a server under test. */
export function gcProbeArgs(): string[] {
  return ['--import', new URL('./gc-probe.js', import.meta.url).href];
}

export interface ProcSample {
  /** performance.now() when read. */
  readonly at: number;
  /** utime + stime of every thread, seconds. */
  readonly cpuS: number;
  readonly rssKiB: number;
  readonly hwmKiB: number;
  /** Main thread: time on a CPU and time runnable but waiting for one, seconds (/proc/<pid>/schedstat). */
  readonly mainRunS: number;
  readonly mainWaitS: number;
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux; `getconf CLK_TCK` says 100 on this box

/** CPU and memory of a process from /proc/<pid>/stat and /proc/<pid>/status (Linux only). */
export function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name (which may itself contain spaces).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  const [run = Number.NaN, wait = Number.NaN] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
  return { at: performance.now(), cpuS: (utime + stime) / CLK_TCK, rssKiB: kib('VmRSS'), hwmKiB: kib('VmHWM'), mainRunS: run / 1e9, mainWaitS: wait / 1e9 };
}

/** Percent of one core used between two samples. */
export function cpuPercent(a: ProcSample, b: ProcSample): number {
  return (100 * (b.cpuS - a.cpuS)) / ((b.at - a.at) / 1000);
}

/**
 * Starts `node <args>` and waits for the line `… listening on http://HOST:PORT` (at most `timeoutMs`).
 * The child is the node process itself (no shell, no npm), so /proc/<pid> is the server.
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
      // After the banner, stdout carries the GC probe's answers (other lines are dropped).
      let pendingGc: Array<(sample: GcSample) => void> = [];
      let tail = '';
      child.stdout!.on('data', (d: Buffer) => {
        tail += d.toString();
        let nl: number;
        while ((nl = tail.indexOf('\n')) >= 0) {
          const line = tail.slice(0, nl);
          tail = tail.slice(nl + 1);
          const gc = /^wg-gc-probe (\S+) (\d+)$/.exec(line);
          if (!gc) continue;
          const sample = { gcMs: Number(gc[1]), gcCount: Number(gc[2]) };
          const waiting = pendingGc;
          pendingGc = [];
          for (const done of waiting) done(sample);
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
            // A server that is saturated may not run its event loop for seconds: no reading (NaN), no failure.
            const timer = setTimeout(() => done({ gcMs: Number.NaN, gcCount: Number.NaN }), 15_000);
            pendingGc.push((sample) => {
              clearTimeout(timer);
              done(sample);
            });
            child.kill('SIGUSR2');
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

export interface SystemCpuSample {
  /** Time the cores ran anything (user, nice, system, irq, softirq), seconds. */
  readonly busyS: number;
  /** Time the hypervisor gave the cores to someone else (steal), seconds. */
  readonly stealS: number;
  readonly totalS: number;
}

/** Whole-machine CPU time from the first line of /proc/stat (all cores), seconds. */
export function systemCpuSample(): SystemCpuSample {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [, ...ticks] = line.trim().split(/\s+/);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = ticks.map(Number);
  return { busyS: (user + nice + system + irq + softirq) / CLK_TCK, stealS: steal / CLK_TCK, totalS: (user + nice + system + idle + iowait + irq + softirq + steal) / CLK_TCK };
}
