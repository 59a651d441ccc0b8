import { describe, expect, test } from 'vitest';
import { AudioPlayout } from '../src/jitter/audio-playout.js';
import type { JitterPacket } from '../src/jitter/jitter-buffer.js';
import { OpusStreamDecoder, OpusStreamEncoder } from '../src/codecs/opus.js';
import { readWav } from '../src/wav/wav-file.js';

const RATE = 16_000;
const FRAME = 320;

function lcg(seed: number) {
  return () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

interface Arrival<T> {
  at: number;
  packet: JitterPacket<T>;
}

/** Pushes arrivals and pulls once per 20 ms tick; returns every pulled frame (undefined = nothing). */
function run<T>(playout: AudioPlayout<T>, arrivals: Arrival<T>[], ticks: number): (Int16Array | undefined)[] {
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const out: (Int16Array | undefined)[] = [];
  let next = 0;
  for (let k = 0; k < ticks; k++) {
    const now = 10 + k * 20;
    while (next < sorted.length && sorted[next]!.at <= now) playout.push(sorted[next]!.packet, sorted[next++]!.at);
    out.push(playout.pull(now));
  }
  return out;
}

function frameRms(x: Int16Array, k: number): number {
  let s = 0;
  for (let i = k * FRAME; i < (k + 1) * FRAME; i++) s += (x[i] ?? 0) ** 2;
  return Math.sqrt(s / FRAME);
}

function pearson(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  const ma = a.slice(0, n).reduce((s, v) => s + v, 0) / n;
  const mb = b.slice(0, n).reduce((s, v) => s + v, 0) / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

function joined(frames: (Int16Array | undefined)[]): Int16Array {
  const present = frames.filter((f): f is Int16Array => f !== undefined);
  const out = new Int16Array(present.length * FRAME);
  present.forEach((f, i) => out.set(f, i * FRAME));
  return out;
}

describe('audio playout (jitter buffer + decode + concealment → 20 ms frames)', () => {
  test('PCM speech with jitter and 5% loss: whole frames every tick, losses concealed without clicks', async () => {
    const wav = await readWav('test/fixtures/speech/s02-slt.wav');
    const frames = Math.floor(wav.samples.length / FRAME);
    const random = lcg(3);
    const arrivals: Arrival<Int16Array>[] = [];
    let lost = 0;
    for (let k = 0; k < frames; k++) {
      // (Never the first or last: RFC 3550 loss counting cannot see a loss outside the received range.)
      if (k > 0 && k < frames - 1 && random() < 0.05) {
        lost++;
        continue;
      }
      arrivals.push({ at: k * 20 + 2 + random() * 30, packet: { seq: k, payload: wav.samples.slice(k * FRAME, (k + 1) * FRAME) } });
    }
    const playout = new AudioPlayout<Int16Array>({ sampleRate: RATE, decode: (p) => p });
    const out = run(playout, arrivals, frames + 40);
    const played = out.filter((f) => f !== undefined);
    expect(played.every((f) => f.length === FRAME)).toBe(true);
    const s = playout.stats();
    expect(s.packetsLost).toBe(lost);
    expect(s.totalSamplesReceived).toBe(played.length * FRAME);
    expect(s.jitterBufferEmittedCount + s.removedSamplesForAcceleration).toBe((frames - lost - s.packetsLate) * FRAME);
    expect(s.concealmentEvents).toBeGreaterThanOrEqual(1);
    // The 30 ms of arrival jitter pushed the target above one packet.
    expect(s.jitterBufferTargetDelay / s.jitterBufferEmittedCount).toBeGreaterThan(0.03);
    // No click anywhere: the largest step stays within the speech's own largest step.
    const output = joined(out);
    const step = (x: Int16Array) => x.subarray(1).reduce((m, v, i) => Math.max(m, Math.abs(v - x[i]!)), 0);
    expect(step(output)).toBeLessThanOrEqual(step(wav.samples) * 1.1);
    // Loudness follows the speech: frame-energy envelopes correlate after aligning the playout delay.
    const inEnv = Array.from({ length: frames }, (_, k) => frameRms(wav.samples, k));
    const outEnv = Array.from({ length: output.length / FRAME }, (_, k) => frameRms(output, k));
    const best = Math.max(...[0, 1, 2, 3, 4].map((lag) => pearson(inEnv, outEnv.slice(lag))));
    expect(best).toBeGreaterThan(0.8);
  });

  test('packets longer than a frame (60 ms) come out as 20 ms frames, nothing lost or added', () => {
    const tone = Int16Array.from({ length: 30 * 960 }, (_, i) => Math.round(5000 * Math.sin((2 * Math.PI * 200 * i) / RATE)));
    const arrivals: Arrival<Int16Array>[] = Array.from({ length: 30 }, (_, k) => ({
      at: k * 60 + 1,
      packet: { seq: k, durationMs: 60, payload: tone.subarray(k * 960, (k + 1) * 960) },
    }));
    const playout = new AudioPlayout<Int16Array>({ sampleRate: RATE, decode: (p) => p, jitter: { timeStretch: false } });
    const out = run(playout, arrivals, 100);
    const audio = out.filter((f) => f !== undefined);
    expect(audio.every((f) => f.length === FRAME)).toBe(true);
    const s = playout.stats();
    expect(s.jitterBufferEmittedCount).toBe(30 * 960);
    // Only the end of the stream is concealed: two 60 ms steps (maxUnderrunMs 120) after the last packet.
    expect(s.concealedSamples).toBe(2 * 960);
    expect(s.concealmentEvents).toBe(1);
    // The tone comes out sample for sample, in order.
    expect(Array.from(joined(out).subarray(0, tone.length))).toEqual(Array.from(tone));
  });

  test('Opus: losses are concealed by libopus PLC through the codec hook, frames stay whole', async () => {
    const wav = await readWav('test/fixtures/speech/s03-rms.wav');
    const encoder = new OpusStreamEncoder(RATE, 1, { frameMs: 20 });
    const decoder = new OpusStreamDecoder(RATE, 1);
    const frames = Math.floor(wav.samples.length / FRAME);
    const random = lcg(11);
    const arrivals: Arrival<Uint8Array>[] = [];
    const lostSeqs: number[] = [];
    for (let k = 0; k < frames; k++) {
      const packet = encoder.encode(wav.samples.slice(k * FRAME, (k + 1) * FRAME));
      if (k > 5 && random() < 0.05) lostSeqs.push(k);
      else arrivals.push({ at: k * 20 + 3 + random() * 10, packet: { seq: k, payload: packet } });
    }
    const hookCalls: { frames: number; next: Uint8Array | undefined }[] = [];
    const playout = new AudioPlayout<Uint8Array>({
      sampleRate: RATE,
      decode: (p) => decoder.decode(p),
      conceal: (n, next) => {
        hookCalls.push({ frames: n, next });
        return decoder.conceal(n, next);
      },
    });
    const out = run(playout, arrivals, frames + 20);
    expect(out.filter((f) => f !== undefined).every((f) => f.length === FRAME)).toBe(true);
    const s = playout.stats();
    expect(s.packetsLost).toBe(lostSeqs.length);
    expect(hookCalls.length * FRAME).toBe(s.concealedSamples + s.insertedSamplesForDeceleration);
    expect(hookCalls.every((c) => c.frames === FRAME)).toBe(true);
    const output = joined(out);
    const inEnv = Array.from({ length: frames }, (_, k) => frameRms(wav.samples, k));
    const outEnv = Array.from({ length: output.length / FRAME }, (_, k) => frameRms(output, k));
    expect(Math.max(...[0, 1, 2, 3, 4].map((lag) => pearson(inEnv, outEnv.slice(lag))))).toBeGreaterThan(0.8);
    encoder.close();
    decoder.close();
  });

  test('flush drops queued audio at once', () => {
    const playout = new AudioPlayout<Int16Array>({ sampleRate: RATE, decode: (p) => p, jitter: { minDelayMs: 100 } });
    for (let k = 0; k < 5; k++) playout.push({ payload: new Int16Array(FRAME).fill(1000) }, k * 20);
    expect(playout.pull(100)).toHaveLength(FRAME);
    expect(playout.flush()).toBe(4);
    expect(playout.pull(120)).toBeUndefined();
    expect(playout.active).toBe(false);
  });
});
