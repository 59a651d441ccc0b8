import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { EchoBystander } from './lib/echo-bystander.js';
import { runHttpProbe, runRawFrames, runWsScript } from './lib/fuzz-driver.js';
import { httpProbe, rawFrameBytes, WS_PATHS, wsScript } from './lib/fuzz-messages.js';

/**
 * `npm run fuzz -- --messages 1000000 [--parallel 16] [--seed 1]` (docs/security.md, "Fuzzing"): drives a
 * live gateway process (`wavegate serve`, echo handler, recordings on) from this process with the
 * structure-aware fuzz input of bench/lib/fuzz-messages.ts — mutated FastRTC, Twilio/Telnyx/Plivo and
 * signaling messages, HTTP requests at every route, malformed frames, abrupt closes — while a clean
 * echo session streams beside it. Reports messages, connections, crashes, 5xx, close codes, error
 * codes, RSS and heap after a forced GC before and after, and the bystander's samples back / sent;
 * JSON in bench/results/fuzz.json.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** What the force-GC hook reports (bench/fuzz/force-gc-hook.ts): process.memoryUsage() and /proc/self/status, bytes. */
type MemoryReading = { rss: number; heapUsed: number; heapTotal: number; external: number; arrayBuffers: number; RssAnon?: number; RssFile?: number };

const MB = (bytes: number | undefined) => (bytes === undefined ? null : Math.round((bytes / 2 ** 20) * 100) / 100);
const memoryMB = (m: MemoryReading) => ({ rss: MB(m.rss), heapUsed: MB(m.heapUsed), heapTotal: MB(m.heapTotal), external: MB(m.external), arrayBuffers: MB(m.arrayBuffers), rssAnon: MB(m.RssAnon), rssFile: MB(m.RssFile) });

interface Gateway {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  memory(): Promise<MemoryReading>;
  exited: { code: number | null; signal: string | null } | undefined;
}

/**
 * Environment for the gateway alone: each `WG_FUZZ_GATEWAY_<NAME>` of ours becomes `<NAME>` there
 * (diagnosis, docs/security.md "Fuzzing": e.g. `WG_FUZZ_GATEWAY_LD_PRELOAD=…libheaptrack_preload.so`
 * with `WG_FUZZ_GATEWAY_DUMP_HEAPTRACK_OUTPUT=<fifo>` profiles the gateway and not this driver).
 */
function gatewayEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('WG_FUZZ_GATEWAY_')) out[k.slice('WG_FUZZ_GATEWAY_'.length)] = v;
    else out[k] = v;
  }
  return out;
}

function startGateway(recordDir: string, extraArgs: string[]): Promise<Gateway> {
  const hook = new URL('./fuzz/force-gc-hook.js', import.meta.url).href;
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', hook, join(ROOT, 'bin/wavegate.js'), 'serve', '--port', '0', '--handler', 'echo', '--record-dir', recordDir, '--idle-timeout', '5', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'pipe'], env: gatewayEnv(process.env) },
  );
  let err = '';
  let out = '';
  const waiting: Array<(m: MemoryReading) => void> = [];
  const gateway: Gateway = {
    child,
    url: '',
    stderr: () => err,
    exited: undefined,
    memory: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        child.kill('SIGUSR2');
      }),
  };
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)));
  child.once('exit', (code, signal) => (gateway.exited = { code, signal }));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening) {
          gateway.url = listening[1]!;
          resolve(gateway);
        }
        const gc = /^wg-gc-done \d+ \d+ \S+ (\S+)/.exec(line);
        if (gc) waiting.shift()?.(JSON.parse(gc[1]!) as MemoryReading);
      }
    });
    child.once('exit', (code) => reject(new Error(`gateway exited (${code}) before listening:\n${err}`)));
  });
}

type MallocStats = { arenas: number; systemMB: number; inUseMB: number; perArena: Array<{ systemMB: number; inUseMB: number }> };

/** glibc's own account, from the last malloc_stats() report on the gateway's stderr: arenas, bytes taken from the OS, bytes in use. */
function lastMallocStats(stderr: string): MallocStats | undefined {
  const at = stderr.lastIndexOf('Arena 0:');
  if (at < 0) return undefined;
  const text = stderr.slice(at);
  const total = /Total \(incl\. mmap\):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)/.exec(text);
  if (!total) return undefined;
  const perArena = [...text.matchAll(/^Arena \d+:\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)/gm)].map((m) => ({ systemMB: MB(Number(m[1]))!, inUseMB: MB(Number(m[2]))! }));
  return { arenas: perArena.length, systemMB: MB(Number(total[1]))!, inUseMB: MB(Number(total[2]))!, perArena };
}

