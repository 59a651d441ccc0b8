/**
 * `npm run bench:paths`: what one 20 ms frame costs on the gateway's media paths, stage by stage, side
 * by side in one run — the per-frame CPU that sets how many sessions a core carries (see README
 * "Performance"). FastRTC's default formats: μ-law JSON at 48 kHz in, echo at 48 kHz, μ-law at 24 kHz
 * out; and binary L16 at the same rates. Each row drives the real classes the session uses, on speech
 * (fixture s01 at 48 kHz), one frame at a time:
 *
 *   - parse: the FastRTC serializer reading one inbound message (JSON + strict base64, or binary);
 *   - input path: InputPipeline push + pull (decode, jitter buffer, concealer history), one frame out;
 *   - output path: OutputPipeline pushAudio + due (48 → 24 kHz resampler, re-framing, encoding);
 *   - serialize: the outbound message (JSON + base64, or binary);
 *   - beside them, stages alone: decode, resample, encode, and a plain copy of the frame's bytes;
 *   - whole session, in memory: parse → Session (input pipeline, handler runner, echo handler, output
 *     pipeline) → serialized replies, on a virtual clock (bench/lib/session-harness.ts);
 *   - whole session over loopback WebSockets: the real gateway and N clients in this process, in real
 *     time, beside a bare `ws` relay doing the same (CPU of both ends ÷ frames sent).
 *
 * µs per frame = CPU time of this single-threaded process ÷ frames, median of N repetitions (rows in
 * turns, see bench/lib/bench-timing.ts). Every in-memory row also reports the bytes it allocates per
 * frame (V8 heap and ArrayBuffer backing stores, over GC-free windows) and the whole-session rows the
 * share of CPU time spent in GC (bench/lib/alloc-meter.ts). Writes bench/results/session-paths.json
 * (or the file given by --out).
 *
 *   node dist/bench/session-paths.js [--reps N] [--loopback-sessions N] [--loopback-seconds S] [--out FILE]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { decodeMulaw, encodeMulaw } from '../src/codecs/g711.js';
import { encodeL16 } from '../src/codecs/l16.js';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { InputPipeline } from '../src/session/input-pipeline.js';
import { OutputPipeline } from '../src/session/output-pipeline.js';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';
import { readWav } from '../src/wav/wav-file.js';
import { measureAllocation, measureGcShare } from './lib/alloc-meter.js';
import { fmt, formatTable, measureRatesInTurns, median } from './lib/bench-timing.js';
import { inMemorySession, loopback } from './lib/session-harness.js';

const RESULTS = new URL('../../bench/results/', import.meta.url);
const FIXTURE = new URL('../../test/fixtures/speech/s01-slt.wav', import.meta.url);
const FRAME_48K = 960;
const MULAW_48K: MediaFormat = { encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 };
const MULAW_24K: MediaFormat = { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 };
const L16_48K: MediaFormat = { encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 };
const L16_24K: MediaFormat = { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 };

interface PathsOptions {
  readonly reps: number;
  readonly loopbackSessions: number;
  readonly loopbackSeconds: number;
  readonly out: string;
}

function parseOptions(argv: readonly string[]): PathsOptions {
  const o = { reps: 15, loopbackSessions: 20, loopbackSeconds: 4, out: 'session-paths.json' };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1] ?? '';
    const n = Number(value);
    if (flag === '--out' && value !== '') o.out = value;
    else if (flag === '--reps' && Number.isInteger(n) && n >= 1) o.reps = n;
    else if (flag === '--loopback-sessions' && Number.isInteger(n) && n >= 0 && n <= 500) o.loopbackSessions = n;
    else if (flag === '--loopback-seconds' && n >= 1 && n <= 60) o.loopbackSeconds = n;
    else throw new TypeError(`Expected \`--reps N\`, \`--loopback-sessions N\` (0–500), \`--loopback-seconds S\` (1–60) or \`--out FILE\`, got \`${flag} ${value}\``);
  }
  return o;
}

/** 48 kHz speech frames: the 16 kHz fixture brought up by the resampler. */
async function speechFrames48k(): Promise<Int16Array[]> {
  const { samples } = await readWav(FIXTURE.pathname);
  const up = new StreamingResampler(16_000, 48_000);
  const all = up.process(samples);
  const frames: Int16Array[] = [];
  for (let at = 0; at + FRAME_48K <= all.length; at += FRAME_48K) frames.push(all.slice(at, at + FRAME_48K));
  return frames;
}

