/**
 * Instructions per 20 ms frame on the gateway's media paths, counted by valgrind's callgrind: a
 * load-independent figure for comparing per-frame work on a shared machine (wall-clock µs there are
 * noise; README "Performance"). FastRTC's default formats as `bench:load` sends them: μ-law JSON at
 * 48 kHz in, 24 kHz out, and binary L16 at the same rates, speech (fixture s01 brought up to 48 kHz).
 *
 * Parts, each the real classes the session uses:
 *   - inbound: serializer parse (fast JSON shape + base64, or binary) → InputPipeline push + pull
 *     (decode, jitter buffer, concealer history) → the handler's frame released;
 *   - outbound: OutputPipeline pushAudio + next/takeFrame (48 → 24 kHz, re-framing, encode) →
 *     serializer serializeMedia (JSON bytes + base64, or a binary view);
 *   - session: the whole in-memory session (bench/lib/session-harness.ts, stepNow: parse → Session →
 *     echo handler → serialized replies), no event-loop turn.
 *
 * Method: each part runs in a child `node --single-threaded` (so JIT and GC work stay on the counted
 * thread and in a repeatable order) under callgrind twice, with the same warm-up and N or 2N frames;
 * counting is switched on after the warm-up; instructions per frame = (Ir₂ − Ir₁) / N, so the switch
 * and exit cancel. Guest instructions, not cycles: compare runs of this script with each other, not
 * with µs elsewhere.
 *
 *   node dist/bench/frame-instructions.js [--warmup N] [--frames N] [--parts inbound,outbound,session]
 *       [--paths mulaw-json,l16-binary] [--out FILE]     (FILE is written in bench/results/)
 *   node dist/bench/frame-instructions.js --child PATH PART FRAMES WARMUP   (one run, for callgrind)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeMulaw } from '../src/codecs/g711.js';
import { encodeL16 } from '../src/codecs/l16.js';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { InputPipeline } from '../src/media-path/input-pipeline.js';
import { OutputPipeline } from '../src/media-path/output-pipeline.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';
import { readWav } from '../src/wav/wav-file.js';
import { inMemorySession } from './lib/in-memory-session.js';

const PATHS = {
  'mulaw-json': { input: { encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 }, output: { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 }, binary: false },
  'l16-binary': { input: { encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 }, output: { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 }, binary: true },
} as const satisfies Record<string, { input: MediaFormat; output: MediaFormat; binary: boolean }>;
type PathName = keyof typeof PATHS;
const PARTS = ['inbound', 'outbound', 'session'] as const;
type Part = (typeof PARTS)[number];

const FIXTURE = new URL('../../test/fixtures/speech/s01-slt.wav', import.meta.url);
const RESULTS = new URL('../../bench/results/', import.meta.url);

async function speechFrames48k(): Promise<Int16Array[]> {
  const { samples } = await readWav(FIXTURE.pathname);
  const all = new StreamingResampler(16_000, 48_000).process(samples);
  const frames: Int16Array[] = [];
  for (let at = 0; at + 960 <= all.length; at += 960) frames.push(all.slice(at, at + 960));
  return frames;
}

function wireMessages(frames: Int16Array[], binary: boolean): Buffer[] {
  return frames.map((f) => (binary ? Buffer.from(encodeL16(f)) : Buffer.from(JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(f)).toString('base64') } }))));
}

/** One frame's work of `part` on `path`, as a function called once per frame. */
async function frameWork(path: PathName, part: Part): Promise<() => void> {
  const { input, output, binary } = PATHS[path];
  const frames = await speechFrames48k();
  const messages = wireMessages(frames, binary);
  let i = 0;
  let now = 0;
  if (part === 'session') {
    const session = inMemorySession(input, output, messages, binary);
    return () => session.stepNow();
  }
  if (part === 'inbound') {
    const serializer = new FastRtcSerializer();
    const pipeline = new InputPipeline(input, input.sampleRate, 20);
    return () => {
      now += 20;
      const event = serializer.parse(messages[i]!, binary);
      i = (i + 1) % messages.length;
      if (event.type !== 'media') throw new Error('not media');
      pipeline.push(event, now);
      for (const frame of pipeline.pull(now, 'arrival')) pipeline.release(frame);
    };
  }
  const serializer = new FastRtcSerializer();
  serializer.binaryOutput = binary;
  const pipeline = new OutputPipeline(output, { frameMs: 20, leadMs: 60, capacity: 1 << 30 });
  let sink = 0;
  return () => {
    now += 20;
    pipeline.pushAudio({ samples: frames[i]!, sampleRate: 48_000, channels: 1, timestamp: now }, now);
    i = (i + 1) % frames.length;
    for (let due = pipeline.next(now + 1e9); due !== undefined; due = pipeline.next(now + 1e9)) {
      if (due === 'frame') sink += serializer.serializeMedia(pipeline.takeFrame()).bytes.length;
      else pipeline.takeMark();
    }
    if (sink === -1) throw new Error('unreachable');
  };
}

