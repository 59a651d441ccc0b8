/**
 * Instructions per echoed frame of a whole server process over real sockets, counted by valgrind's
 * callgrind: the gateway (`serve --handler echo`) against the bare `ws` echo relay (load/baseline-relay.ts),
 * driven by the same client in this process with bench:load's μ-law JSON frames. The difference is what
 * the gateway's transport, session and control plane add per frame on top of a WebSocket echo
 * (frame-instructions.ts counts the in-memory media path alone). Load-independent: wall-clock profiles
 * on a shared machine are noise.
 *
 * Method: the server runs under `valgrind --tool=callgrind --instr-atstart=no` (node --single-threaded
 * unless --threads; callgrind counts every thread either way). K sessions send W warm-up frames each,
 * then counting is switched on (`callgrind_control -i on`), each session sends N frames, the client
 * waits for their echoes to stop arriving, and `callgrind_control -d` dumps: that dump's Ir over the
 * echoed media frames (replies whose event is "media") is the figure; a dump over --idle-ms before it (sessions
 * open, no frames) gives the idle rate, and the figure less that rate over the active seconds is shown too. User-space instructions only:
 * the kernel's share of a syscall is not counted. Sessions send in real time (--interval-ms, default 20 ms
 * per session), few of them (--sessions, default 2) so the ~50× slower server keeps up: a server that falls
 * behind reads frames in bursts and its jitter buffer does more (time-stretch, concealment), which shows as
 * src/jitter. Idle work between frames (timers) is included, and shown apart (--idle-ms). The
 * warm-up is sent faster (--warmup-interval-ms, default 10 ms: frames may queue) until TurboFan has tiered
 * the hot code up: under --single-threaded its compiles run on the counted thread (reported apart, as is GC).
 *
 * Self counts by function: JIT code is named from node's --perf-basic-prof map. TurboFan inlines, so a
 * function's self count holds what was inlined into it (ws's receiver getData holds the JS unmask; run with
 * --node-flags --no-turbo-inlining to see callees apart, which changes the totals). `NODE_PATH=DIR` with
 * ws's optional `bufferutil` installed in DIR/node_modules measures ws with its native unmask.
 *
 *   node dist/bench/socket-instructions.js [--targets gateway,relay] [--sessions K] [--warmup W]
 *       [--frames N] [--interval-ms MS] [--warmup-interval-ms MS] [--idle-ms MS] [--threads] [--node-flags 'F …'] [--keep DIR] [--out FILE]   (FILE in bench/results/)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { symbolizeCallgrind } from './lib/callgrind-symbols.js';
import { buildFrames, startMessage, VARIANTS } from './load/media-variants.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = new URL('../../bench/results/', import.meta.url);
const WAV = join(ROOT, 'test', 'fixtures', 'speech', 's01-slt.wav');
const TARGETS = {
  gateway: [join(ROOT, 'bin', 'wavegate.js'), 'serve', '--port', '0', '--idle-timeout', '3600', '--handler', 'echo'],
  relay: [join(ROOT, 'dist', 'bench', 'load', 'baseline-relay.js'), '--port', '0'],
} as const;
type Target = keyof typeof TARGETS;
const NODE_FLAGS = ['--perf-basic-prof', '--no-short-builtin-calls'];
/** Functions listed per target in the report (self instructions per echoed frame). */
const TOP = 25;

interface Options {
  targets: Target[];
  sessions: number;
  warmup: number;
  frames: number;
  intervalMs: number;
  idleMs: number;
  warmupIntervalMs: number;
  threads: boolean;
  /** More node flags, e.g. --no-turbo-inlining to see callees apart (attribution only: it changes the counts). */
  nodeFlags: string[];
  keep: string;
  out: string;
}