interface Row {
  readonly name: string;
  readonly work: () => number;
}

/** Whole-session rows: asynchronous (each message is a turn of the event loop), GC share measured. */
interface SessionRow {
  readonly name: string;
  readonly run: () => Promise<number>;
}

/** Rows for one wire format; each `work` handles every frame once and returns how many it handled. */
function rowsFor(label: string, input: MediaFormat, output: MediaFormat, frames: Int16Array[]): Row[] {
  const binary = input.encoding !== 'audio/x-mulaw';
  const encode = (pcm: Int16Array): Uint8Array => (binary ? encodeL16(pcm) : encodeMulaw(pcm));
  const payloads = frames.map(encode);
  const messages = payloads.map((p) => (binary ? Buffer.from(p) : Buffer.from(JSON.stringify({ event: 'media', media: { payload: Buffer.from(p).toString('base64') } }))));
  const serializer = new FastRtcSerializer();
  serializer.binaryOutput = binary;
  const inputPipeline = new InputPipeline(input, input.sampleRate, 20);
  const outputPipeline = new OutputPipeline(output, { frameMs: 20, leadMs: 60, capacity: 1 << 30 });
  const replies = frames.map((f) => encode(f.subarray(0, f.length / 2)));
  const resampler = new StreamingResampler(48_000, 24_000);
  const copyTarget = new Uint8Array(payloads[0]!.length);
  const whole = inMemorySession(input, output, messages, binary);
  let inputNow = 0;
  let outputNow = 0;
  let sink = 0;
  const each = (body: (i: number) => void) => (): number => {
    for (let i = 0; i < frames.length; i++) body(i);
    return frames.length;
  };
  return [
    { name: `${label}: parse the inbound message`, work: each((i) => (sink += serializer.parse(messages[i]!, binary).type.length)) },
    {
      name: `${label}: input path (decode, jitter buffer → handler frame)`,
      work: each((i) => {
        inputNow += 20;
        inputPipeline.push({ payload: payloads[i]!, seq: undefined, timestamp: undefined }, inputNow);
        // The handler is done with each frame at once (a synchronous receive): it goes back to the pool.
        for (const frame of inputPipeline.pull(inputNow, 'arrival')) {
          sink += frame.samples.length;
          inputPipeline.release(frame);
        }
      }),
    },
    {
      name: `${label}: output path (48 → 24 kHz, frames, encode)`,
      work: each((i) => {
        outputNow += 20;
        outputPipeline.pushAudio({ samples: frames[i]!, sampleRate: 48_000, channels: 1, timestamp: outputNow }, outputNow);
        for (let due = outputPipeline.next(outputNow + 1e9); due !== undefined; due = outputPipeline.next(outputNow + 1e9)) {
          sink += due === 'frame' ? outputPipeline.takeFrame().length : outputPipeline.takeMark().name.length;
        }
      }),
    },
    { name: `${label}: serialize the outbound message`, work: each((i) => (sink += serializer.serialize({ type: 'media', payload: replies[i]! })!.length)) },
    ...(binary
      ? []
      : [
          { name: `${label}: μ-law decode alone`, work: each((i) => (sink += decodeMulaw(payloads[i]!)[0]!)) },
          { name: `${label}: 48 → 24 kHz resampler alone`, work: each((i) => (sink += resampler.process(frames[i]!).length)) },
          { name: `${label}: μ-law encode alone (24 kHz)`, work: each((i) => (sink += encodeMulaw(frames[i]!.subarray(0, 480))[0]!)) },
        ]),
    { name: `${label}: copy of the frame's bytes (TypedArray.set)`, work: each((i) => copyTarget.set(payloads[i]!)) },
  ].map((row): Row => ({ ...row, work: () => row.work() + (sink === 0.5 ? 1 : 0) }));
}

