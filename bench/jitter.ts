/**
 * `npm run bench:jitter`: cost of the jitter buffer per packet, of the PCM playout (jitter buffer +
 * waveform-repetition concealment) per 20 ms frame, and of starting a concealment (pitch search), on
 * this machine. Rates are per CPU second ("per core"), medians of N repetitions after warm-up (see
 * bench/lib/bench-timing.ts). Writes bench/results/jitter.json.
 *
 *   node dist/bench/jitter.js [--reps N]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { AudioPlayout } from '../src/jitter/audio-playout.js';
import { JitterBuffer } from '../src/jitter/jitter-buffer.js';
import { PcmConcealer } from '../src/jitter/pcm-concealer.js';
import { concatSamples } from '../src/audio/concat-samples.js';
import { readWav } from '../src/wav/wav-file.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { fmt, formatTable, measureRate, type RateStats } from './lib/bench-timing.js';

const RESULTS = new URL('../../bench/results/', import.meta.url);
const FIXTURE = new URL('../../test/fixtures/speech/s01-slt.wav', import.meta.url);

function lcg(seed: number): () => number {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

/** 3000 packets (60 s) with 0–30 ms arrival jitter and 5% loss through the core, one pop per tick. */
function coreWorkload(): number {
  const jb = new JitterBuffer<number>();
  const random = lcg(1);
  const arrivals: { at: number; seq: number }[] = [];
  for (let k = 0; k < 3000; k++) if (random() >= 0.05) arrivals.push({ at: k * 20 + random() * 30, seq: k });
  arrivals.sort((a, b) => a.at - b.at);
  let next = 0;
  for (let tick = 0; tick < 3050; tick++) {
    const now = tick * 20 + 10;
    while (next < arrivals.length && arrivals[next]!.at <= now) jb.push({ payload: arrivals[next]!.seq, seq: arrivals[next]!.seq }, arrivals[next++]!.at);
    jb.pop(now);
  }
  return 3050;
}

function playoutWorkload(frames: Int16Array[], rate: number): () => number {
  return () => {
    const playout = new AudioPlayout<Int16Array>({ sampleRate: rate, decode: (p) => p });
    const random = lcg(2);
    let ticks = 0;
    for (let k = 0; k < frames.length; k++) {
      if (random() >= 0.05) playout.push({ payload: frames[k]!, seq: k }, k * 20 + 3);
      playout.pull(k * 20 + 10);
      ticks++;
    }
    return ticks;
  };
}

function concealStartWorkload(rate: number, speech: Int16Array): () => number {
  const frame = Math.round(rate / 50);
  return () => {
    const c = new PcmConcealer({ sampleRate: rate });
    let starts = 0;
    for (let k = 0; k + frame <= speech.length && starts < 200; k += frame) {
      c.play(speech.subarray(k, k + frame));
      if (k % (frame * 5) === 0) {
        c.conceal(frame);
        starts++;
      }
    }
    return starts;
  };
}

async function speechAt(rate: number): Promise<Int16Array> {
  const wav = await readWav(FIXTURE.pathname);
  const r = new StreamingResampler(wav.sampleRate, rate);
  const out = concatSamples([r.process(wav.samples), r.flush()]);
  // Repeat to about 60 s.
  const reps = Math.ceil((60 * rate) / out.length);
  const long = new Int16Array(out.length * reps);
  for (let i = 0; i < reps; i++) long.set(out, i * out.length);
  return long;
}

async function main(): Promise<void> {
  const repsArg = process.argv.indexOf('--reps');
  const repetitions = repsArg >= 0 ? Number(process.argv[repsArg + 1]) : 7;
  if (!Number.isInteger(repetitions) || repetitions < 1) throw new TypeError(`Expected \`--reps\` to be an integer ≥ 1, got ${String(process.argv[repsArg + 1])}`);
  const timing = { repetitions, warmups: 2 };
  const rows: { name: string; unit: string; stats: RateStats; realtimeStreams?: number }[] = [];

  rows.push({ name: 'jitter buffer core (push+pop, 5% loss, 0–30 ms jitter)', unit: 'ticks', stats: measureRate(coreWorkload, timing) });
  for (const rate of [16_000, 48_000]) {
    const speech = await speechAt(rate);
    const frame = rate / 50;
    const frames = Array.from({ length: Math.floor(speech.length / frame) }, (_, k) => speech.subarray(k * frame, (k + 1) * frame));
    const stats = measureRate(playoutWorkload(frames, rate), timing);
    // One stream needs 50 frames a second.
    rows.push({ name: `PCM playout ${rate / 1000} kHz (5% loss concealed)`, unit: 'frames', stats, realtimeStreams: stats.median / 50 });
    rows.push({ name: `concealment start (pitch search) ${rate / 1000} kHz`, unit: 'starts', stats: measureRate(concealStartWorkload(rate, speech), timing) });
  }

  const table = formatTable(
    ['workload', 'per CPU second (median)', 'min..max', 'real-time streams per core'],
    rows.map((r) => [r.name, `${fmt(r.stats.median)} ${r.unit}`, `${fmt(r.stats.min)}..${fmt(r.stats.max)}`, r.realtimeStreams === undefined ? '' : fmt(r.realtimeStreams)]),
  );
  process.stdout.write(`${table}\n`);
  await mkdir(RESULTS, { recursive: true });
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model,
    loadavg: loadavg(),
    repetitions,
    rows: rows.map((r) => ({ name: r.name, unit: r.unit, ...r.stats, realtimeStreamsPerCore: r.realtimeStreams })),
  };
  await writeFile(new URL('jitter.json', RESULTS), `${JSON.stringify(result, null, 2)}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
