import { describe, expect, test } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { PcmConcealer } from '../src/jitter/pcm-concealer.js';
import { estimatePitchPeriod } from '../src/jitter/pitch-period.js';
import { readWav } from '../src/wav/wav-file.js';

const RATE = 16_000;
const FRAME = 320; // 20 ms

/** A voiced-like tone: 150 Hz fundamental with two harmonics, starting at sample `from`. */
function voiced(length: number, from = 0, amplitude = 8000): Int16Array {
  const out = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const t = (from + i) / RATE;
    out[i] = Math.round(amplitude * (0.6 * Math.sin(2 * Math.PI * 150 * t) + 0.3 * Math.sin(2 * Math.PI * 300 * t + 0.5) + 0.1 * Math.sin(2 * Math.PI * 450 * t + 1)));
  }
  return out;
}

function maxStep(x: Int16Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - x[i - 1]!));
  return m;
}

function rms(x: Int16Array | Float32Array, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / Math.max(1, to - from));
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < n; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return ab / Math.sqrt(aa * bb);
}

/** Plays `frames` frames of the tone through a fresh concealer; returns it and the samples played. */
function primed(frames = 5) {
  const c = new PcmConcealer({ sampleRate: RATE });
  const played = [] as Int16Array[];
  for (let k = 0; k < frames; k++) played.push(c.play(voiced(FRAME, k * FRAME)));
  return { c, played };
}

