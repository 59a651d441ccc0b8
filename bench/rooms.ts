/**
 * `npm run bench:rooms` (docs/rooms.md, "Cost"): rooms × participants on this machine.
 *
 * 1. Mixer core, in process: time per tick of `RoomMixer` for 5 and 50 members, 1 talker and all talking.
 * 2. A real gateway (`node bin/wavegate.js serve`, one process): FastRTC μ-law 8 kHz participants sent
 *    from this process, 20 ms frames in real time, one talker per room (the others send silence, as open
 *    microphones do) and then everyone talking. Measured: the gateway's CPU (/proc/PID/stat) per participant,
 *    the mixer's time per tick and its ticks per second (50/s = it holds real time), from GET /rooms/{id}.
 * 3. Mouth-to-ear latency at tone onsets: participant → room → another participant, beside a plain echo
 *    session (→ handler → back) on the same gateway. Latency = arrival of the first frame carrying the
 *    tone − sending of the frame it started in (both on this process's clock).
 *
 * Writes bench/results/rooms.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import WebSocket from 'ws';
import { decodeMulaw, encodeMulaw } from '../src/codecs/g711.js';
import { ParticipantInput } from '../src/rooms/participant-input.js';
import { RoomMixer, type MixerMember } from '../src/rooms/room-mixer.js';

const ROOT = new URL('../../', import.meta.url).pathname; // dist/bench → repo
const FRAME = 160; // 20 ms at 8 kHz
const CLK_TCK = 100;

function toneFrame(k: number, freq: number, amplitude: number): Buffer {
  const pcm = new Int16Array(FRAME);
  for (let i = 0; i < FRAME; i++) pcm[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * (k * FRAME + i)) / 8000));
  return Buffer.from(encodeMulaw(pcm));
}
const SILENT = Buffer.from(encodeMulaw(new Int16Array(FRAME)));

function mixerCore(): Array<Record<string, number>> {
  const out: Array<Record<string, number>> = [];
  for (const [members, talkers] of [[5, 1], [5, 5], [50, 1], [50, 2], [50, 50]] as const) {
    const frameSamples = 320; // 20 ms at 16 kHz, the default room rate
    const mixer = new RoomMixer(frameSamples, 10 ** (-60 / 20));
    // Uncorrelated voices (each its own frequency), −20 dBFS each: the sum of 50 passes the limiter's knee now and then.
    const voices = Array.from({ length: members }, (_, m) => {
      const v = new Int16Array(frameSamples);
      for (let i = 0; i < frameSamples; i++) v[i] = Math.round(3000 * Math.sin((i * (m + 3)) / 41));
      return v;
    });
    const quiet = new Int16Array(frameSamples);
    const list: MixerMember[] = [];
    for (let m = 0; m < members; m++) {
      const input = new ParticipantInput({ frameSamples, primeFrames: 1, maxFrames: 4, capacity: 8 });
      const member: MixerMember = { id: `m${m}`, input, muted: false, gain: 1, listener: () => undefined, always: false, frame: undefined, level: 0, heard: false };
      list.push(member);
      mixer.add(member);
    }
    const ticks = 5000;
    let total = 0;
    for (let t = 0; t < ticks + 200; t++) {
      list.forEach((m, i) => m.input.push(i < talkers ? voices[i]! : quiet));
      const start = performance.now();
      mixer.tick(t * 20);
      if (t >= 200) total += performance.now() - start;
    }
    out.push({ members, talkers, usPerTick: Math.round((total / ticks) * 1000 * 10) / 10 });
  }
  return out;
}

interface Gateway {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

function startGateway(args: string[]): Promise<Gateway> {
  const child = spawn(process.execPath, [`${ROOT}bin/wavegate.js`, 'serve', '--port', '0', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(/wavegate listening on (https?:\/\/\S+)/);
      if (match) resolve({ url: match[1]!, pid: child.pid!, stop: () => new Promise((done) => (child.once('exit', () => done()), child.kill('SIGTERM'))) });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited ${code}: ${out}`)));
  });
}

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

/** A FastRTC μ-law 8 kHz client: sends what `next(k)` gives every 20 ms (driven by the caller), notes arrivals. */
class Client {
  readonly ws: WebSocket;
  received = 0;
  onMedia: ((pcm: Int16Array, at: number) => void) | undefined;
  private k = 0;
  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      const text = data.toString();
      if (!text.startsWith('{"event":"media"')) return;
      this.received++;
      if (this.onMedia) this.onMedia(decodeMulaw(new Uint8Array(Buffer.from(JSON.parse(text).media.payload, 'base64'))), performance.now());
    });
  }
  static async open(base: string, id: string, room: string | undefined): Promise<Client> {
    const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/websocket/offer`);
    await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
    const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };
    ws.send(JSON.stringify({ event: 'start', websocket_id: id, mediaFormat: format, outputFormat: format, ...(room && { room }) }));
    return new Client(ws);
  }
  send(payload: Buffer): void {
    this.k++;
    this.ws.send(`{"event":"media","media":{"payload":"${payload.toString('base64')}"}}`);
  }
  close(): void {
    this.ws.close();
  }
}

/** Runs `tick(k)` every 20 ms on a drift-free schedule for `ms`. */
async function paced(ms: number, tick: (k: number) => void): Promise<void> {
  const start = performance.now();
  for (let k = 0; k * 20 < ms; k++) {
    const wait = start + k * 20 - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    tick(k);
  }
}

async function roomStats(url: string, id: string): Promise<{ ticks: number; meanTickMs: number; maxTickMs: number }> {
  const body = (await (await fetch(`${url}/rooms/${id}`)).json()) as { mixer: { ticks: number; meanTickMs: number; maxTickMs: number } };
  return body.mixer;
}

async function loadScenario(gw: Gateway, rooms: number, size: number, talkersPerRoom: number, seconds: number) {
  const tag = `r${rooms}x${size}t${talkersPerRoom}`;
  const clients: Client[][] = [];
  for (let r = 0; r < rooms; r++) {
    const list: Client[] = [];
    for (let p = 0; p < size; p++) list.push(await Client.open(gw.url, `${tag}-${r}-${p}`, `${tag}-${r}`));
    clients.push(list);
  }
  const freq = (p: number) => 300 + 50 * p;
  const send = (k: number) => clients.forEach((list) => list.forEach((c, p) => c.send(p < talkersPerRoom ? toneFrame(k, freq(p), 3000) : SILENT)));
  await paced(2000, send); // warm-up: joins, priming, JIT
  const before = await Promise.all(clients.map((_, r) => roomStats(gw.url, `${tag}-${r}`)));
  const cpu0 = cpuTicks(gw.pid);
  const t0 = performance.now();
  await paced(seconds * 1000, send);
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = (cpuTicks(gw.pid) - cpu0) / CLK_TCK / elapsedS; // cores busy
  const after = await Promise.all(clients.map((_, r) => roomStats(gw.url, `${tag}-${r}`)));
  const ticksPerS = after.map((a, r) => (a.ticks - before[r]!.ticks) / elapsedS);
  const meanTickMs = after.reduce((s, a) => s + a.meanTickMs, 0) / after.length;
  const maxTickMs = Math.max(...after.map((a) => a.maxTickMs));
  const received = clients.flat().reduce((s, c) => s + c.received, 0);
  for (const c of clients.flat()) c.close();
  await new Promise((r) => setTimeout(r, 500));
  const participants = rooms * size;
  return {
    rooms,
    participantsPerRoom: size,
    talkersPerRoom,
    seconds: Math.round(elapsedS * 10) / 10,
    gatewayCpuPercentOfOneCore: Math.round(cpu * 1000) / 10,
    cpuPercentPerParticipant: Math.round((cpu * 1000) / participants) / 10,
    mixerTicksPerSecond: Math.round(Math.min(...ticksPerS) * 10) / 10,
    mixerMeanTickMs: Math.round(meanTickMs * 1000) / 1000,
    mixerMaxTickMs: Math.round(maxTickMs * 100) / 100,
    framesReceivedPerParticipantPerSecond: Math.round(received / participants / (elapsedS + 2)),
  };
}

/** Tone bursts from `speaker`; latency to the first frame at `listener` whose level shows the tone. */
async function onsetLatencies(speaker: Client, listener: Client, bursts: number): Promise<number[]> {
  const sentAt: number[] = [];
  const latencies: number[] = [];
  let waiting = false;
  listener.onMedia = (pcm, at) => {
    if (!waiting) return;
    let peak = 0;
    for (const s of pcm) peak = Math.max(peak, Math.abs(s));
    if (peak > 1500) {
      waiting = false;
      latencies.push(at - sentAt[sentAt.length - 1]!);
    }
  };
  // Each burst: 200 ms of tone then 400 ms of silence (30 frames).
  await paced(bursts * 600 + 600, (k) => {
    const phase = k % 30;
    if (k >= bursts * 30) return speaker.send(SILENT);
    if (phase === 0) {
      sentAt.push(performance.now());
      waiting = true;
    }
    speaker.send(phase < 10 ? toneFrame(k, 700, 8000) : SILENT);
  });
  listener.onMedia = undefined;
  return latencies;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! * 10) / 10;
};

async function main(): Promise<void> {
  const result: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, loadAverage: (await import('node:os')).loadavg() };
  result.mixerCore = mixerCore();
  console.log('mixer core (µs per tick):', JSON.stringify(result.mixerCore));
  const gw = await startGateway(['--handler', 'echo', '--room-max-participants', '60', '--concurrency-limit', '200']);
  try {
    const a = await Client.open(gw.url, 'lat-a', 'latency');
    const b = await Client.open(gw.url, 'lat-b', 'latency');
    const e = await Client.open(gw.url, 'lat-echo', undefined);
    await paced(500, () => (a.send(SILENT), b.send(SILENT), e.send(SILENT)));
    const room = await onsetLatencies(a, b, 15);
    const echo = await onsetLatencies(e, e, 15);
    result.mouthToEarMs = {
      room: { median: pct(room, 50), p95: pct(room, 95), n: room.length },
      echoSession: { median: pct(echo, 50), p95: pct(echo, 95), n: echo.length },
      note: 'socket-to-socket on one machine; excludes the clients’ own capture and playout buffers',
    };
    console.log('mouth-to-ear (ms):', JSON.stringify(result.mouthToEarMs));
    for (const c of [a, b, e]) c.close();
    const scenarios = [];
    for (const [rooms, size, talkers] of [[10, 5, 1], [10, 5, 5], [1, 50, 1], [1, 50, 50]] as const) {
      const s = await loadScenario(gw, rooms, size, talkers, 10);
      console.log('load:', JSON.stringify(s));
      scenarios.push(s);
    }
    result.load = scenarios;
  } finally {
    await gw.stop();
  }
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(`${ROOT}bench/results/rooms.json`, JSON.stringify(result, null, 2) + '\n');
  console.log('wrote bench/results/rooms.json');
}

await main();
