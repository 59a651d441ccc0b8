/**
 * `npm run bench:codecs`: G.711, Opus and resampler throughput (and resampler quality beside
 * libsamplerate-js) on this machine. Prints tables and writes bench/results/codecs.json (all numbers,
 * with spreads) and bench/results/codecs.md (the tables as Markdown, for the README).
 *
 *   node dist/bench/codecs.js [--reps N] [--quick] [--only g711|opus|resampler] [--js-kernels]
 *
 * The resampler part times every tier (docs/resampler.md) beside libsamplerate-js in turns;
 * --js-kernels adds our JavaScript kernels (the fallback without WebAssembly SIMD; slow).
 *
 * Rates are per CPU second of this (single-threaded) process — "per core" — as medians of N
 * repetitions (default 7) after warm-up runs; see bench/lib/bench-timing.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { concatSamples } from '../src/audio/concat-samples.js';
import { readWav } from '../src/wav/wav-file.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { fmt, formatMarkdown, formatTable, type TimingOptions } from './lib/bench-timing.js';
import { benchG711, FRAME_BYTES } from './lib/g711-bench.js';
import { benchOpus } from './lib/opus-bench.js';
import { benchResamplerPair, type ResamplerRow } from './lib/resampler-bench.js';

const FIXTURES = new URL('../../test/fixtures/speech/', import.meta.url);
const RESULTS = new URL('../../bench/results/', import.meta.url);

const PARTS = ['g711', 'opus', 'resampler'] as const;
type Part = (typeof PARTS)[number];

function parseArgs(argv: readonly string[]): { reps: number; quick: boolean; only: Part | undefined; jsKernels: boolean } {
  let reps = 7;
  let quick = false;
  let jsKernels = false;
  let only: Part | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--quick') quick = true;
    else if (argv[i] === '--js-kernels') jsKernels = true;
    else if (argv[i] === '--reps') reps = Number(argv[++i]);
    else if (argv[i] === '--only') {
      const part = argv[++i];
      if (!PARTS.includes(part as Part)) throw new TypeError(`Expected \`--only\` to be one of ${PARTS.join(', ')}, got ${JSON.stringify(part)}`);
      only = part as Part;
    } else throw new TypeError(`unknown argument ${JSON.stringify(argv[i])} (use --reps N, --quick, --js-kernels, --only ${PARTS.join('|')})`);
  }
  if (!Number.isInteger(reps) || reps < 1) throw new TypeError(`Expected \`--reps\` to be an integer ≥ 1, got ${String(reps)}`);
  return { reps: quick ? Math.min(reps, 3) : reps, quick, only, jsKernels };
}

async function loadSpeech16k(): Promise<Int16Array> {
  const names = Array.from({ length: 12 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`).flatMap((s) => [`${s}-slt.wav`, `${s}-rms.wav`]);
  const parts = await Promise.all(names.map(async (n) => (await readWav(new URL(n, FIXTURES).pathname)).samples));
  return concatSamples(parts);
}

function convert(samples: Int16Array, from: number, to: number): Int16Array {
  return new StreamingResampler(from, to).processAll(samples);
}

const RESAMPLE_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [48_000, 24_000],
  [24_000, 48_000],
  [48_000, 16_000],
  [16_000, 48_000],
  [16_000, 8000],
  [8000, 16_000],
  [44_100, 48_000],
];

async function main(): Promise<void> {
  const { reps, quick, only, jsKernels } = parseArgs(process.argv.slice(2));
  const runs = (part: Part): boolean => only === undefined || only === part;
  const timing: TimingOptions = { repetitions: reps, warmups: 2 };
  const started = new Date();
  const load = loadavg();
  console.log(`bench:codecs — node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load ${load.map((l) => l.toFixed(2)).join(' ')}, ${reps} repetitions\n`);

  const speech16 = await loadSpeech16k();
  const speech8 = convert(speech16, 16_000, 8000);
  const speech48 = convert(speech16, 16_000, 48_000);
  const targets: Record<string, { value: unknown; pass: boolean }> = {};
  const tables: string[] = [];
  const show = (header: string[], rows: string[][]): void => {
    console.log(formatTable(header, rows), '\n');
    tables.push(formatMarkdown(header, rows));
  };

  // G.711: three times the repetitions (it is quick, and the machine's speed swings)
  const g711 = runs('g711') ? benchG711(speech8, { ...timing, repetitions: 3 * reps }) : [];
  if (g711.length > 0) {
    show(
      ['G.711, 160-byte frames', 'MB/s per core', 'min–max', 'MB/s wall', '× copy 160 B'],
      g711.map((r) => [r.name, fmt(r.mbPerSecond.median), `${fmt(r.mbPerSecond.min)}–${fmt(r.mbPerSecond.max)}`, fmt(r.mbPerSecond.wallMedian), fmt(r.vsCopy160, 2)]),
    );
    const mulawDecode = g711.find((r) => r.name === 'μ-law decode, into buffer')!;
    targets.mulawDecodeAtLeast1GBps = { value: mulawDecode.mbPerSecond.median, pass: mulawDecode.mbPerSecond.median >= 1000 };
  }

  // Opus
  const opusSpeech = quick ? { 16_000: speech16.subarray(0, 16_000 * 10), 48_000: speech48.subarray(0, 48_000 * 10) } : { 16_000: speech16, 48_000: speech48 };
  const opus = [];
  if (runs('opus')) for (const rate of [48_000, 16_000] as const) for (const complexity of [5, 9]) opus.push(benchOpus(opusSpeech[rate], rate, complexity, timing));
  if (opus.length > 0) {
    show(
      ['Opus, 20 ms mono speech', 'encode × RT', 'decode × RT', 'streams/core (enc+dec)', 'kbit/s'],
      opus.map((r) => [`${r.sampleRate / 1000} kHz, complexity ${r.complexity}`, fmt(r.encode.median), fmt(r.decode.median), fmt(r.streamsPerCore), fmt(r.meanBitrate / 1000, 1)]),
    );
  }

  // Resampler: every tier beside libsamplerate, in turns
  const resampler: ResamplerRow[] = [];
  if (runs('resampler')) for (const [a, b] of quick ? RESAMPLE_PAIRS.slice(0, 2) : RESAMPLE_PAIRS) resampler.push(...(await benchResamplerPair(a, b, timing, { jsKernels })));
  if (resampler.length > 0) {
    show(
      ['resampler, PCM16, 20 ms chunks', 'taps', '× RT per core', 'min–max', '÷ lsr medium', '÷ lsr fastest', 'passband SNR dB', 'rejection dB'],
      resampler.map((r) => [
        `${r.inputRate} → ${r.outputRate}  ${r.converter}`,
        r.taps === undefined ? '' : String(r.taps),
        fmt(r.realtime.median),
        `${fmt(r.realtime.min)}–${fmt(r.realtime.max)}`,
        fmt(r.vsMedium, 2),
        fmt(r.vsFastest, 2),
        fmt(r.passbandSnrDb, 1),
        `${fmt(r.rejectionDb, 1)} (${r.rejectionKind}${r.rejectionKind === 'stopband' && r.stopbandFrom !== 1 ? ` from ${r.stopbandFrom.toFixed(2)}·Nyq` : ''})`,
      ]),
    );
    const row = (a: number, b: number, converter: ResamplerRow['converter']) => resampler.find((r) => r.inputRate === a && r.outputRate === b && r.converter === converter);
    const high4816 = row(48_000, 16_000, 'wavegate high');
    const medium4816 = row(48_000, 16_000, 'libsamplerate medium');
    if (high4816 && medium4816) {
      targets.resampler48to16SnrAtLeast90dB = { value: high4816.passbandSnrDb, pass: high4816.passbandSnrDb >= 90 };
      targets.resampler48to16AtLeast200xRealtime = { value: high4816.realtime.median, pass: high4816.realtime.median >= 200 };
      targets.resampler48to16AtLeastLibsamplerateMedium = {
        value: { snr: [high4816.passbandSnrDb, medium4816.passbandSnrDb], rejection: [high4816.rejectionDb, medium4816.rejectionDb] },
        pass: high4816.passbandSnrDb >= medium4816.passbandSnrDb && high4816.rejectionDb >= medium4816.rejectionDb,
      };
    }
    // Issue 14: the live tier's 48 → 24 kHz at ≥ 2000× real time per core, and ≥ 90 dB
    const live4824 = row(48_000, 24_000, 'wavegate live');
    if (live4824) {
      targets.resampler48to24LiveAtLeast2000xRealtime = { value: live4824.realtime.median, pass: live4824.realtime.median >= 2000 };
      targets.resampler48to24LiveStopbandAtLeast90dB = { value: live4824.rejectionDb, pass: live4824.rejectionDb >= 90 };
    }
  }

  // Targets (issues 2 and 14)
  for (const [name, t] of Object.entries(targets)) console.log(`${t.pass ? 'PASS' : 'FAIL'}  ${name}: ${JSON.stringify(t.value)}`);

  const meta = { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadAverageAtStart: load, loadAverageAtEnd: loadavg(), started: started.toISOString(), repetitions: reps, quick, only, jsKernels, frameBytes: FRAME_BYTES };
  await mkdir(RESULTS, { recursive: true });
  const base = only === undefined ? 'codecs' : `codecs-${only}`;
  const json = new URL(`${base}.json`, RESULTS);
  await writeFile(json, `${JSON.stringify({ meta, targets, g711, opus, resampler }, null, 2)}\n`);
  const md = [
    `Measured ${started.toISOString().slice(0, 10)} with \`npm run bench:codecs${only === undefined ? '' : ` -- --only ${only}`}\` (node ${process.version}, ${meta.cpu} × ${meta.cores}, load average ${load[0]!.toFixed(1)} at start; medians of ${reps} repetitions (G.711: ${3 * reps}, in turns), rates per CPU second).`,
    ...tables,
  ].join('\n\n');
  await writeFile(new URL(`${base}.md`, RESULTS), `${md}\n`);
  console.log(`\nwrote ${json.pathname} and ${base}.md`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
