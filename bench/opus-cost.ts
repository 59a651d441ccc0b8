/**
 * `npm run build && node dist/bench/opus-cost.js`: what each Opus encoder setting costs, per 20 ms mono frame at 48 kHz (the Opus
 * echo path of bench:load) and 16 kHz: encode and decode CPU µs per frame, bitrate, and for DTX the
 * share of packets that carry no audio (≤ 2 bytes). Encoding goes through wavegate's own encoder
 * (src/codecs/opus.ts: @discordjs/opus, native libopus 1.3.1), decoding through its WebAssembly decoder.
 * Writes bench/results/opus-cost.json and .md; the choice of defaults is argued in docs/media.md.
 *
 *   node dist/bench/opus-cost.js [--reps N] [--quick]
 *
 * Speech: the 24 spoken fixtures (test/fixtures/speech, 16 kHz) back to back, brought to 48 kHz by the
 * gateway's resampler. Silence: digital zeros. µs = CPU time of this single-threaded process ÷ frames,
 * median of N repetitions (bench/lib/bench-timing.ts).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { concatSamples } from '../src/audio/concat-samples.js';
import { OpusStreamDecoder, OpusStreamEncoder, type OpusEncoderOptions } from '../src/codecs/opus.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { readWav } from '../src/wav/wav-file.js';
import { fmt, formatMarkdown, formatTable, measureRate, type RateStats, type TimingOptions } from './lib/bench-timing.js';

const FIXTURES = new URL('../../test/fixtures/speech/', import.meta.url);
const RESULTS = new URL('../../bench/results/', import.meta.url);

interface Setting {
  readonly label: string;
  readonly sampleRate: number;
  readonly signal: 'speech' | 'silence';
  readonly options: OpusEncoderOptions;
}

interface Row extends Setting {
  readonly encodeUsPerFrame: number;
  readonly decodeUsPerFrame: number;
  readonly encode: RateStats;
  readonly decode: RateStats;
  readonly kbitPerS: number;
  /** Packets of ≤ 2 bytes (DTX: nothing to decode but concealment/comfort noise). */
  readonly emptyPacketShare: number;
}

function parseArgs(argv: readonly string[]): { reps: number; quick: boolean } {
  let reps = 5;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') quick = true;
    else if (argv[i] === '--reps') reps = Number(argv[++i]);
    else throw new TypeError(`unknown argument ${JSON.stringify(argv[i])} (use --reps N, --quick)`);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new TypeError(`Expected \`--reps\` to be an integer ≥ 1, got ${String(reps)}`);
  return { reps: quick ? Math.min(reps, 3) : reps, quick };
}

