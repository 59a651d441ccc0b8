/**
 * `npm run bench:cluster`: what the cluster costs a session (docs/scale-out.md), gateways in their own
 * processes (the real CLI), a real redis-server, this process as the client:
 *
 *   admission   `start` + one μ-law frame → the first echoed frame: one process alone, and a process with
 *               `--redis` (one Lua admission on Redis first)
 *   input       POST /input round trip on the node holding the session, and on the other node (forwarded
 *               over Redis pub/sub and answered back)
 *   output      POST /input → the handler's additional output read on GET /outputs (SSE): both on the
 *               owner, and both on the other node (forwarded there and back)
 *
 * Sequential requests, medians and p95. Writes bench/results/cluster-forwarding.json.
 *
 *   node dist/bench/cluster-forwarding.js [--n N]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { encodeMulaw } from '../src/codecs/g711.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = new URL('../../bench/results/', import.meta.url);
const HANDLER = 'test/cluster-input-handler.mjs';
const MEDIA = JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(new Int16Array(960).fill(3000))).toString('base64') } });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function start(command: string, args: readonly string[], ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${out}`)), 20_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
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

async function gateway(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const { child, match } = await start(process.execPath, ['bin/wavegate.js', 'serve', '--port', '0', '--handler', HANDLER, ...args], /wavegate listening on (http:\/\/\S+)/);
  return { child, url: match[1]! };
}

function stats(ms: number[]): { n: number; p50: number; p95: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => Math.round((s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN) * 100) / 100;
  return { n: s.length, p50: at(0.5), p95: at(0.95), max: at(1) };
}

/** Opens a session on `url`; resolves once its first frame is echoed, with the time that took (ms). */
function openSession(url: string, id: string): Promise<{ socket: WebSocket; ms: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/websocket/offer`);
    let t0 = 0;
    socket.once('open', () => {
      t0 = performance.now();
      socket.send(JSON.stringify({ event: 'start', websocket_id: id }));
      socket.send(MEDIA);
    });
    socket.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      if (m.event === 'media') {
        socket.removeAllListeners('message');
        resolve({ socket, ms: performance.now() - t0 });
      } else if (m.type === 'error' || m.status === 'failed') reject(new Error(`${id} refused: ${data.toString()}`));
    });
    socket.once('error', reject);
  });
}

async function admissions(url: string, n: number, prefix: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const { socket, ms } = await openSession(url, `${prefix}-${i}`);
    times.push(ms);
    socket.close();
    await new Promise((r) => socket.once('close', r));
  }
  return times;
}

async function inputs(url: string, id: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(`${url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: id, i }) });
    if (!res.ok) throw new Error(`POST /input ${res.status}`);
    await res.text();
    times.push(performance.now() - t0);
  }
  return times;
}

/** POST /input on `url`, the handler's output read on `url`'s SSE stream: time from post to output. */
async function outputs(url: string, id: string, n: number): Promise<number[]> {
  const sse = await fetch(`${url}/outputs?webrtc_id=${id}`);
  const reader = sse.body!.getReader();
  let text = '';
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const marker = `"seq":${i}}`;
    void fetch(`${url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: id, seq: i }) }).then((r) => r.text());
    while (!text.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) throw new Error('SSE ended');
      text += new TextDecoder().decode(value);
    }
    times.push(performance.now() - t0);
    text = text.slice(text.indexOf(marker) + marker.length);
  }
  await reader.cancel();
  return times;
}

async function main(): Promise<void> {
  const n = Number(process.argv[process.argv.indexOf('--n') + 1] ?? '') || 200;
  const port = await freePort();
  const redis = await start('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], /Ready to accept connections/);
  const redisUrl = `redis://127.0.0.1:${port}`;
  const alone = await gateway([]);
  const [a, b] = await Promise.all([gateway(['--redis', redisUrl]), gateway(['--redis', redisUrl])]);
  try {
    const admissionCount = Math.max(20, Math.round(n / 5));
    await admissions(alone.url, 5, 'warm-alone');
    await admissions(a.url, 5, 'warm-redis');
    const admissionAlone = stats(await admissions(alone.url, admissionCount, 'alone'));
    const admissionRedis = stats(await admissions(a.url, admissionCount, 'redis'));
    const held = await openSession(a.url, 'held');
    await inputs(a.url, 'held', 20);
    await inputs(b.url, 'held', 20);
    const inputOwner = stats(await inputs(a.url, 'held', n));
    const inputOther = stats(await inputs(b.url, 'held', n));
    const outputOwner = stats(await outputs(a.url, 'held', n));
    const outputOther = stats(await outputs(b.url, 'held', n));
    held.socket.close();
    const result = {
      meta: { date: new Date().toISOString(), command: 'npm run bench:cluster', cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100) },
      admissionMs: { alone: admissionAlone, redisDirectory: admissionRedis },
      inputRoundTripMs: { onOwner: inputOwner, onOtherNode: inputOther },
      inputToOutputMs: { onOwner: outputOwner, onOtherNode: outputOther },
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(new URL('cluster-forwarding.json', RESULTS), `${JSON.stringify(result, null, 2)}\n`);
    const row = (name: string, s: ReturnType<typeof stats>) => `| ${name} | ${s.n} | ${s.p50} | ${s.p95} | ${s.max} |`;
    process.stdout.write(
      [
        '| measured | n | p50 ms | p95 ms | max ms |',
        '|---|---|---|---|---|',
        row('admission → first echo, one process', admissionAlone),
        row('admission → first echo, Redis directory', admissionRedis),
        row('POST /input on the owner', inputOwner),
        row('POST /input on the other node (forwarded)', inputOther),
        row('POST /input → SSE output, on the owner', outputOwner),
        row('POST /input → SSE output, on the other node', outputOther),
        '',
        'wrote bench/results/cluster-forwarding.json',
        '',
      ].join('\n'),
    );
  } finally {
    for (const p of [alone, a, b]) p.child.kill('SIGTERM');
    await Promise.all([alone, a, b].map((p) => new Promise((r) => (p.child.exitCode !== null ? r(null) : p.child.once('exit', r)))));
    redis.child.kill('SIGKILL');
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
