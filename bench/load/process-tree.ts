import { readdirSync, readFileSync } from 'node:fs';
import { procSample, type ProcSample } from './proc-stat.js';

/**
 * A server under test and every process below it (a `--workers N` gateway is its primary and N workers,
 * node:cluster children). Sessions per core have to count the CPU of all of them, not only the pid that
 * was spawned (docs/scale-out.md, "What it costs").
 */

/** `pid → ppid` of every process on the machine, from /proc/<pid>/stat (Linux only). Processes that vanish mid-scan are skipped. */
export function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After the parenthesised command name: state, ppid, …
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(ppid)) parents.set(Number(entry), ppid);
    } catch {
      // exited between readdir and read
    }
  }
  return parents;
}

/** `root` and its descendants, root first, then breadth-first in pid order. Pure. */
export function descendants(root: number, parentOf: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) {
    if (pid === ppid) continue;
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out = [root];
  const seen = new Set(out);
  for (let i = 0; i < out.length; i++) {
    for (const child of (children.get(out[i]!) ?? []).sort((a, b) => a - b)) {
      if (seen.has(child)) continue;
      seen.add(child);
      out.push(child);
    }
  }
  return out;
}

/** Sums over a process tree (CPU of every thread of every process, RSS, main threads' run/wait), with each process's own sample. */
export interface TreeSample extends ProcSample {
  readonly byPid: ReadonlyMap<number, ProcSample>;
}

/** Sums of per-process samples; `at` is the latest reading's. Pure. */
export function sumSamples(byPid: ReadonlyMap<number, ProcSample>): TreeSample {
  let at = 0;
  let cpuS = 0;
  let rssKiB = 0;
  let hwmKiB = 0;
  let mainRunS = 0;
  let mainWaitS = 0;
  for (const s of byPid.values()) {
    at = Math.max(at, s.at);
    cpuS += s.cpuS;
    rssKiB += s.rssKiB;
    hwmKiB += s.hwmKiB;
    mainRunS += s.mainRunS;
    mainWaitS += s.mainWaitS;
  }
  return { at, cpuS, rssKiB, hwmKiB, mainRunS, mainWaitS, byPid };
}

/** procSample of `root` and every descendant alive now. */
export function treeSample(root: number): TreeSample {
  const byPid = new Map<number, ProcSample>();
  for (const pid of descendants(root, parentPids())) {
    try {
      byPid.set(pid, procSample(pid));
    } catch {
      // exited since the scan
    }
  }
  return sumSamples(byPid);
}

/**
 * CPU seconds the tree used between two samples: for each process alive at `b`, its CPU at `b` minus its
 * CPU at `a` (all of it when it started in between, e.g. a replaced worker). A process that exited in
 * between is not counted (its last CPU reading is gone). Pure.
 */
export function treeCpuSeconds(a: TreeSample, b: TreeSample): number {
  let s = 0;
  for (const [pid, later] of b.byPid) s += later.cpuS - (a.byPid.get(pid)?.cpuS ?? 0);
  return s;
}

/** Percent of ONE core the tree used between two samples (200 = two cores busy). Pure. */
export function treeCpuPercent(a: TreeSample, b: TreeSample): number {
  return (100 * treeCpuSeconds(a, b)) / ((b.at - a.at) / 1000);
}

/** Percent of one core per process (tree order of `b`), for showing where a box's CPU went. Pure. */
export function cpuPercentByProcess(a: TreeSample, b: TreeSample): number[] {
  const wallS = (b.at - a.at) / 1000;
  return [...b.byPid].map(([pid, later]) => Math.round(((1000 * (later.cpuS - (a.byPid.get(pid)?.cpuS ?? 0))) / wallS)) / 10);
}