interface Run {
  target: Target;
  instructions: number;
  activeSeconds: number;
  idleIrPerSecond: number;
  sent: number;
  echoedMedia: number;
  otherReplies: number;
  instructionsPerEchoedFrame: number;
  /** TurboFan compiles (synchronous under --single-threaded) still under way: a warm-up cost, not a per-frame one. */
  turbofanCompilePerEchoedFrame: number;
  gcPerEchoedFrame: number;
  /** instructionsPerEchoedFrame less the compiles. */
  steadyPerEchoedFrame: number;
  /** Minus what the same process spends idle (open sessions, no frames) over as many seconds. */
  idleCorrectedPerEchoedFrame: number;
  /** Self instructions per echoed frame by function (callgrind_annotate, JIT code named from the perf map). */
  selfPerFrame: Record<string, number>;
  callgrindFile?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `valgrind … node <args>`, resolved with its pid and URL once it prints "listening on URL". */
function startUnderCallgrind(args: readonly string[], outFile: string, threads: boolean, extraFlags: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    // --perf-basic-prof: /tmp/perf-PID.map names the JIT code (callgrind-symbols.ts); --no-short-builtin-calls
    // keeps V8's builtins at their addresses in the node binary, where callgrind finds their names.
    const node = [process.execPath, ...NODE_FLAGS, ...extraFlags, ...(threads ? [] : ['--single-threaded']), ...args];
    const child = spawn('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${outFile}`, '--dump-line=no', ...node], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start in 180 s\n${out}${err}`));
    }, 180_000);
    child.stderr!.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-4000);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening\n${out}${err}`)));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.removeAllListeners('data');
      child.stdout!.resume();
      child.removeAllListeners('exit');
      resolve({ child, url: m[1]! });
    });
  });
}

/** K sessions that send `frames` cycled at one frame per `intervalMs` each, counting what comes back. */
class Client {
  readonly sockets: WebSocket[] = [];
  sent = 0;
  echoedMedia = 0;
  otherReplies = 0;
  lastReplyAt = 0;
  #next = 0;

  constructor(readonly frames: readonly (string | Buffer)[]) {}

  async open(wsUrl: string, sessions: number): Promise<void> {
    for (let k = 0; k < sessions; k++) {
      const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('error', reject);
      });
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        this.lastReplyAt = performance.now();
        // Gateway and relay both answer each μ-law JSON frame with a "media" JSON message.
        if (!isBinary && data.length > 40 && data.includes('"media"')) this.echoedMedia++;
        else this.otherReplies++;
      });
      socket.send(startMessage(VARIANTS['mulaw-json'], `socket-instr-${k}`));
      this.sockets.push(socket);
    }
  }

  /** Each session sends `perSession` frames, sessions staggered across the interval. */
  async send(perSession: number, intervalMs: number): Promise<void> {
    const start = performance.now();
    const k = this.sockets.length;
    for (let i = 0; i < perSession * k; i++) {
      const due = start + (i * intervalMs) / k;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      const socket = this.sockets[i % k]!;
      socket.send(this.frames[this.#next++ % this.frames.length]!);
      this.sent++;
    }
  }

  /** Waits until no reply has arrived for `quietMs`. */
  async drain(quietMs: number): Promise<void> {
    this.lastReplyAt = performance.now();
    while (performance.now() - this.lastReplyAt < quietMs) await sleep(quietMs / 4);
  }

  resetCounts(): void {
    this.sent = 0;
    this.echoedMedia = 0;
    this.otherReplies = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) {
      if (s.readyState === WebSocket.OPEN) s.send('{"event":"stop"}');
      s.terminate();
    }
  }
}

function callgrindControl(args: string[], pid: number): void {
  execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });
}

/** callgrind_annotate's self counts, per echoed frame, by `file:function`. */
function selfByFunction(file: string, echoed: number): Record<string, number> {
  const text = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([\d,]+) \([\s\d.]+%\)\s+(.+?)(?: \[[^\]]*\])?$/.exec(line);
    if (!m || m[2] === 'PROGRAM TOTALS') continue;
    // JIT code of one JS function may be several code objects (tiers, re-compiles): summed by name.
    const name = m[2]!.replace(/^\?\?\?:/, '').replace(/ 0x[0-9a-f]+$/, '');
    const perFrame = Number(m[1]!.replace(/,/g, '')) / echoed;
    out[name] = (out[name] ?? 0) + perFrame;
  }
  for (const k of Object.keys(out)) out[k] = Math.round(out[k]!);
  return out;
}

/** Inclusive counts of a few runtime functions, by label. */
const INCLUSIVE = { compile: 'v8::internal::Runtime_CompileOptimized(', gc: 'v8::internal::Heap::CollectGarbage(' } as const;

function inclusiveOf(file: string, wanted: Record<string, string>): Record<string, number> {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    for (const [label, name] of Object.entries(wanted)) {
      if (out[label] !== undefined || !line.includes(name)) continue;
      const m = /^\s*([\d,]+) /.exec(line);
      if (m) out[label] = Number(m[1]!.replace(/,/g, ''));
    }
  }
  return out;
}

/**
 * Self counts summed by where the code comes from: our compiled sources by folder (dist/src/session, …),
 * ws, node's own JS, and native code split into TurboFan, garbage collection, V8 builtins, libc and the rest.
 */
export function bySource(selfPerFrame: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of Object.entries(selfPerFrame)) {
    let source = 'native: other (V8 runtime, node C++, libuv)';
    if (/^0x[0-9a-f]+/.test(name)) source = 'unnamed JIT or wasm code';
    else if (/v8::internal::compiler::|v8::internal::Pipeline|v8::internal::maglev::/.test(name)) source = 'native: TurboFan compiling';
    else if (/Mark(ing|Compact)|Scaveng|Sweep|Evacuat|BodyDescriptor|RememberedSet|SlotSet|v8::internal::Heap::|IncrementalMarking|MemoryChunk|ConcurrentMarking/.test(name)) source = 'native: garbage collection';
    else if (/^Builtins_/.test(name)) source = 'native: V8 builtins (ICs, typed arrays, …)';
    else if (/\/malloc\/|\/string\/|libc\.so|^(malloc|free)\b/.test(name)) source = 'native: libc (malloc, memcpy, memset)';
    else if (name.startsWith('JS:')) {
      const ours = /\/dist\/(src\/[^/]+(?:\/[^/]+(?=\/))?|bench|handlers)\//.exec(name);
      const mediaPathFile = /\/dist\/src\/(media-path|transport)\/([^/.]+)\.js/.exec(name);
      if (mediaPathFile) source = `src/${mediaPathFile[1]}/${mediaPathFile[2]}.ts`;
      else if (ours) source = ours[1]!;
      else if (name.includes('node_modules/ws/')) source = 'ws';
      else if (name.includes('node_modules/')) source = 'other node_modules';
      else if (name.includes('node:')) source = "node's JS (streams, net, events, timers)";
      else source = 'other JS';
    }
    out[source] = (out[source] ?? 0) + n;
  }
  return out;
}

const top = (rows: Record<string, number>, n: number): [string, number][] => Object.entries(rows).sort((a, b) => b[1] - a[1]).slice(0, n);

function totalIr(file: string): number {
  const m = /^(?:summary|totals):\s*(\d+)/m.exec(readFileSync(file, 'utf8'));
  if (!m) throw new Error(`no instruction total in ${file}`);
  return Number(m[1]);
}

async function measure(target: Target, o: Options, dir: string): Promise<Run> {
  const outFile = join(dir, `callgrind.${target}.out`);
  const { child, url } = await startUnderCallgrind(TARGETS[target], outFile, o.threads, o.nodeFlags);
  const pid = child.pid!;
  const client = new Client(buildFrames(VARIANTS['mulaw-json'], WAV));
  try {
    await client.open(`${url.replace(/^http/, 'ws')}/websocket/offer`, o.sessions);
    await client.send(o.warmup, o.warmupIntervalMs);
    await client.drain(3000);
    client.resetCounts();
    callgrindControl(['-i', 'on'], pid);
    // Dumps go to outFile.N (N counts from 1). First the open sessions idle (timers, no frames) …
    const idleStart = performance.now();
    await sleep(o.idleMs);
    callgrindControl(['-d'], pid);
    const idleSeconds = (performance.now() - idleStart) / 1000;
    // … then N frames per session, counted until their echoes stop arriving.
    const activeStart = performance.now();
    await client.send(o.frames, o.intervalMs);
    await client.drain(3000);
    callgrindControl(['-d'], pid);
    const activeSeconds = (performance.now() - activeStart) / 1000;
    callgrindControl(['-i', 'off'], pid);
    const idleIr = totalIr(`${outFile}.1`);
    const instructions = totalIr(`${outFile}.2`);
    const idleIrPerSecond = Math.round(idleIr / idleSeconds);
    const echoed = Math.max(1, client.echoedMedia);
    const perfMap = `/tmp/perf-${pid}.map`;
    const named = `${outFile}.named`;
    symbolizeCallgrind(`${outFile}.2`, perfMap, named);
    if (o.keep !== '') copyFileSync(perfMap, join(dir, `perf-${target}.map`));
    rmSync(perfMap, { force: true });
    const selfPerFrame = selfByFunction(named, echoed);
    const inclusive = inclusiveOf(named, INCLUSIVE);
    const compile = Math.round((inclusive.compile ?? 0) / echoed);
    return {
      target,
      instructions,
      activeSeconds: Math.round(activeSeconds * 10) / 10,
      idleIrPerSecond,
      sent: client.sent,
      echoedMedia: client.echoedMedia,
      otherReplies: client.otherReplies,
      instructionsPerEchoedFrame: Math.round(instructions / echoed),
      turbofanCompilePerEchoedFrame: compile,
      gcPerEchoedFrame: Math.round((inclusive.gc ?? 0) / echoed),
      steadyPerEchoedFrame: Math.round(instructions / echoed) - compile,
      idleCorrectedPerEchoedFrame: Math.round((instructions - idleIrPerSecond * activeSeconds) / echoed),
      selfPerFrame,
      ...(o.keep !== '' && { callgrindFile: named }),
    };
  } finally {
    await client.close();
    child.kill('SIGTERM');
    await new Promise((r) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.once('exit', () => r(clearTimeout(kill)));
    });
  }
}

function parse(argv: string[]): Options {
  const o: Options = { targets: ['gateway', 'relay'], sessions: 2, warmup: 3000, frames: 500, intervalMs: 20, idleMs: 4000, warmupIntervalMs: 10, threads: false, nodeFlags: [], keep: '', out: '' };
  for (let k = 0; k < argv.length; k++) {
    const flag = argv[k];
    const value = argv[k + 1] ?? '';
    if (flag === '--threads') {
      o.threads = true;
      continue;
    }
    k++;
    if (flag === '--targets') o.targets = value.split(',') as Target[];
    else if (flag === '--sessions') o.sessions = Number(value);
    else if (flag === '--warmup') o.warmup = Number(value);
    else if (flag === '--frames') o.frames = Number(value);
    else if (flag === '--interval-ms') o.intervalMs = Number(value);
    else if (flag === '--warmup-interval-ms') o.warmupIntervalMs = Number(value);
    else if (flag === '--idle-ms') o.idleMs = Number(value);
    else if (flag === '--node-flags') o.nodeFlags = value.split(' ').filter((f) => f !== '');
    else if (flag === '--keep') o.keep = value;
    else if (flag === '--out') o.out = value;
    else throw new TypeError(`Expected --targets a,b, --sessions K, --warmup W, --frames N, --interval-ms MS, --warmup-interval-ms MS, --idle-ms MS, --threads, --node-flags 'F …', --keep DIR or --out FILE, got \`${flag}\``);
  }
  for (const t of o.targets) if (!(t in TARGETS)) throw new TypeError(`Unknown target \`${t}\` (${Object.keys(TARGETS).join(', ')})`);
  return o;
}

