/**
 * Preloaded into a server under test (`node --import <this file> …`): sums the duration of every garbage
 * collection (perf_hooks `gc` entries) and, on SIGUSR2, prints one line `wg-gc-probe <ms> <count> <pid>` on
 * stdout with the totals since the process started (node:cluster workers inherit the preload and the
 * primary's stdout, so a `--workers N` gateway answers once per process). server-process.ts reads it, so GC time over a hold is
 * the difference of two readings (and the same probe runs in the bare relay, so both are measured alike).
 * The line then goes on with `<longest pause ms> <pauses ≥ 4 ms>` since the previous reading (a pause
 * holds every socket read behind it: what it adds to the round trips of the frames queued meanwhile).
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';

/** A pause this long or longer counts as long. */
const LONG_PAUSE_MS = 4;
let totalMs = 0;
let count = 0;
let longestMs = 0;
let longPauses = 0;
/** Debugging: WAVEGATE_GC_LOG=FILE appends every long pause (time, ms, kind) to FILE. */
const LOG = process.env.WAVEGATE_GC_LOG;
const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental-marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};
const log = (entry: PerformanceEntry): void => {
  if (LOG === undefined || entry.duration < LONG_PAUSE_MS) return;
  const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1;
  appendFileSync(LOG, `${process.pid} ${Math.round(entry.startTime)} ${entry.duration.toFixed(2)} ${KINDS[kind] ?? kind}\n`);
};
const add = (durationMs: number): void => {
  totalMs += durationMs;
  count++;
  if (durationMs > longestMs) longestMs = durationMs;
  if (durationMs >= LONG_PAUSE_MS) longPauses++;
};
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    add(entry.duration);
    log(entry);
  }
});
observer.observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  // Entries still buffered in the observer count too.
  for (const entry of observer.takeRecords()) {
    add(entry.duration);
    log(entry);
  }
  process.stdout.write(`wg-gc-probe ${totalMs.toFixed(3)} ${count} ${process.pid} ${longestMs.toFixed(3)} ${longPauses}\n`);
  longestMs = 0;
  longPauses = 0;
});
