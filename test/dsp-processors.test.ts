import { describe, expect, it } from 'vitest';
import { highPass, lowPass } from '../src/dsp/biquad.js';
import type { DspBlock, FrameProcessor } from '../src/dsp/dsp-block.js';
import { gain } from '../src/dsp/gain.js';
import { limiter } from '../src/dsp/limiter.js';
import { noiseGate } from '../src/dsp/noise-gate.js';
import { pitchShift } from '../src/dsp/pitch-shift.js';

const RATE = 16_000;

function sine(freq: number, amplitude: number, seconds: number, rate = RATE): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return out;
}

/** Runs a processor over `signal` in 20 ms frames, as a session would. */
function run(p: FrameProcessor, signal: Float32Array, rate = RATE): Float32Array {
  const out = new Float32Array(signal.length);
  const step = rate / 50;
  for (let o = 0; o < signal.length; o += step) {
    const block: DspBlock = { samples: signal.slice(o, o + step), sampleRate: rate, channels: 1 };
    out.set(p.process(block).samples, o);
  }
  return out;
}

function rms(x: Float32Array, from = 0): number {
  let e = 0;
  for (let i = from; i < x.length; i++) e += x[i]! * x[i]!;
  return Math.sqrt(e / (x.length - from));
}

const db = (ratio: number) => 20 * Math.log10(ratio);

describe('gain', () => {
  it('scales by the dB value', () => {
    const out = run(gain(6), sine(440, 0.1, 0.1));
    expect(db(rms(out) / rms(sine(440, 0.1, 0.1)))).toBeCloseTo(6, 3);
  });
  it('rejects values out of range, naming them', () => {
    expect(() => gain(99)).toThrow(/`gain`.*99/);
    expect(() => gain(Number.NaN)).toThrow(/NaN/);
  });
});

describe('biquad filters', () => {
  it('high-pass at 120 Hz removes 40 Hz hum and keeps 1 kHz', () => {
    const hum = run(highPass(120), sine(40, 0.5, 1));
    const voice = run(highPass(120), sine(1000, 0.5, 1));
    expect(db(rms(hum, RATE / 2) / rms(sine(40, 0.5, 1)))).toBeLessThan(-18);
    expect(Math.abs(db(rms(voice, RATE / 2) / rms(sine(1000, 0.5, 1))))).toBeLessThan(0.2);
  });
  it('low-pass at 3400 Hz attenuates 7 kHz and keeps 300 Hz', () => {
    expect(db(rms(run(lowPass(3400), sine(7000, 0.5, 1)), RATE / 2) / rms(sine(7000, 0.5, 1)))).toBeLessThan(-10);
    expect(Math.abs(db(rms(run(lowPass(3400), sine(300, 0.5, 1)), RATE / 2) / rms(sine(300, 0.5, 1))))).toBeLessThan(0.2);
  });
  it('keeps its state across frames: 20 ms frames give the same output as one block', () => {
    const signal = sine(200, 0.3, 0.5).map((v, i) => v + 0.2 * Math.sin(i * 0.9));
    const framed = run(highPass(300), signal);
    const whole = highPass(300).process({ samples: signal.slice(), sampleRate: RATE, channels: 1 }).samples;
    for (let i = 0; i < whole.length; i++) expect(framed[i]).toBeCloseTo(whole[i]!, 6);
  });
  it('filters each channel of a stereo stream on its own', () => {
    const left = sine(40, 0.5, 0.5);
    const right = sine(1000, 0.5, 0.5);
    const inter = new Float32Array(left.length * 2);
    for (let i = 0; i < left.length; i++) {
      inter[2 * i] = left[i]!;
      inter[2 * i + 1] = right[i]!;
    }
    const out = highPass(120).process({ samples: inter, sampleRate: RATE, channels: 2 }).samples;
    const l = out.filter((_, i) => i % 2 === 0);
    const r = out.filter((_, i) => i % 2 === 1);
    expect(rms(l, 4000)).toBeLessThan(0.15 * rms(left)); // 2nd order: about −19 dB at a third of the cutoff
    expect(rms(r, 4000)).toBeGreaterThan(0.95 * rms(right));
  });
  it('passes audio through when the cutoff is above Nyquist for the stream', () => {
    const signal = sine(1000, 0.5, 0.1, 8000);
    expect(run(lowPass(6000), signal, 8000)).toEqual(signal);
  });
});

describe('noise gate', () => {
  it('silences low-level noise and lets speech-level audio through', () => {
    const noise = new Float32Array(RATE).map((_, i) => 0.0003 * Math.sin(i * 1.7));
    const gated = run(noiseGate({ thresholdDb: -50 }), noise);
    expect(db(rms(gated, RATE / 2) / rms(noise))).toBeLessThan(-60);
    const loud = sine(300, 0.3, 1);
    expect(Math.abs(db(rms(run(noiseGate({ thresholdDb: -50 }), loud), RATE / 10) / rms(loud)))).toBeLessThan(0.1);
  });
  it('holds open through a short dip', () => {
    const signal = sine(300, 0.3, 1);
    signal.fill(0.0001, 8000, 8000 + 480); // 30 ms near-silence, shorter than the 80 ms hold
    const out = run(noiseGate({ thresholdDb: -40 }), signal);
    expect(Math.abs(out[8000 + 600]!)).toBeGreaterThan(0);
    expect(rms(out.subarray(8000 + 480, 8000 + 1280))).toBeGreaterThan(0.9 * rms(signal.subarray(8000 + 480, 8000 + 1280)));
  });
  it('validates every option', () => {
    expect(() => noiseGate({ thresholdDb: 5 })).toThrow(/gate thresholdDb.*5/);
    expect(() => noiseGate({ holdMs: -1 })).toThrow(/holdMs.*-1/);
  });
});

describe('limiter', () => {
  it('keeps every sample under the ceiling and leaves quiet audio alone', () => {
    const hot = sine(440, 1.9, 1);
    const out = run(limiter({ ceilingDb: -1 }), hot);
    const ceiling = 10 ** (-1 / 20);
    expect(Math.max(...out.map(Math.abs))).toBeLessThanOrEqual(ceiling + 1e-6);
    expect(rms(out, RATE / 2)).toBeGreaterThan(0.5);
    const quiet = sine(440, 0.3, 0.5);
    expect(run(limiter({ ceilingDb: -1 }), quiet)).toEqual(quiet);
  });
});

describe('pitch shift', () => {
  function dominantFrequency(x: Float32Array, rate: number): number {
    let crossings = 0;
    for (let i = 1; i < x.length; i++) if (x[i - 1]! < 0 && x[i]! >= 0) crossings++;
    return (crossings * rate) / x.length;
  }
  it('moves a tone up an octave (+12) and down (−12) keeping the length', () => {
    const tone = sine(300, 0.5, 1);
    const up = run(pitchShift(12), tone);
    const down = run(pitchShift(-12), tone);
    expect(up.length).toBe(tone.length);
    expect(dominantFrequency(up.subarray(2000), RATE)).toBeGreaterThan(560);
    expect(dominantFrequency(up.subarray(2000), RATE)).toBeLessThan(640);
    expect(dominantFrequency(down.subarray(2000), RATE)).toBeGreaterThan(135);
    expect(dominantFrequency(down.subarray(2000), RATE)).toBeLessThan(165);
  });
  it('is the identity at 0 semitones', () => {
    const tone = sine(300, 0.5, 0.1);
    expect(run(pitchShift(0), tone)).toEqual(tone);
  });
});