function sessionRowsFor(label: string, input: MediaFormat, output: MediaFormat, frames: Int16Array[]): SessionRow[] {
  const binary = input.encoding !== 'audio/x-mulaw';
  const whole = inMemorySession(input, output, mediaMessages(frames, binary), binary);
  return [{ name: `${label}: whole session in memory (parse → Session + runner + echo → serialize)`, run: () => whole.run() }];
}

/** The floor under every whole-session row: one turn of the event loop per message and nothing else. */
const EVENT_LOOP_TURN: SessionRow = {
  name: 'event-loop turn alone (setImmediate), the floor under the rows above',
  run: async () => {
    for (let i = 0; i < 144; i++) await new Promise(setImmediate);
    return 144;
  },
};

/** Median µs per frame (CPU) of `reps` runs, each `rounds` passes over the frames. */
async function timeSessionRow(row: SessionRow, reps: number, rounds: number): Promise<{ us: number[]; gcPercent: number }> {
  for (let i = 0; i < 3; i++) await row.run();
  const us: number[] = [];
  const gcShares: number[] = [];
  for (let r = 0; r < reps; r++) {
    let frames = 0;
    const share = await measureGcShare(async () => {
      for (let k = 0; k < rounds; k++) frames += await row.run();
    });
    us.push((1000 * share.cpuMs) / frames);
    gcShares.push(share.gcPercent);
  }
  return { us, gcPercent: median(gcShares) };
}

function mediaMessages(frames: Int16Array[], binary: boolean): Buffer[] {
  return frames.map((f) => {
    const payload = binary ? encodeL16(f) : encodeMulaw(f);
    return binary ? Buffer.from(payload) : Buffer.from(JSON.stringify({ event: 'media', media: { payload: Buffer.from(payload).toString('base64') } }));
  });
}

function startMessage(input: MediaFormat, output: MediaFormat): (id: string) => string {
  return (id) => JSON.stringify({ event: 'start', websocket_id: id, mediaFormat: input, outputFormat: output });
}

interface LoopbackRow {
  readonly name: string;
  readonly microsecondsPerFrame: number;
  readonly spread: [number, number];
  readonly gcPercent: number;
  readonly echoedShare: number;
}