async function main(argv: string[]): Promise<void> {
  const o = parse(argv);
  const dir = o.keep !== '' ? (mkdirSync(o.keep, { recursive: true }), o.keep) : mkdtempSync(join(tmpdir(), 'socket-instr-'));
  const runs: Run[] = [];
  try {
    for (const target of o.targets) {
      const run = await measure(target, o, dir);
      runs.push(run);
      console.log(`${target.padEnd(8)} ${String(run.instructionsPerEchoedFrame).padStart(9)} instructions per echoed frame (TurboFan compiles ${run.turbofanCompilePerEchoedFrame}, GC ${run.gcPerEchoedFrame}; steady ${run.steadyPerEchoedFrame}), ${String(run.idleCorrectedPerEchoedFrame).padStart(9)} less idle  (idle ${run.idleIrPerSecond} Ir/s, active ${run.activeSeconds} s, ${run.instructions} Ir, sent ${run.sent}, echoed ${run.echoedMedia}, other replies ${run.otherReplies})`);
    }
  } finally {
    if (o.keep === '') rmSync(dir, { recursive: true, force: true });
  }
  const gateway = runs.find((r) => r.target === 'gateway');
  const relay = runs.find((r) => r.target === 'relay');
  const extra = gateway && relay ? { raw: gateway.instructionsPerEchoedFrame - relay.instructionsPerEchoedFrame, steady: gateway.steadyPerEchoedFrame - relay.steadyPerEchoedFrame, idleCorrected: gateway.idleCorrectedPerEchoedFrame - relay.idleCorrectedPerEchoedFrame } : undefined;
  if (extra !== undefined) console.log(`gateway − relay ${String(extra.raw).padStart(9)} instructions per echoed frame (steady ${extra.steady}), ${String(extra.idleCorrected).padStart(9)} less idle`);
  for (const run of runs) {
    console.log(`\n${run.target}: top self instructions per echoed frame`);
    for (const [name, n] of top(run.selfPerFrame, TOP)) console.log(`${String(n).padStart(9)}  ${name}`);
  }
  for (const run of runs) {
    console.log(`\n${run.target}: self instructions per echoed frame by source`);
    for (const [name, n] of top(bySource(run.selfPerFrame), 40)) console.log(`${String(n).padStart(9)}  ${name}`);
  }
  let beyondRelay: [string, number][] | undefined;
  if (gateway && relay) {
    const diff: Record<string, number> = {};
    for (const [name, n] of Object.entries(gateway.selfPerFrame)) diff[name] = n - (relay.selfPerFrame[name] ?? 0);
    beyondRelay = top(diff, TOP);
    console.log('\ngateway beyond relay: self instructions per echoed frame (gateway − relay, by function)');
    for (const [name, n] of beyondRelay) console.log(`${String(n).padStart(9)}  ${name}`);
  }
  if (o.out !== '') {
    await mkdir(RESULTS, { recursive: true });
    const meta = {
      node: process.version,
      started: new Date().toISOString(),
      variant: 'mulaw-json',
      sessions: o.sessions,
      warmupFramesPerSession: o.warmup,
      framesPerSession: o.frames,
      intervalMsPerSession: o.intervalMs,
      warmupIntervalMsPerSession: o.warmupIntervalMs,
      nodeFlags: [...NODE_FLAGS, ...o.nodeFlags, ...(o.threads ? [] : ['--single-threaded'])],
      method: 'server under valgrind --tool=callgrind --instr-atstart=no; counting on (callgrind_control -i on) after the warm-up, a dump (-d) after idleMs with the sessions open and no frames (idle Ir/s), then one after the measured frames were echoed; Ir / echoed media frames, and the same less idle Ir/s × the active seconds; user-space instructions of every server thread, idle time between frames included, kernel not counted',
    };
    await writeFile(new URL(o.out, RESULTS), `${JSON.stringify({ meta, runs: runs.map(({ callgrindFile: _, selfPerFrame, ...r }) => ({ ...r, topSelfPerFrame: Object.fromEntries(top(selfPerFrame, TOP)), selfPerFrameBySource: Object.fromEntries(top(bySource(selfPerFrame), 40)) })), gatewayMinusRelay: extra, ...(beyondRelay && { gatewayBeyondRelaySelfPerFrame: Object.fromEntries(beyondRelay) }) }, null, 2)}\n`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