/**
 * Diagnosis only (`--malloc-probe 1`, needs gdb): glibc's malloc_stats() of the gateway, read through gdb
 * (the report goes to the gateway's stderr), and with `trim`, malloc_trim(0) first — give free memory
 * back to the OS. RSS that falls then was free memory the allocator held (fragmentation, per-thread
 * arenas), not memory anything still uses; docs/security.md, "Fuzzing".
 */
async function mallocStatsThroughGdb(gateway: Gateway, trim = false): Promise<MallocStats | undefined> {
  const commands = [...(trim ? ['call (int)malloc_trim(0)'] : []), 'call (void)malloc_stats()'];
  execFileSync('gdb', ['-p', String(gateway.child.pid), '-batch', '-nx', ...commands.flatMap((c) => ['-ex', c])], { stdio: 'ignore', timeout: 60_000 });
  await new Promise((r) => setTimeout(r, 1000)); // the report reaches us through the stderr pipe
  return lastMallocStats(gateway.stderr());
}

/**
 * A forced-GC reading once V8 has let go of the heap it grew under load: readings 2 s apart until
 * heapTotal moves less than 1 MB (at most 40 s). V8 shrinks its young generation only after the
 * process has been idle a while, so a reading right after a burst carries up to ~30 MB of heap
 * it is about to release — whether that lands in "before" or "after" would decide the comparison.
 */
async function settledMemory(gateway: Gateway): Promise<MemoryReading> {
  let last = await gateway.memory();
  for (let k = 0; k < 20; k++) {
    await new Promise((r) => setTimeout(r, 2000));
    const next = await gateway.memory();
    process.stderr.write(`fuzz: settling, heapTotal ${MB(next.heapTotal)} MB, rss ${MB(next.rss)} MB\n`);
    const settled = Math.abs(next.heapTotal - last.heapTotal) < 2 ** 20;
    last = next;
    if (settled && k >= 5) break;
  }
  return last;
}

/** The gateway's `wavegate_memory_trim*` and `wavegate_memory_allocator*` samples from /metrics, by name and labels. */
async function memoryTrimMetrics(url: string): Promise<Record<string, number> | undefined> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      const m = /^(wavegate_memory_(?:trim|allocator)\S*)\s+(\S+)$/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
    return out;
  } catch {
    return undefined;
  }
}

const count = (map: Record<string, number>, key: string | number) => (map[key] = (map[key] ?? 0) + 1);