async function loadSpeech16k(): Promise<Int16Array> {
  const names = Array.from({ length: 12 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`).flatMap((s) => [`${s}-slt.wav`, `${s}-rms.wav`]);
  const parts = await Promise.all(names.map(async (n) => (await readWav(new URL(n, FIXTURES).pathname)).samples));
  return concatSamples(parts);
}

function frames(signal: Int16Array, sampleRate: number): Int16Array[] {
  const n = (sampleRate * 20) / 1000;
  const out: Int16Array[] = [];
  for (let at = 0; at + n <= signal.length; at += n) out.push(signal.subarray(at, at + n));
  return out;
}

function measure(setting: Setting, input: Int16Array[], timing: TimingOptions): Row {
  let packets: Uint8Array[] = [];
  const encode = measureRate(() => {
    const encoder = new OpusStreamEncoder(setting.sampleRate, 1, { ...setting.options, frameMs: 20 });
    packets = input.map((f) => encoder.encode(f));
    encoder.close();
    return input.length;
  }, timing);
  let sink = 0;
  const decode = measureRate(() => {
    const decoder = new OpusStreamDecoder(setting.sampleRate, 1);
    for (const p of packets) sink += decoder.decode(p)[5]!;
    decoder.close();
    return packets.length;
  }, timing);
  if (sink === 0.5) console.log(sink);
  const bytes = packets.reduce((n, p) => n + p.length, 0);
  return {
    ...setting,
    encodeUsPerFrame: 1e6 / encode.median,
    decodeUsPerFrame: 1e6 / decode.median,
    encode,
    decode,
    kbitPerS: (bytes * 8) / (packets.length * 0.02) / 1000,
    emptyPacketShare: packets.filter((p) => p.length <= 2).length / packets.length,
  };
}

function settings(): Setting[] {
  const out: Setting[] = [];
  for (const complexity of [0, 1, 2, 3, 4, 5, 6, 8, 10]) out.push({ label: `48 kHz voip, complexity ${complexity}`, sampleRate: 48_000, signal: 'speech', options: { complexity } });
  for (const complexity of [0, 2, 5]) out.push({ label: `48 kHz voip, complexity ${complexity}, 24 kbit/s`, sampleRate: 48_000, signal: 'speech', options: { complexity, bitrate: 24_000 } });
  for (const application of ['audio', 'lowdelay'] as const) {
    for (const complexity of [0, 5]) out.push({ label: `48 kHz ${application}, complexity ${complexity}`, sampleRate: 48_000, signal: 'speech', options: { complexity, application } });
  }
  for (const complexity of [0, 5]) out.push({ label: `48 kHz voip, complexity ${complexity}, DTX`, sampleRate: 48_000, signal: 'speech', options: { complexity, dtx: true } });
  for (const complexity of [0, 5]) out.push({ label: `48 kHz voip, complexity ${complexity}, FEC at 10 % loss`, sampleRate: 48_000, signal: 'speech', options: { complexity, fec: true, packetLossPercent: 10 } });
  for (const dtx of [false, true]) out.push({ label: `48 kHz audio, complexity 0, silence${dtx ? ', DTX' : ''}`, sampleRate: 48_000, signal: 'silence', options: { complexity: 0, application: 'audio', dtx } });
  out.push({ label: '48 kHz audio, complexity 0, FEC at 10 % loss', sampleRate: 48_000, signal: 'speech', options: { complexity: 0, application: 'audio', fec: true, packetLossPercent: 10 } });
  for (const dtx of [false, true]) out.push({ label: `48 kHz voip, complexity 0, silence${dtx ? ', DTX' : ''}`, sampleRate: 48_000, signal: 'silence', options: { complexity: 0, dtx } });
  for (const dtx of [false, true]) out.push({ label: `48 kHz voip, complexity 5, silence${dtx ? ', DTX' : ''}`, sampleRate: 48_000, signal: 'silence', options: { complexity: 5, dtx } });
  for (const complexity of [0, 2, 5, 10]) out.push({ label: `16 kHz voip, complexity ${complexity}`, sampleRate: 16_000, signal: 'speech', options: { complexity } });
  return out;
}

async function main(): Promise<void> {
  const { reps, quick } = parseArgs(process.argv.slice(2));
  const timing: TimingOptions = { repetitions: reps, warmups: 1 };
  const speech16Full = await loadSpeech16k();
  const speech16 = quick ? speech16Full.subarray(0, 16_000 * 8) : speech16Full;
  const speech48 = new StreamingResampler(16_000, 48_000).processAll(speech16);
  const signals = {
    speech: { 16_000: frames(speech16, 16_000), 48_000: frames(speech48, 48_000) },
    silence: { 16_000: frames(new Int16Array(speech16.length), 16_000), 48_000: frames(new Int16Array(speech48.length), 48_000) },
  } as const;
  const rows: Row[] = [];
  for (const s of settings()) {
    const row = measure(s, signals[s.signal][s.sampleRate as 16_000 | 48_000], timing);
    rows.push(row);
    process.stderr.write(`${row.label.padEnd(44)} encode ${fmt(row.encodeUsPerFrame).padStart(4)} µs  decode ${fmt(row.decodeUsPerFrame).padStart(4)} µs  ${fmt(row.kbitPerS, 1)} kbit/s\n`);
  }
  const header = ['Opus setting (20 ms mono frames)', 'encode µs/frame', 'decode µs/frame', 'encode + decode µs', 'kbit/s', 'DTX packets'];
  const cells = rows.map((r) => [
    r.label,
    fmt(r.encodeUsPerFrame),
    fmt(r.decodeUsPerFrame),
    fmt(r.encodeUsPerFrame + r.decodeUsPerFrame),
    fmt(r.kbitPerS, 1),
    r.emptyPacketShare > 0 ? `${fmt(r.emptyPacketShare * 100)} %` : '–',
  ]);
  process.stdout.write(`\n${formatTable(header, cells)}\n`);
  const meta = {
    date: new Date().toISOString(),
    command: `node dist/bench/opus-cost.js${quick ? ' --quick' : ''} --reps ${reps}`,
    cpu: cpus()[0]?.model,
    node: process.version,
    loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
    speechSeconds: speech16.length / 16_000,
    method: 'CPU µs per 20 ms frame (this process, user + system) = 1e6 ÷ median frames per CPU second over the repetitions',
  };
  await mkdir(RESULTS, { recursive: true });
  await writeFile(new URL('opus-cost.json', RESULTS), `${JSON.stringify({ meta, rows }, null, 2)}\n`);
  await writeFile(new URL('opus-cost.md', RESULTS), `${formatMarkdown(header, cells)}\n`);
  process.stdout.write(`\nwrote bench/results/opus-cost.json and opus-cost.md\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
