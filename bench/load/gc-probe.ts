/**
 * Preloaded into a server under test (`node --import <this file> …`): sums the duration of every garbage
 * collection (perf_hooks `gc` entries) and, on SIGUSR2, prints one line `wg-gc-probe <ms> <count> <pid>` on
 * stdout with the totals since the process started (node:cluster workers inherit the preload and the
 * primary's stdout, so a `--workers N` gateway answers once per process). server-process.ts reads it, so GC time over a hold is
 * the difference of two readings (and the same probe runs in the bare relay, so both are measured alike).
 */
import { PerformanceObserver } from 'node:perf_hooks';

let totalMs = 0;
let count = 0;
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    totalMs += entry.duration;
    count++;
  }
});
observer.observe({ entryTypes: ['gc'] });

process.on('SIGUSR2', () => {
  // Entries still buffered in the observer count too.
  for (const entry of observer.takeRecords()) {
    totalMs += entry.duration;
    count++;
  }
  process.stdout.write(`wg-gc-probe ${totalMs.toFixed(3)} ${count} ${process.pid}\n`);
});