async function main(): Promise<void> {
  const totalMessages = arg('messages', 100_000);
  const parallel = arg('parallel', 16);
  const seed = arg('seed', 1);
  // Forced-GC readings during the run, every this many messages (0: none): a leak grows them in a line,
  // an allocator's high-water mark levels off.
  const probeMalloc = arg('malloc-probe', 0) === 1;
  const sampleEvery = arg('sample-every', Math.max(10_000, Math.round(totalMessages / 10)));
  const recordDir = mkdtempSync(join(tmpdir(), 'wg-fuzz-rec-'));
  // `--gateway-args "--memory-trim off"`: options added to the gateway's command line.
  const gatewayArgsAt = process.argv.indexOf('--gateway-args');
  const gatewayArgs = gatewayArgsAt >= 0 ? process.argv[gatewayArgsAt + 1]!.split(/\s+/).filter(Boolean) : [];
  const gateway = await startGateway(recordDir, gatewayArgs);
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const stats = {
    messages: 0,
    wsConnections: 0,
    httpRequests: 0,
    rawFrameConnections: 0,
    closeCodes: {} as Record<string, number>,
    serverClose1011: 0,
    /** For each close with 1011: the gateway's error, and the connection's first message (truncated). */
    close1011: [] as Array<{ error: string | undefined; firstMessage: string; startMessages: string[] }>,
    errorCodes: {} as Record<string, number>,
    uncodedErrors: 0,
    httpStatus: {} as Record<string, number>,
    http5xx: 0,
    httpFailed: 0,
    wsConnectFailed: {} as Record<string, number>,
  };
  // Warm-up (code paths compiled, pools filled), then the baseline memory reading.
  const warm = fc.sample(wsScript('warm', 30), { seed: seed + 999_999, numRuns: 100 });
  for (const s of warm) await runWsScript(gateway.url, s);
  const before = await settledMemory(gateway);
  const mallocBefore = probeMalloc ? await mallocStatsThroughGdb(gateway) : undefined;
  // The bystander streams from here to the end of the fuzz: neither reading has it open.
  const bystander = await EchoBystander.start(gateway.url, { spurtFrames: 250, pauseMs: 500 });
  process.stderr.write(`fuzz: gateway pid ${gateway.child.pid}, before ${JSON.stringify(memoryMB(before))}\n`);
  const during: Array<{ messages: number } & ReturnType<typeof memoryMB>> = [];
  let nextSample = sampleEvery > 0 ? sampleEvery : Infinity;
  let sampling = false;
  let chunk = 0;
  let lastReport = performance.now();
  const work: Array<() => Promise<void>> = [];
  const refill = () => {
    chunk++;
    const kind = chunk % 10;
    if (kind === 9) {
      for (const p of fc.sample(httpProbe, { seed: seed + chunk, numRuns: 40 }))
        work.push(async () => {
          const r = await runHttpProbe(gateway.url, p);
          stats.messages++;
          stats.httpRequests++;
          if (r.status === undefined) stats.httpFailed++;
          else {
            count(stats.httpStatus, r.status);
            if (r.status >= 500) stats.http5xx++;
          }
        });
    } else if (kind === 4) {
      for (const [path, bytes] of fc.sample(fc.tuple(fc.constantFrom(...Object.values(WS_PATHS)), rawFrameBytes), { seed: seed + chunk, numRuns: 10 }))
        work.push(async () => {
          const code = await runRawFrames(gateway.url, path, bytes);
          stats.messages++;
          stats.rawFrameConnections++;
          count(stats.closeCodes, code ?? 'none');
          if (code === 1011) stats.serverClose1011++;
        });
    } else {
      for (const [k, s] of fc.sample(wsScript(`${chunk}`, 60), { seed: seed + chunk, numRuns: 20 }).entries())
        work.push(async () => {
          // Ids unique per connection (the generator's are per chunk).
          const script = { ...s, messages: s.messages.map((m) => (m.kind === 'text' ? { ...m, data: m.data.replaceAll(`fz-${chunk}`, `fz-${chunk}-${k}`).replaceAll(`MZ${chunk}`, `MZ${chunk}x${k}`) } : m)) };
          const r = await runWsScript(gateway.url, script);
          stats.messages += r.sent;
          stats.wsConnections++;
          if (r.connectFailed) count(stats.wsConnectFailed, r.connectFailed);
          count(stats.closeCodes, r.serverCloseCode ?? `client-${r.closeCode ?? 'none'}`);
          if (r.serverCloseCode === 1011) {
            stats.serverClose1011++;
            const first = script.messages[0];
            if (stats.close1011.length < 50) stats.close1011.push({ error: r.lastError, firstMessage: first?.kind === 'text' ? first.data.slice(0, 600) : `${first?.kind ?? 'none'}`, startMessages: script.messages.flatMap((m) => (m.kind === 'text' && m.data.includes('start') ? [m.data.slice(0, 400)] : [])).slice(0, 4) });
          }
          stats.uncodedErrors += r.uncoded;
          for (const code of r.errorCodes) count(stats.errorCodes, code);
        });
    }
  };
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (stats.messages < totalMessages && gateway.exited === undefined) {
        if (work.length === 0) refill();
        await work.shift()!();
        if (stats.messages >= nextSample && !sampling && gateway.exited === undefined) {
          sampling = true;
          nextSample += sampleEvery;
          const at = stats.messages;
          const reading = memoryMB(await gateway.memory());
          during.push({ messages: at, ...reading });
          process.stderr.write(`fuzz: at ${at} messages ${JSON.stringify(reading)}\n`);
          sampling = false;
        }
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          process.stderr.write(`fuzz: ${stats.messages} messages, ${stats.wsConnections} connections, ${Math.round((performance.now() - t0) / 1000)} s\n`);
        }
      }
    }),
  );
  const durationS = (performance.now() - t0) / 1000;
  const bystanderResult = await bystander.stop();
  // Sessions left by lingering connections end on the idle timeout (5 s); then the memory reading.
  await new Promise((r) => setTimeout(r, 6000));
  const crashed = gateway.exited !== undefined;
  const after = crashed ? undefined : await settledMemory(gateway);
  let malloc: { beforeRun: MallocStats | undefined; afterRun: MallocStats | undefined; afterTrim: MallocStats | undefined; memoryAfterTrim: ReturnType<typeof memoryMB> } | undefined;
  if (probeMalloc && after) {
    const afterRun = await mallocStatsThroughGdb(gateway);
    const afterTrim = await mallocStatsThroughGdb(gateway, true);
    malloc = { beforeRun: mallocBefore, afterRun, afterTrim, memoryAfterTrim: memoryMB(await gateway.memory()) };
    process.stderr.write(`fuzz: malloc ${JSON.stringify(malloc)}\n`);
  }
  // What the gateway's own trimmer did (src/memory/, --memory-trim): its lines of /metrics.
  const trimMetrics = crashed ? undefined : await memoryTrimMetrics(gateway.url);
  // Lines that look like a failure or a stack frame, refusal lines aside: a coded refusal's reason can
  // read like one ("unsupported media format (encoding…" matched `at .*\(`).
  const failureLines = gateway.stderr().split('\n').filter((line) => /failed:|Error: |at .*\(/.test(line) && !line.startsWith('wavegate: refus'));
  const internalFailures = failureLines.length;
  // The first 20 of them, cut at 400 characters: what to look at when the count is not 0.
  const internalFailureLines = failureLines.slice(0, 20).map((line) => line.slice(0, 400));
  // Under a heap profiler, SIGKILL: the profile then ends with what was live after the run, not after shutdown.
  gateway.child.kill(process.env.WG_FUZZ_GATEWAY_LD_PRELOAD ? 'SIGKILL' : 'SIGTERM');
  rmSync(recordDir, { recursive: true, force: true });
  const result = {
    bench: 'fuzz',
    startedAt,
    command: `npm run fuzz -- ${process.argv.slice(2).map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ")}`.trimEnd(),
    options: { messages: totalMessages, parallel, seed, sampleEvery },
    durationS: Math.round(durationS),
    ...stats,
    crashes: crashed ? 1 : 0,
    gatewayExit: gateway.exited,
    internalFailuresLogged: internalFailures,
    internalFailureLines,
    stderrTail: gateway.stderr().slice(-2000),
    memory: {
      rssBeforeMB: before.rss / 2 ** 20,
      rssAfterMB: after ? after.rss / 2 ** 20 : null,
      rssGrowthMB: after ? (after.rss - before.rss) / 2 ** 20 : null,
      heapBeforeMB: before.heapUsed / 2 ** 20,
      heapAfterMB: after ? after.heapUsed / 2 ** 20 : null,
      // MB after a forced GC: process.memoryUsage() and RssAnon/RssFile (/proc/self/status).
      before: memoryMB(before),
      after: after ? memoryMB(after) : null,
      during,
      // --malloc-probe 1: glibc's malloc_stats() before and after malloc_trim(0), and the reading after it.
      malloc: malloc ?? null,
      trim: trimMetrics ?? null,
      mallocArenaMax: process.env.MALLOC_ARENA_MAX ?? null,
      ldPreload: process.env.LD_PRELOAD ?? null,
    },
    bystander: bystanderResult,
    acceptance: {
      noCrash: !crashed,
      no5xx: stats.http5xx === 0,
      no1011: stats.serverClose1011 === 0,
      rssWithin20MB: after !== undefined && Math.abs(after.rss - before.rss) <= 20 * 2 ** 20,
      bystanderWithin1pct: bystanderResult.ratio >= 0.99 && bystanderResult.ratio <= 1.01,
    },
  };
  // `--out <file>`: diagnosis runs write elsewhere than the committed result.
  const outAt = process.argv.indexOf('--out');
  const out = outAt >= 0 ? process.argv[outAt + 1]! : join(ROOT, 'bench/results/fuzz.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  const { stderrTail: _, ...summary } = result;
  console.log(JSON.stringify(summary, null, 2));
}

await main();
