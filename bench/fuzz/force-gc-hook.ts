/**
 * Preloaded into the gateway under fuzz (`node --expose-gc --import <this file> bin/wavegate.js serve …`):
 * on SIGUSR2 it runs two full garbage collections and prints `wg-gc-done <rss bytes> <heap used bytes>`
 * on stdout, so bench/fuzz.ts can compare memory before and after the run with garbage out of the way.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  process.stdout.write(`wg-gc-done ${rss} ${heapUsed}\n`);
});
