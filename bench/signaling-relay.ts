/**
 * `npm run bench:signaling`: round-trip time of one signaling message through the /ws/call/ relay,
 * with the gateway(s) in their own processes (the real CLI) and this process as the client:
 *
 *   memory        one process, in-memory channel layer
 *   redis-local   one process with --redis, both users on it (served without Redis)
 *   redis-cross   two processes joined by Redis, one user on each (PUBLISH + SUBSCRIBE each way)
 *
 * alice and bob set up a call, then alice sends an ICEcandidate to bob, bob sends one back on
 * receipt, and alice times the round trip. Medians and p95 over all measured round trips; the
 * median of each repetition is kept to show the spread. Writes bench/results/signaling-relay.json.
 *
 *   node dist/bench/signaling-relay.js [--reps N] [--trips N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = new URL('../../bench/results/', import.meta.url);

function parseArgs(argv: readonly string[]): { reps: number; trips: number } {
  const o = { reps: 5, trips: 400 };
  for (let i = 0; i < argv.length; i++) {
    const key = argv[i] === '--reps' ? 'reps' : argv[i] === '--trips' ? 'trips' : undefined;
    if (!key) throw new TypeError(`unknown argument ${JSON.stringify(argv[i])} (use --reps N, --trips N)`);
    o[key] = Number(argv[++i]);
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new TypeError(`Expected \`--${key}\` to be an integer ≥ 1, got ${String(argv[i])}`);
  }
  return o;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function startProcess(command: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      if (out.length < 65_536) out += chunk.toString();
      const match = out.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code}: ${out}`)));
  });
}

const gateway = async (args: string[]) => {
  const { child, match } = await startProcess(process.execPath, ['bin/wavegate.js', 'serve', '--port', '0', ...args], /wavegate listening on (http:\/\/\S+)/);
  return { child, url: match[1]! };
};

class Client {
  private waiting: ((m: { type: string; data?: any }) => void) | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (raw) => this.waiting?.(JSON.parse(raw.toString())));
  }
  static async open(url: string, name: string): Promise<Client> {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws/call/`);
    const c = new Client(ws);
    const greeted = c.next();
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    await greeted;
    c.send('login', { name });
    const reply = await c.next();
    if (reply.type !== 'logged_in') throw new Error(`login ${name}: ${JSON.stringify(reply)}`);
    return c;
  }
  next(): Promise<{ type: string; data?: any }> {
    return new Promise((resolve) => (this.waiting = resolve));
  }
  send(type: string, data: unknown): void {
    this.ws.send(JSON.stringify({ type, data }));
  }
}

const CANDIDATE = { label: 0, id: '0', candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.10 54321 typ srflx raddr 0.0.0.0 rport 0 generation 0' };

async function measure(urlA: string, urlB: string, tag: string, trips: number): Promise<number[]> {
  const [a, b] = [await Client.open(urlA, `a-${tag}`), await Client.open(urlB, `b-${tag}`)];
  const ringing = b.next();
  a.send('call', { name: `b-${tag}`, rtcMessage: { type: 'offer', sdp: 'v=0' } });
  await ringing;
  const answered = a.next();
  b.send('answer_call', { caller: `a-${tag}`, rtcMessage: { type: 'answer', sdp: 'v=0' } });
  await answered;
  b.ws.on('message', () => b.send('ICEcandidate', { user: `a-${tag}`, rtcMessage: CANDIDATE }));
  const rtts: number[] = [];
  for (let i = 0; i < trips + 50; i++) {
    const back = a.next();
    const t0 = process.hrtime.bigint();
    a.send('ICEcandidate', { user: `b-${tag}`, rtcMessage: CANDIDATE });
    const m = await back;
    if (m.type !== 'ICEcandidate') throw new Error(`unexpected ${JSON.stringify(m)}`);
    if (i >= 50) rtts.push(Number(process.hrtime.bigint() - t0) / 1e6); // first 50: warm-up
    // Stay under the per-connection rate limit (500 messages/s by default).
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 250));
  }
  a.ws.close();
  b.ws.close();
  return rtts;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) => quantile([...xs].sort((x, y) => x - y), 0.5);

async function main(): Promise<void> {
  const { reps, trips } = parseArgs(process.argv.slice(2));
  const port = await freePort();
  const redis = await startProcess('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const redisUrl = `redis://127.0.0.1:${port}`;
  const [mem, r1, r2] = await Promise.all([gateway([]), gateway(['--redis', redisUrl]), gateway(['--redis', redisUrl])]);
  const scenarios = { memory: [mem.url, mem.url], 'redis-local': [r1.url, r1.url], 'redis-cross': [r1.url, r2.url] } as const;
  const results: Record<string, { medianMs: number; p95Ms: number; repMediansMs: number[]; trips: number }> = {};
  try {
    const all: Record<string, number[]> = {};
    const repMedians: Record<string, number[]> = {};
    for (let rep = 0; rep < reps; rep++) {
      for (const [name, [ua, ub]] of Object.entries(scenarios)) {
        const rtts = await measure(ua, ub, `${name}-${rep}`, trips);
        (all[name] ??= []).push(...rtts);
        (repMedians[name] ??= []).push(median(rtts));
      }
    }
    for (const name of Object.keys(scenarios)) {
      const sorted = [...all[name]!].sort((x, y) => x - y);
      results[name] = { medianMs: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95), repMediansMs: repMedians[name]!, trips: sorted.length };
    }
  } finally {
    for (const p of [mem, r1, r2]) p.child.kill('SIGTERM');
    redis.child.kill('SIGKILL');
  }
  const ratio = results['redis-cross']!.medianMs / results['memory']!.medianMs;
  console.log('scenario      median RTT   p95 RTT   per-rep medians (ms)');
  for (const [name, r] of Object.entries(results)) {
    console.log(`${name.padEnd(12)}  ${r.medianMs.toFixed(3).padStart(7)} ms  ${r.p95Ms.toFixed(3).padStart(6)} ms   ${r.repMediansMs.map((m) => m.toFixed(3)).join(' ')}`);
  }
  console.log(`redis-cross / memory median: ${ratio.toFixed(2)}×`);
  await mkdir(RESULTS, { recursive: true });
  const out = { bench: 'signaling-relay', date: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: loadavg(), reps, tripsPerRep: trips, results, crossOverMemoryMedianRatio: ratio };
  await writeFile(new URL('signaling-relay.json', RESULTS), `${JSON.stringify(out, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
