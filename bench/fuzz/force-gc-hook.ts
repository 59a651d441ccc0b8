/**
 * Preloaded into the gateway under fuzz (`node --expose-gc --import <this file> bin/wavegate.js serve …`):
 * on SIGUSR2 it runs two full garbage collections and prints `wg-gc-done <rss bytes> <heap used bytes>`
 * and the active resources by type (JSON) on stdout, so bench/fuzz.ts can compare memory before and after the run with garbage out of the way.
 */
process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  // Active handles and requests by type (TCPWrap, Timeout, FSReqCallback, …): what a leak would grow.
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  process.stdout.write(`wg-gc-done ${rss} ${heapUsed} ${JSON.stringify(resources)}\n`);
});
