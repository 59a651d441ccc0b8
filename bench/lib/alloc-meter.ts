/**
 * Allocation and GC accounting for the whole-session rows of `bench:paths`.
 *
 * - GC time: `perf_hooks` 'gc' entries (every scavenge and mark-compact, with its duration) summed over a
 *   timed run, as a share of the process CPU time of that run.
 * - Bytes allocated per frame: the growth of V8's used heap (`heapUsed`) and of memory held by
 *   ArrayBuffers (`arrayBuffers`: the off-heap backing stores of typed arrays and Buffers) over a window
 *   in which no GC ran, divided by the frames handled in it. A GC inside the window (seen as a 'gc'
 *   entry) would hide what it freed, so such windows are thrown away and the window is retried shorter.
 *   The window starts after a forced full GC, so the young generation is empty and has room.
 */
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const forceGc = runInNewContext('gc') as () => void;

let gcCount = 0;
let gcMs = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries() as PerformanceEntry[]) {
    gcCount++;
    gcMs += entry.duration;
  }
});
observer.observe({ entryTypes: ['gc'] });

/** GC entries are delivered asynchronously, after a timer turn (not by setImmediate): wait for them. */
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 15));

export interface GcShare {
  /** GC pause time as a percentage of this process's CPU time over the run. */
  readonly gcPercent: number;
  readonly gcMs: number;
  readonly gcEvents: number;
  readonly cpuMs: number;
}

/** Runs `work` (sync or async) and reports the GC time spent while it ran. */
export async function measureGcShare(work: () => unknown): Promise<GcShare> {
  await settle();
  const count0 = gcCount;
  const ms0 = gcMs;
  const cpu0 = process.cpuUsage();
  await work();
  const cpu = process.cpuUsage(cpu0);
  await settle();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { gcPercent: (100 * (gcMs - ms0)) / cpuMs, gcMs: gcMs - ms0, gcEvents: gcCount - count0, cpuMs };
}

export interface AllocationPerFrame {
  /** V8 heap bytes per frame (objects, strings, typed-array wrappers, small on-heap typed arrays). */
  readonly heapBytes: number;
  /** ArrayBuffer backing-store bytes per frame (off-heap: typed arrays over 64 bytes, Buffers, slabs). */
  readonly arrayBufferBytes: number;
  /** Frames in the window the numbers come from. */
  readonly frames: number;
}

/**
 * Bytes allocated per frame by `step` (which handles `framesPerStep` frames per call; awaited when async),
 * measured over a GC-free window of up to `maxFrames` frames. Median of `windows` windows.
 */
export async function measureAllocation(step: () => unknown, framesPerStep: number, maxFrames: number, windows = 5): Promise<AllocationPerFrame> {
  const heap: number[] = [];
  const buffers: number[] = [];
  let frames = maxFrames;
  for (let tries = 0; heap.length < windows && tries < windows * 6; tries++) {
    forceGc();
    await settle();
    const count0 = gcCount;
    const m0 = process.memoryUsage();
    const steps = Math.max(1, Math.floor(frames / framesPerStep));
    for (let i = 0; i < steps; i++) await step();
    const m1 = process.memoryUsage();
    await settle();
    if (gcCount !== count0) {
      frames = Math.max(framesPerStep, Math.floor(frames / 2));
      continue;
    }
    heap.push((m1.heapUsed - m0.heapUsed) / (steps * framesPerStep));
    buffers.push((m1.arrayBuffers - m0.arrayBuffers) / (steps * framesPerStep));
  }
  if (heap.length === 0) return { heapBytes: Number.NaN, arrayBufferBytes: Number.NaN, frames: 0 };
  return { heapBytes: middle(heap), arrayBufferBytes: middle(buffers), frames };
}

function middle(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}