describe('pcm concealer', () => {
  test('pitch estimate finds the period of a voiced tone', () => {
    const x = Float32Array.from(voiced(1600));
    const { period, correlation: r } = estimatePitchPeriod(x, 40, 267, 267);
    expect(Math.abs(period - RATE / 150)).toBeLessThanOrEqual(1);
    expect(r).toBeGreaterThan(0.99);
    // At 48 kHz the search runs on a decimated copy first, then refines at full resolution.
    const x48 = Float32Array.from({ length: 4800 }, (_, i) => Math.sin((2 * Math.PI * 173 * i) / 48_000) + 0.4 * Math.sin((2 * Math.PI * 346 * i) / 48_000 + 1));
    const at48 = estimatePitchPeriod(x48, 120, 800, 800);
    expect(Math.abs(at48.period - 48_000 / 173)).toBeLessThanOrEqual(1);
    expect(at48.correlation).toBeGreaterThan(0.99);
  });

  test('concealment continues a voiced waveform without a click and close to the true continuation', () => {
    const { c, played } = primed();
    const natural = maxStep(voiced(5 * FRAME));
    const hidden = c.conceal(FRAME);
    const seam = concatSamples([played.at(-1)!, hidden]);
    expect(maxStep(seam)).toBeLessThanOrEqual(natural * 1.25);
    // The first 10 ms (before the fade) repeat the waveform in phase with what really followed.
    const truth = voiced(FRAME, 5 * FRAME);
    expect(correlation(hidden, truth, 160)).toBeGreaterThan(0.95);
    expect(rms(hidden, 0, 160) / rms(truth, 0, 160)).toBeGreaterThan(0.8);
  });

  test('a long loss fades out: energy never grows after 10 ms and is silence from 60 ms on', () => {
    const { c } = primed();
    const hidden = concatSamples(Array.from({ length: 10 }, () => c.conceal(FRAME))); // 200 ms
    const windows = Array.from({ length: 20 }, (_, w) => rms(hidden, w * 160, (w + 1) * 160));
    for (let w = 2; w < 20; w++) expect(windows[w]!).toBeLessThanOrEqual(windows[w - 1]! * 1.02 + 1);
    expect(windows[0]!).toBeGreaterThan(3000);
    expect(windows[3]!).toBeLessThan(windows[0]! * 0.8);
    expect(hidden.subarray(60 * 16).every((v) => v === 0)).toBe(true);
  });

  test('real audio after concealment is cross-faded in: no click at the seam', () => {
    const { c, played } = primed();
    const hidden = c.conceal(FRAME);
    // The real audio resumes 2.3 ms off the concealment's phase: a hard switch would jump.
    const resumed = voiced(FRAME, 6 * FRAME + 37);
    const out = c.play(resumed);
    const natural = maxStep(voiced(5 * FRAME));
    expect(maxStep(concatSamples([played.at(-1)!, hidden, out]))).toBeLessThanOrEqual(natural * 1.5);
    expect(maxStep(concatSamples([hidden, resumed]))).toBeGreaterThan(natural * 1.5); // what the cross-fade avoided
    // After the 5 ms cross-fade it is the real audio, untouched.
    expect(Array.from(out.subarray(80))).toEqual(Array.from(resumed.subarray(80)));
  });

  test('after a fully faded loss the real audio fades in from silence', () => {
    const { c } = primed();
    for (let k = 0; k < 5; k++) c.conceal(FRAME);
    const out = c.play(voiced(FRAME, 1234));
    expect(Math.abs(out[0]!)).toBeLessThan(8000 * 0.05);
    expect(maxStep(out)).toBeLessThanOrEqual(maxStep(voiced(5 * FRAME)) * 1.25);
  });

  test('a discontinuity (a frame dropped to catch up) is smoothed only when flagged', () => {
    const natural = maxStep(voiced(5 * FRAME));
    const skipped = voiced(FRAME, 6 * FRAME + 29); // frame 5 dropped, and off-phase
    const plain = primed();
    expect(maxStep(concatSamples([plain.played.at(-1)!, plain.c.play(skipped)]))).toBeGreaterThan(natural * 1.5);
    const flagged = primed();
    expect(maxStep(concatSamples([flagged.played.at(-1)!, flagged.c.play(skipped, true)]))).toBeLessThanOrEqual(natural * 1.5);
  });

  test('noise (no pitch) is concealed without a jump at the start', () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 4000;
    const c = new PcmConcealer({ sampleRate: RATE });
    const last = c.play(Int16Array.from({ length: 4 * FRAME }, noise));
    const hidden = c.conceal(FRAME);
    const predicted = 2 * last.at(-1)! - last.at(-2)!;
    expect(Math.abs(hidden[0]! - predicted)).toBeLessThanOrEqual(1);
  });

  test('stereo frames are concealed per channel', () => {
    const c = new PcmConcealer({ sampleRate: RATE, channels: 2 });
    const left = voiced(4 * FRAME);
    const stereo = new Int16Array(8 * FRAME);
    for (let i = 0; i < 4 * FRAME; i++) {
      stereo[2 * i] = left[i]!;
      stereo[2 * i + 1] = -left[i]!;
    }
    c.play(stereo);
    const hidden = c.conceal(FRAME);
    expect(hidden.length).toBe(2 * FRAME);
    for (let i = 0; i < FRAME; i++) expect(Math.abs(hidden[2 * i + 1]! + hidden[2 * i]!)).toBeLessThanOrEqual(1);
    expect(rms(hidden, 0, 320)).toBeGreaterThan(3000);
  });

  test('speech with 10% of frames lost: concealment seams stay within natural steps, zero-fill does not', async () => {
    const wav = await readWav('test/fixtures/speech/s01-slt.wav');
    expect(wav.sampleRate).toBe(RATE);
    const frames = Math.floor(wav.samples.length / FRAME);
    const lost = new Set<number>();
    let seed = 42;
    for (let k = 1; k < frames; k++) if ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 10 === 0) lost.add(k);
    const c = new PcmConcealer({ sampleRate: RATE });
    const concealed: Int16Array[] = [];
    const zeroFilled: Int16Array[] = [];
    for (let k = 0; k < frames; k++) {
      const frame = wav.samples.subarray(k * FRAME, (k + 1) * FRAME);
      concealed.push(lost.has(k) ? c.conceal(FRAME) : c.play(frame));
      zeroFilled.push(lost.has(k) ? new Int16Array(FRAME) : frame);
    }
    // Steps across every seam into and out of a lost frame, against the speech's own 99.9th percentile step.
    const steps = Array.from(wav.samples.subarray(1), (v, i) => Math.abs(v - wav.samples[i]!)).sort((a, b) => a - b);
    const p999 = steps[Math.floor(steps.length * 0.999)]!;
    const seamSteps = (parts: Int16Array[]) => {
      const all = concatSamples(parts);
      const out: number[] = [];
      for (const k of lost) for (const at of [k * FRAME, (k + 1) * FRAME]) if (at < all.length) out.push(Math.abs(all[at]! - all[at - 1]!));
      return out;
    };
    const clicks = (parts: Int16Array[]) => seamSteps(parts).filter((s) => s > p999).length;
    expect(lost.size).toBeGreaterThan(8);
    expect(clicks(concealed)).toBe(0);
    expect(clicks(zeroFilled)).toBeGreaterThan(0);
  });
});

describe('PcmConcealer history ring', () => {
  test('conceals the same after audio played in uneven pieces (the ring wraps mid-piece) as after whole frames', () => {
    const audio = voiced(40 * FRAME);
    const whole = new PcmConcealer({ sampleRate: RATE });
    for (let f = 0; f < 40; f++) whole.play(audio.subarray(f * FRAME, (f + 1) * FRAME));
    const pieces = new PcmConcealer({ sampleRate: RATE });
    const sizes = [7, 333, 1, 640, 97, 5000, 13];
    for (let at = 0, k = 0; at < audio.length; k++) {
      const n = Math.min(sizes[k % sizes.length]!, audio.length - at);
      pieces.play(audio.subarray(at, at + n));
      at += n;
    }
    expect(Array.from(pieces.conceal(2 * FRAME))).toEqual(Array.from(whole.conceal(2 * FRAME)));
  });
});