/** The gateway and the bare relay over loopback WebSockets, in turns, `reps` runs of `seconds` each. */
async function loopbackRows(label: string, input: MediaFormat, output: MediaFormat, frames: Int16Array[], o: PathsOptions): Promise<LoopbackRow[]> {
  const binary = input.encoding !== 'audio/x-mulaw';
  const messages = mediaMessages(frames, binary);
  const targets = ['gateway', 'relay'] as const;
  const rigs = await Promise.all(targets.map((t) => loopback(t, o.loopbackSessions, messages, binary, startMessage(input, output))));
  const runs = targets.map(() => [] as { us: number; gc: number; echoed: number }[]);
  const reps = Math.max(3, Math.min(5, Math.round(o.reps / 5)));
  for (let r = 0; r < reps + 1; r++) {
    for (let t = 0; t < rigs.length; t++) {
      let result: { framesSent: number; framesEchoed: number } | undefined;
      const share = await measureGcShare(async () => {
        result = await rigs[t]!.run(r === 0 ? 1 : o.loopbackSeconds);
      });
      if (r === 0) continue; // warm-up
      runs[t]!.push({ us: (1000 * share.cpuMs) / result!.framesSent, gc: share.gcPercent, echoed: result!.framesEchoed / result!.framesSent });
    }
  }
  await Promise.all(rigs.map((rig) => rig.close()));
  return targets.map((t, i) => {
    const us = runs[i]!.map((x) => x.us);
    return {
      name: `${label}: ${t === 'gateway' ? 'gateway (echo)' : 'bare ws relay'} over loopback ws, ${o.loopbackSessions} sessions in real time (both ends)`,
      microsecondsPerFrame: median(us),
      spread: [Math.min(...us), Math.max(...us)] as [number, number],
      gcPercent: median(runs[i]!.map((x) => x.gc)),
      echoedShare: median(runs[i]!.map((x) => x.echoed)),
    };
  });
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const { reps } = o;
  const load = loadavg();
  const started = new Date();
  console.log(`bench:paths — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load ${load.map((l) => l.toFixed(2)).join(' ')}, ${reps} repetitions\n`);
  const frames = await speechFrames48k();
  const rows = [
    ...rowsFor('μ-law JSON', MULAW_48K, MULAW_24K, frames),
    ...rowsFor('L16 binary', L16_48K, L16_24K, frames),
  ];
  const { rates } = measureRatesInTurns(
    rows.map((r) => r.work),
    { repetitions: reps, warmups: 3 },
  );
  const results: { name: string; microsecondsPerFrame: number; spread: number[]; heapBytesPerFrame: number; arrayBufferBytesPerFrame: number; gcPercent?: number }[] = [];
  for (const [i, r] of rows.entries()) {
    const allocation = await measureAllocation(() => r.work(), frames.length, frames.length * 20);
    results.push({
      name: r.name,
      microsecondsPerFrame: 1e6 / rates[i]!.median,
      spread: [1e6 / rates[i]!.max, 1e6 / rates[i]!.min],
      heapBytesPerFrame: allocation.heapBytes,
      arrayBufferBytesPerFrame: allocation.arrayBufferBytes,
    });
  }
  const sessionRows = [...sessionRowsFor('μ-law JSON', MULAW_48K, MULAW_24K, frames), ...sessionRowsFor('L16 binary', L16_48K, L16_24K, frames), EVENT_LOOP_TURN];
  for (const r of sessionRows) {
    const { us, gcPercent } = await timeSessionRow(r, reps, 10);
    const allocation = await measureAllocation(() => r.run(), frames.length, frames.length * 20);
    results.push({
      name: r.name,
      microsecondsPerFrame: median(us),
      spread: [Math.min(...us), Math.max(...us)],
      heapBytesPerFrame: allocation.heapBytes,
      arrayBufferBytesPerFrame: allocation.arrayBufferBytes,
      gcPercent,
    });
  }
  const header = ['stage (one 20 ms frame)', 'µs per frame', 'min–max', 'heap B/frame', 'ArrayBuffer B/frame', 'GC %'];
  const cells = (v: number | undefined, d: number): string => (v === undefined ? '' : fmt(v, d));
  console.log(formatTable(header, results.map((r) => [r.name, fmt(r.microsecondsPerFrame, 1), `${fmt(r.spread[0]!, 1)}–${fmt(r.spread[1]!, 1)}`, cells(r.heapBytesPerFrame, 0), cells(r.arrayBufferBytesPerFrame, 0), cells(r.gcPercent, 1)])));
  const loop: LoopbackRow[] = [];
  if (o.loopbackSessions > 0) {
    loop.push(...(await loopbackRows('μ-law JSON', MULAW_48K, MULAW_24K, frames, o)));
    loop.push(...(await loopbackRows('L16 binary', L16_48K, L16_24K, frames, o)));
    console.log();
    console.log(formatTable(['over loopback ws (one 20 ms frame)', 'µs per frame', 'min–max', 'GC %', 'echoed'], loop.map((r) => [r.name, fmt(r.microsecondsPerFrame, 1), `${fmt(r.spread[0], 1)}–${fmt(r.spread[1], 1)}`, fmt(r.gcPercent, 1), `${fmt(100 * r.echoedShare, 1)} %`])));
  }
  await mkdir(RESULTS, { recursive: true });
  const out = new URL(o.out, RESULTS);
  const meta = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadAverageAtStart: load, started: started.toISOString(), repetitions: reps, frames: frames.length, loopbackSessions: o.loopbackSessions, loopbackSeconds: o.loopbackSeconds };
  await writeFile(out, `${JSON.stringify({ meta, results, loopback: loop }, null, 2)}\n`);
  console.log(`\nwrote ${out.pathname}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
