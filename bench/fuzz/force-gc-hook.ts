import { readFileSync } from 'node:fs';

/**
 * Preloaded into the gateway under fuzz or soak (`node --expose-gc --import <this file> bin/wavegate.js serve …`):
 * on SIGUSR2 it runs two full garbage collections and prints one line on stdout,
 * `wg-gc-done <rss bytes> <heap used bytes> <active resources by type, JSON> <memory breakdown, JSON>`,
 * so bench/fuzz.ts and bench/soak.ts can compare memory before and after a run with garbage out of the way.
 * The breakdown (docs/security.md, "Fuzzing"): process.memoryUsage() (heapTotal, external, arrayBuffers)
 * and, from /proc/self/status, RssAnon (malloc and V8 pages) and RssFile (mapped code and files) — what
 * tells memory the JS heap or Buffers hold from memory the allocator keeps.
 */
function procStatusKB(): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
      const m = /^(RssAnon|RssFile|RssShmem|VmRSS|VmHWM):\s+(\d+) kB/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
  } catch {
    // not Linux
  }
  return out;
}

process.on('SIGUSR2', () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  // Active handles and requests by type (TCPWrap, Timeout, FSReqCallback, …): what a leak would grow.
  const resources: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) resources[type] = (resources[type] ?? 0) + 1;
  const memory = { ...usage, ...Object.fromEntries(Object.entries(procStatusKB()).map(([k, v]) => [k, v * 1024])) };
  process.stdout.write(`wg-gc-done ${usage.rss} ${usage.heapUsed} ${JSON.stringify(resources)} ${JSON.stringify(memory)}\n`);
});
