import { readFileSync } from 'node:fs';

/** CPU and memory readings from /proc (Linux only), of one process or of the whole machine. */

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
