import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { encodeMulaw } from '../src/codecs/g711.js';
import { parseWavPcm16 } from '../src/speech/wav-pcm16.js';
import { trendPerMinute } from './soak-slope.js';

/**
 * `npm run soak -- --minutes 30 [--sessions 12] [--sample-s 60]` (docs/security.md, "Soak"): sessions
 * churn against two gateway processes (`wavegate serve`: echo with recordings on, and asr with
 * pocketsphinx) — each connects, talks 5–30 s (μ-law tone to echo; spoken sentences, L16, to asr), leaves (a third of them abruptly, a TCP reset)
 * and comes back as a new session. Every `sample-s` the gateways get a forced GC and report RSS, heap,
 * open fds and active handles/timers; slopes are fitted (least squares, per minute). After the churn
 * stops, the registry must be empty and fds/handles back to their start. JSON and an SVG chart go in
 * bench/results/soak.{json,svg}. `runSoak` is also what test/soak.test.ts runs for 2 minutes.
 */
/** The repository (this file runs from bench/ under vitest and from dist/bench/ under node). */
function repositoryRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const ROOT = repositoryRoot();

export interface SoakOptions {
  minutes: number;
  sessions: number;
  sampleS: number;
  /** Talk time range, s. */
  talkS?: [number, number];
  seed?: number;
  /** Samples taken before this (s into the run) are warm-up (code compiled, pools filled): not in the slopes. Default 60. */
  warmupS?: number;
  log?: (line: string) => void;
}

export interface SoakSample {
  readonly atMin: number;
  readonly rssMB: number;
  readonly heapMB: number;
  readonly fds: number;
  readonly handles: number;
  readonly timers: number;
  readonly sessionsOpen: number;
}

export interface SoakProcessReport {
  readonly handler: string;
  readonly samples: readonly SoakSample[];
  /** Least-squares slopes over the samples taken while churning, after the warm-up, per minute, at a constant number of open sessions (soak-slope.ts). */
  readonly slopes: { rssMBPerMin: number; heapMBPerMin: number; fdsPerMin: number; handlesPerMin: number };
  /** After the churn stopped and every session ended (forced GC): the registry, and what is left over the first sample. */
  readonly end: { sessionsOpen: number; fdsOverStart: number; handlesOverStart: number; timersOverStart: number; heapMBOverStart: number; rssMBOverStart: number };
}

export interface SoakReport {
  readonly bench: 'soak';
  readonly startedAt: string;
  readonly minutes: number;
  readonly sessionsAtOnce: number;
  readonly sessionsRun: number;
  readonly abrupt: number;
  readonly unexpectedCloses: Record<string, number>;
  /** The asr slot's sessions and the final transcripts they got (each one a pocketsphinx run). */
  readonly asr: { sessions: number; finalTranscripts: number };
  readonly processes: readonly SoakProcessReport[];
  readonly flat: { definition: string; pass: boolean };
}

/** "Flat", in numbers: what the slopes may be (projected over an hour: ≤ 20 MB RSS, ≤ 10 MB heap, ≤ 10 fds/handles). */
export const FLAT = { rssMBPerMin: 20 / 60, heapMBPerMin: 10 / 60, fdsPerMin: 10 / 60, handlesPerMin: 10 / 60 } as const;

interface Gateway {
  readonly handler: string;
  readonly child: ChildProcess;
  readonly url: string;
  sample(startedAt: number): Promise<SoakSample>;
}