async function child(path: PathName, part: Part, frames: number, warmup: number): Promise<void> {
  const work = await frameWork(path, part);
  for (let k = 0; k < warmup; k++) work();
  if (process.env.FRAME_INSTRUCTIONS_TOGGLE === '1') execFileSync('callgrind_control', ['-i', 'on', String(process.pid)], { stdio: 'ignore' });
  for (let k = 0; k < frames; k++) work();
}

/** Total instructions (Ir) of one child run under callgrind. */
function countInstructions(path: PathName, part: Part, frames: number, warmup: number): number {
  const dir = mkdtempSync(join(tmpdir(), 'frame-instr-'));
  const out = join(dir, 'callgrind.out');
  try {
    const script = fileURLToPath(import.meta.url);
    // Counting starts after the warm-up (the child turns it on with callgrind_control), so a run costs
    // seconds, not minutes; what the switch itself costs is the same in both runs and cancels.
    execFileSync('valgrind', ['--tool=callgrind', '--instr-atstart=no', `--callgrind-out-file=${out}`, '--dump-line=no', process.execPath, '--single-threaded', script, '--child', path, part, String(frames), String(warmup)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FRAME_INSTRUCTIONS_TOGGLE: '1' },
    });
    const text = readFileSync(out, 'utf8');
    const m = /^(?:summary|totals):\s*(\d+)/m.exec(text);
    if (!m) throw new Error(`no instruction total in ${out}`);
    return Number(m[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    await child(argv[1] as PathName, argv[2] as Part, Number(argv[3]), Number(argv[4]));
    return;
  }
  const o = { warmup: 3000, frames: 3000, parts: [...PARTS] as Part[], paths: Object.keys(PATHS) as PathName[], out: '' };
  for (let k = 0; k < argv.length; k += 2) {
    const flag = argv[k];
    const value = argv[k + 1] ?? '';
    if (flag === '--warmup') o.warmup = Number(value);
    else if (flag === '--frames') o.frames = Number(value);
    else if (flag === '--parts') o.parts = value.split(',') as Part[];
    else if (flag === '--paths') o.paths = value.split(',') as PathName[];
    else if (flag === '--out') o.out = value;
    else throw new TypeError(`Expected --warmup N, --frames N, --parts a,b, --paths a,b or --out FILE, got \`${flag}\``);
  }
  for (const p of o.paths) if (!(p in PATHS)) throw new TypeError(`Unknown path \`${p}\` (${Object.keys(PATHS).join(', ')})`);
  for (const p of o.parts) if (!PARTS.includes(p)) throw new TypeError(`Unknown part \`${p}\` (${PARTS.join(', ')})`);
  const rows: { path: PathName; part: Part; instructionsPerFrame: number }[] = [];
  for (const path of o.paths) {
    for (const part of o.parts) {
      const a = countInstructions(path, part, o.frames, o.warmup);
      const b = countInstructions(path, part, 2 * o.frames, o.warmup);
      const perFrame = Math.round((b - a) / o.frames);
      rows.push({ path, part, instructionsPerFrame: perFrame });
      console.log(`${path.padEnd(11)} ${part.padEnd(9)} ${String(perFrame).padStart(9)} instructions per frame`);
    }
  }
  if (o.out !== '') {
    await mkdir(RESULTS, { recursive: true });
    const meta = { node: process.version, started: new Date().toISOString(), warmupFrames: o.warmup, frames: o.frames, method: 'callgrind Ir counted from after the warm-up (callgrind_control -i on), (run with 2N frames − run with N) / N, node --single-threaded' };
    await writeFile(new URL(o.out, RESULTS), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
