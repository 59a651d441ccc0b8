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
 *   - beside them, stages alone: decode, resample, encode, and a plain copy of the frame's bytes.
 *
 * µs per frame = CPU time of this single-threaded process ÷ frames, median of N repetitions (rows in
 * turns, see bench/lib/bench-timing.ts). Writes bench/results/session-paths.json.
 *
 *   node dist/bench/session-paths.js [--reps N]
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
import { fmt, formatTable, measureRatesInTurns } from './lib/bench-timing.js';

const RESULTS = new URL('../../bench/results/', import.meta.url);
const FIXTURE = new URL('../../test/fixtures/speech/s01-slt.wav', import.meta.url);
const FRAME_48K = 960;

function parseReps(argv: readonly string[]): number {
  if (argv.length === 0) return 15;
  const reps = Number(argv[1]);
  if (argv[0] !== '--reps' || argv.length !== 2 || !Number.isInteger(reps) || reps < 1) {
    throw new TypeError(`Expected \`--reps N\` (an integer ≥ 1), got \`${argv.join(' ')}\``);
  }
  return reps;
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
        sink += inputPipeline.pull(inputNow, 'arrival').length;
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
  ].map((row) => ({ ...row, work: () => row.work() + (sink === 0.5 ? 1 : 0) }));
}

async function main(): Promise<void> {
  const reps = parseReps(process.argv.slice(2));
  const load = loadavg();
  const started = new Date();
  console.log(`bench:paths — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load ${load.map((l) => l.toFixed(2)).join(' ')}, ${reps} repetitions\n`);
  const frames = await speechFrames48k();
  const rows = [
    ...rowsFor('μ-law JSON', { encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 }, { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 }, frames),
    ...rowsFor('L16 binary', { encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 }, { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 }, frames),
  ];
  const { rates } = measureRatesInTurns(
    rows.map((r) => r.work),
    { repetitions: reps, warmups: 3 },
  );
  const results = rows.map((r, i) => ({ name: r.name, microsecondsPerFrame: 1e6 / rates[i]!.median, spread: [1e6 / rates[i]!.max, 1e6 / rates[i]!.min] }));
  const header = ['stage (one 20 ms frame)', 'µs per frame', 'min–max'];
  console.log(formatTable(header, results.map((r) => [r.name, fmt(r.microsecondsPerFrame, 1), `${fmt(r.spread[0]!, 1)}–${fmt(r.spread[1]!, 1)}`])));
  await mkdir(RESULTS, { recursive: true });
  const out = new URL('session-paths.json', RESULTS);
  const meta = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadAverageAtStart: load, started: started.toISOString(), repetitions: reps, frames: frames.length };
  await writeFile(out, `${JSON.stringify({ meta, results }, null, 2)}\n`);
  console.log(`\nwrote ${out.pathname}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