function startGateway(handler: string, extra: readonly string[]): Promise<Gateway> {
  const hook = pathToFileURL(join(ROOT, 'dist/bench/fuzz/force-gc-hook.js')).href;
  const child = spawn(process.execPath, ['--expose-gc', '--import', hook, join(ROOT, 'bin/wavegate.js'), 'serve', '--port', '0', '--handler', handler, '--idle-timeout', '10', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiting: Array<(line: string) => void> = [];
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-20_000)));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        const line = out.slice(0, nl);
        out = out.slice(nl + 1);
        const listening = /listening on (http:\/\/\S+)/.exec(line);
        if (listening) {
          const url = listening[1]!;
          resolve({
            handler,
            child,
            url,
            sample: async (startedAt) => {
              const line = await new Promise<string>((done) => {
                waiting.push(done);
                child.kill('SIGUSR2');
              });
              const [, rss, heap, json] = /^wg-gc-done (\d+) (\d+) (\S+)/.exec(line)!;
              const resources = JSON.parse(json!) as Record<string, number>;
              const metrics = await (await fetch(`${url}/metrics`)).text();
              const open = Number(/^wavegate_sessions_open (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);
              return {
                atMin: (performance.now() - startedAt) / 60_000,
                rssMB: Number(rss) / 2 ** 20,
                heapMB: Number(heap) / 2 ** 20,
                fds: readdirSync(`/proc/${child.pid}/fd`).length,
                handles: Object.entries(resources).reduce((n, [type, k]) => (type === 'Timeout' || type === 'Immediate' ? n : n + k), 0),
                timers: resources.Timeout ?? 0,
                sessionsOpen: open,
              };
            },
          });
        }
        if (line.startsWith('wg-gc-done ')) waiting.shift()?.(line);
      }
    });
    child.once('exit', (code) => reject(new Error(`${handler} gateway exited (${code}):\n${err}`)));
  });
}

/** A small seeded PRNG (mulberry32), so a soak's churn repeats. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * What the asr session says: the spoken sentences of test/fixtures/speech (16 kHz), each followed by
 * 1.2 s of silence, so the VAD finds turns and every turn runs pocketsphinx (a tone is not speech to
 * the VAD: no turn, no decoder fed — the asr path would go untested). Sent as L16 at 16 kHz, 20 ms binary frames.
 */
function speechLoop(): Int16Array {
  const dir = join(ROOT, 'test/fixtures/speech');
  const files = readdirSync(dir).filter((f) => f.endsWith('.wav')).sort();
  const gap = new Int16Array(Math.round(1.2 * 16_000));
  const parts = files.flatMap((f) => [parseWavPcm16(readFileSync(join(dir, f))).samples, gap]);
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
const SPEECH_FORMAT = { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 };
const SPEECH_FRAME = 320;

const TONE = JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin(i / 3))))).toString('base64') } });
const FORMAT = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };

/** One session: connect, talk `talkMs` (a tone, or `speech` from `offset` on), then stop (or reset the connection when `abrupt`). */
function talk(url: string, id: string, talkMs: number, abrupt: boolean, until: () => boolean, speech?: { samples: Int16Array; offset: number }): Promise<{ code: number | 'reset'; transcripts: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/websocket/offer`);
    let transcripts = 0;
    socket.on('error', () => {
      // reported through close
    });
    socket.on('message', (data, isBinary) => {
      if (!isBinary && speech && (data as Buffer).includes('"transcript"') && (data as Buffer).includes('"final":true')) transcripts++;
    });
    socket.on('close', (code) => resolve({ code: abrupt ? 'reset' : code, transcripts }));
    socket.once('open', async () => {
      const format = speech ? SPEECH_FORMAT : FORMAT;
      socket.send(JSON.stringify({ event: 'start', websocket_id: id, mediaFormat: format, outputFormat: FORMAT }));
      const start = performance.now();
      for (let k = 0; k * 20 < talkMs && socket.readyState === WebSocket.OPEN && !until(); k++) {
        const wait = start + k * 20 - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        if (speech) {
          const { samples } = speech;
          const from = (speech.offset + k * SPEECH_FRAME) % (samples.length - SPEECH_FRAME);
          const frame = samples.subarray(from, from + SPEECH_FRAME);
          socket.send(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength), { binary: true });
        } else socket.send(TONE);
      }
      if (abrupt) socket.terminate();
      else if (socket.readyState === WebSocket.OPEN) socket.send('{"event":"stop"}');
    });
  });
}

function slope(samples: readonly SoakSample[], key: 'rssMB' | 'heapMB' | 'fds' | 'handles'): number {
  return trendPerMinute(samples.map((p) => ({ atMin: p.atMin, sessionsOpen: p.sessionsOpen, value: p[key] })));
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const [minTalk, maxTalk] = options.talkS ?? [5, 30];
  const rand = random(options.seed ?? 15);
  const recordDir = mkdtempSync(join(tmpdir(), 'wg-soak-rec-'));
  const gateways = [await startGateway('echo', ['--record-dir', recordDir]), await startGateway('asr', [])];
  const startedAt = performance.now();
  const endAt = startedAt + options.minutes * 60_000;
  const over = () => performance.now() >= endAt;
  const samples: SoakSample[][] = gateways.map(() => []);
  let sessionsRun = 0;
  let abrupt = 0;
  let asrSessions = 0;
  let asrTranscripts = 0;
  const speech = speechLoop();
  const unexpected: Record<string, number> = {};
  try {
    // The start, before any session: what the end is compared with.
    for (const [i, g] of gateways.entries()) samples[i]!.push(await g.sample(startedAt));
    const sampler = (async () => {
      while (!over()) {
        await new Promise((r) => setTimeout(r, Math.min(options.sampleS * 1000, Math.max(0, endAt - performance.now()))));
        if (over()) break;
        for (const [i, g] of gateways.entries()) samples[i]!.push(await g.sample(startedAt));
        const last = samples[0]!.at(-1)!;
        log(`soak: ${last.atMin.toFixed(1)} min, ${sessionsRun} sessions, echo rss ${last.rssMB.toFixed(1)} MB heap ${last.heapMB.toFixed(1)} MB fds ${last.fds}`);
      }
    })();
    // Slot 0 talks to the asr gateway; the rest to echo (recorded).
    const slots = Array.from({ length: options.sessions }, async (_, slot) => {
      const gateway = gateways[slot === 0 ? 1 : 0]!;
      for (let n = 0; !over(); n++) {
        const talkMs = 1000 * (minTalk + rand() * (maxTalk - minTalk));
        const isAbrupt = rand() < 1 / 3;
        sessionsRun++;
        if (isAbrupt) abrupt++;
        const speaking = slot === 0 ? { samples: speech, offset: Math.floor(rand() * speech.length) } : undefined;
        const { code, transcripts } = await talk(gateway.url, `soak-${slot}-${n}`, talkMs, isAbrupt, over, speaking);
        if (slot === 0) {
          asrSessions++;
          asrTranscripts += transcripts;
        }
        if (code !== 'reset' && code !== 1000) unexpected[code] = (unexpected[code] ?? 0) + 1;
        await new Promise((r) => setTimeout(r, 200 + rand() * 800));
      }
    });
    await Promise.all([...slots, sampler]);
    // Churn over: every session must end (stop answered, resets noticed), then the end reading.
    let end: SoakSample[] = [];
    for (let tries = 0; tries < 30; tries++) {
      await new Promise((r) => setTimeout(r, 1000));
      end = await Promise.all(gateways.map((g) => g.sample(startedAt)));
      if (end.every((s) => s.sessionsOpen === 0)) break;
    }
    const processes = gateways.map((g, i): SoakProcessReport => {
      const s = samples[i]!;
      const churn = s.slice(1).filter((p) => p.atMin * 60 >= (options.warmupS ?? 60));
      const first = s[0]!;
      const last = end[i]!;
      return {
        handler: g.handler,
        samples: [...s, last],
        slopes: { rssMBPerMin: slope(churn, 'rssMB'), heapMBPerMin: slope(churn, 'heapMB'), fdsPerMin: slope(churn, 'fds'), handlesPerMin: slope(churn, 'handles') },
        end: {
          sessionsOpen: last.sessionsOpen,
          fdsOverStart: last.fds - first.fds,
          handlesOverStart: last.handles - first.handles,
          timersOverStart: last.timers - first.timers,
          heapMBOverStart: last.heapMB - first.heapMB,
          rssMBOverStart: last.rssMB - first.rssMB,
        },
      };
    });
    const pass = processes.every(
      (p) =>
        p.slopes.rssMBPerMin <= FLAT.rssMBPerMin &&
        p.slopes.heapMBPerMin <= FLAT.heapMBPerMin &&
        p.slopes.fdsPerMin <= FLAT.fdsPerMin &&
        p.slopes.handlesPerMin <= FLAT.handlesPerMin &&
        p.end.sessionsOpen === 0,
    );
    return {
      bench: 'soak',
      startedAt: new Date(Date.now() - (performance.now() - startedAt)).toISOString(),
      minutes: options.minutes,
      sessionsAtOnce: options.sessions,
      sessionsRun,
      abrupt,
      unexpectedCloses: unexpected,
      asr: { sessions: asrSessions, finalTranscripts: asrTranscripts },
      processes,
      flat: {
        definition: `slopes fitted over the churn samples (forced GC before each), on time and sessions open together (bench/soak-slope.ts): RSS ≤ ${FLAT.rssMBPerMin.toFixed(3)} MB/min, heap ≤ ${FLAT.heapMBPerMin.toFixed(3)} MB/min, fds and handles ≤ ${FLAT.fdsPerMin.toFixed(3)}/min (an hour at that rate: 20 MB, 10 MB, 10); no session open after the churn`,
        pass,
      },
    };
  } finally {
    for (const g of gateways) g.child.kill('SIGTERM');
    rmSync(recordDir, { recursive: true, force: true });
  }
}

/** RSS and heap (MB) of the echo and asr gateways against minutes: plain SVG. */
export function soakChart(report: SoakReport): string {
  const W = 760;
  const H = 400;
  const M = { left: 56, right: 170, top: 36, bottom: 44 };
  const series = report.processes.flatMap((p) => [
    { name: `${p.handler} RSS`, color: p.handler === 'echo' ? '#1f77b4' : '#d62728', dash: '', points: p.samples.map((s) => [s.atMin, s.rssMB] as const) },
    { name: `${p.handler} heap`, color: p.handler === 'echo' ? '#1f77b4' : '#d62728', dash: '5,4', points: p.samples.map((s) => [s.atMin, s.heapMB] as const) },
  ]);
  const xMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const yMax = Math.ceil(Math.max(10, ...series.flatMap((s) => s.points.map((p) => p[1]))) / 10) * 10;
  const x = (v: number) => M.left + (v / xMax) * (W - M.left - M.right);
  const y = (v: number) => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  const lines = series.map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}" points="${s.points.map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(' ')}"/>`);
  const legend = series.map((s, i) => `<line x1="${W - M.right + 12}" x2="${W - M.right + 40}" y1="${M.top + 14 + i * 20}" y2="${M.top + 14 + i * 20}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/><text x="${W - M.right + 46}" y="${M.top + 18 + i * 20}" font-size="12">${s.name}</text>`);
  const ticks = Array.from({ length: 6 }, (_, i) => (yMax * i) / 5).map((v) => `<text x="${M.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${v}</text><line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
  const xticks = Array.from({ length: 6 }, (_, i) => (xMax * i) / 5).map((v) => `<text x="${x(v)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${v.toFixed(1)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${M.left}" y="22" font-size="14">wavegate soak: ${report.minutes} min, ${report.sessionsRun} sessions (${report.abrupt} abrupt); memory after a forced GC</text>
${ticks.join('\n')}
${xticks.join('\n')}
<text x="${(W - M.right + M.left) / 2}" y="${H - 8}" font-size="12" text-anchor="middle">minutes</text>
<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">MB</text>
${lines.join('\n')}
${legend.join('\n')}
</svg>
`;
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const report = await runSoak({ minutes: arg('minutes', 30), sessions: arg('sessions', 12), sampleS: arg('sample-s', 60), log: (l) => process.stderr.write(`${l}\n`) });
  const dir = join(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'soak.svg'), soakChart(report));
  console.log(JSON.stringify({ ...report, processes: report.processes.map(({ samples: _, ...p }) => p) }, null, 2));
}
