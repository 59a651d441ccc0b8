/**
 * Barge-in on phone calls: how long from the caller starting to talk over the reply until the carrier
 * gets `clear`, and how much reply audio went out meanwhile. The gateway runs in its own process
 * (`wavegate serve` with bench/telephone/barge-in-handler); this process plays Twilio: connected, start,
 * a μ-law frame every 20 ms (0.6 s silence, then 0.4 s of loud tone), reading what comes back.
 *
 *   node dist/bench/telephone/barge-in.js [--calls N] [--concurrent C ...]
 *
 * Writes bench/results/telephone-barge-in.json: per concurrency level, the median / p90 / max of the
 * clear latency (ms) and of the reply frames sent after the caller started talking, the server's CPU
 * (% of one core) and the machine's 1-minute load average (other work on the box skews everything).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { decodeMulaw, encodeMulaw } from '../../src/codecs/g711.js';
import { cpuPercent, procSample, startServer } from '../load/server-process.js';

const RESULTS = new URL('../../../bench/results/', import.meta.url);
const HANDLER = fileURLToPath(new URL('./barge-in-handler.js', import.meta.url));
const CLI = fileURLToPath(new URL('../../../bin/wavegate.js', import.meta.url));

function parseArgs(argv: readonly string[]): { calls: number; concurrent: number[] } {
  let calls = 20;
  const concurrent: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--calls' && Number.isInteger(value) && value > 0) calls = value;
    else if (argv[i] === '--concurrent' && Number.isInteger(value) && value > 0) concurrent.push(value);
    else throw new TypeError(`bad argument ${JSON.stringify(argv[i])} ${JSON.stringify(argv[i + 1])} (use --calls N, --concurrent C)`);
    i++;
  }
  return { calls, concurrent: concurrent.length > 0 ? concurrent : [1, 10] };
}

function toneFrames(n: number, amp: number): string[] {
  return Array.from({ length: n }, (_, f) => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = Math.round(amp * Math.sin((2 * Math.PI * 440 * (f * 160 + i)) / 8000));
    return Buffer.from(encodeMulaw(pcm)).toString('base64');
  });
}

const FRAMES = [...toneFrames(30, 0), ...toneFrames(20, 8000)];
const TALK_FRAME = 30;

interface CallResult {
  clearMs: number;
  replyFramesAfterTalk: number;
  /** Worst lateness of this process's own 20 ms sends: when it is large, the client, not the gateway, is behind. */
  sendLagMs: number;
}

async function oneCall(wsUrl: string, sid: string): Promise<CallResult> {
  const ws = new WebSocket(wsUrl);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  let talkAt = Number.NaN;
  let clearAt = Number.NaN;
  let replyFramesAfterTalk = 0;
  ws.on('message', (data) => {
    const message = JSON.parse(String(data)) as { event: string; media?: { payload: string } };
    const now = performance.now();
    if (message.event === 'clear' && Number.isNaN(clearAt)) clearAt = now;
    if (message.event === 'media' && now >= talkAt && Number.isNaN(clearAt)) {
      const pcm = decodeMulaw(Buffer.from(message.media!.payload, 'base64'));
      let sum = 0;
      for (const s of pcm) sum += s * s;
      if (Math.sqrt(sum / pcm.length) > 1000) replyFramesAfterTalk++;
    }
  });
  const send = (message: unknown) => ws.send(JSON.stringify(message));
  send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  send({ event: 'start', sequenceNumber: '1', start: { streamSid: sid, callSid: `CA${sid.slice(2)}`, tracks: ['inbound'], mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, customParameters: {} }, streamSid: sid });
  const t0 = performance.now();
  let sendLagMs = 0;
  for (let k = 0; k < FRAMES.length; k++) {
    const wait = t0 + k * 20 - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    sendLagMs = Math.max(sendLagMs, performance.now() - (t0 + k * 20));
    if (k === TALK_FRAME) talkAt = performance.now();
    send({ event: 'media', sequenceNumber: String(k + 2), media: { track: 'inbound', chunk: String(k + 1), timestamp: String(k * 20), payload: FRAMES[k] }, streamSid: sid });
  }
  await new Promise((r) => setTimeout(r, 300));
  send({ event: 'stop', sequenceNumber: String(FRAMES.length + 2), streamSid: sid });
  await new Promise((r) => ws.once('close', r));
  return { clearMs: clearAt - talkAt, replyFramesAfterTalk, sendLagMs };
}

function summary(values: number[]): { median: number; p90: number; max: number; n: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => +s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(1);
  return { median: at(0.5), p90: at(0.9), max: +s.at(-1)!.toFixed(1), n: s.length };
}

async function main(): Promise<void> {
  const { calls, concurrent } = parseArgs(process.argv.slice(2));
  const server = await startServer([CLI, 'serve', '--port', '0', '--handler', HANDLER], '/telephone/handler');
  const levels: Record<string, unknown>[] = [];
  let next = 0;
  try {
    for (const c of concurrent) {
      const results: CallResult[] = [];
      const before = procSample(server.pid);
      const loadBefore = loadavg()[0]!;
      for (let round = 0; round < Math.ceil(calls / c); round++) {
        const batch = Array.from({ length: c }, () => oneCall(server.wsUrl, `MZ${String(next++).padStart(32, '0')}`));
        results.push(...(await Promise.all(batch)));
      }
      const missed = results.filter((r) => Number.isNaN(r.clearMs)).length;
      const ok = results.filter((r) => !Number.isNaN(r.clearMs));
      const serverCpuPercent = +cpuPercent(before, procSample(server.pid)).toFixed(1);
      const level = { concurrentCalls: c, calls: results.length, serverCpuPercent, machineLoad1m: loadBefore, missedClears: missed, clearLatencyMs: summary(ok.map((r) => r.clearMs)), replyFramesAfterTalk: summary(ok.map((r) => r.replyFramesAfterTalk)), clientSendLagMs: summary(results.map((r) => r.sendLagMs)) };
      levels.push(level);
      console.log(JSON.stringify(level));
    }
  } finally {
    await server.stop();
  }
  await mkdir(RESULTS, { recursive: true });
  const report = { bench: 'telephone-barge-in', date: new Date().toISOString(), cpus: cpus().length, loadavg: loadavg(), node: process.version, levels };
  await writeFile(new URL('telephone-barge-in.json', RESULTS), `${JSON.stringify(report, null, 2)}\n`);
}

await main();
