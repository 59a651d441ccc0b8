/**
 * Noises for the VAD benches, deterministic: babble made of other speech fixtures, a music-like
 * chord sequence, and non-speech transients (clicks, a synthetic door slam). Levels are RMS in
 * int16 units; white and pink noise come from src/vad/vad-evaluation.ts.
 */
import { makeNoise, seededRandom } from '../src/vad/vad-evaluation.js';
import type { SpeechFixture } from './vad-speech-fixtures.js';

export type BenchNoise = 'none' | 'white' | 'pink' | 'babble' | 'music' | 'transients';

function rmsOf(x: Float64Array): number {
  let e = 0;
  for (const v of x) e += v * v;
  return Math.sqrt(e / Math.max(1, x.length));
}

function scaleTo(x: Float64Array, rms: number): Float64Array {
  const k = rms / (rmsOf(x) || 1);
  for (let i = 0; i < x.length; i++) x[i]! *= k;
  return x;
}

/** Three other fixtures talking at once (each looped to `length`, offset so they do not start together). */
export function babble(fixtures: readonly SpeechFixture[], exclude: number, length: number, rms: number): Float64Array {
  const out = new Float64Array(length);
  for (let k = 1; k <= 3; k++) {
    const other = fixtures[(exclude + k * 5) % fixtures.length]!.samples;
    const offset = Math.floor((other.length * k) / 4);
    for (let i = 0; i < length; i++) out[i]! += other[(i + offset) % other.length]!;
  }
  return scaleTo(out, rms);
}

/** A I–V–vi–IV chord sequence with a bass line: notes of five harmonics, plucked (fast attack, decay), 0.6 s each. */
export function music(length: number, rms: number, sampleRate = 16_000): Float64Array {
  const chords = [
    [261.63, 329.63, 392.0],
    [246.94, 293.66, 392.0],
    [220.0, 261.63, 329.63],
    [220.0, 261.63, 349.23],
  ];
  const bass = [130.81, 98.0, 110.0, 87.31];
  const chordSamples = Math.round(0.6 * sampleRate);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const c = Math.floor(i / chordSamples) % chords.length;
    const t = (i % chordSamples) / sampleRate;
    const env = Math.min(1, t / 0.01) * Math.exp(-t * 2.5);
    let v = 0;
    for (const f of [...chords[c]!, bass[c]!]) {
      for (let h = 1; h <= 5; h++) v += Math.sin((2 * Math.PI * f * h * i) / sampleRate) / h;
    }
    out[i] = v * env;
  }
  return scaleTo(out, rms);
}

/**
 * Clicks (2 ms bursts, about one a second) and door slams (a 60 Hz thump with low-passed noise,
 * decaying over ~200 ms, one every ~3 s) over a −70 dBFS noise floor. `peak` is the slam's peak.
 */
export function transients(length: number, peak: number, seed: number, sampleRate = 16_000): Float64Array {
  const random = seededRandom(seed);
  const out = makeNoise('white', length, 32768 * 10 ** (-70 / 20), seed);
  let at = Math.floor(random() * sampleRate);
  let n = 0;
  while (at < length) {
    if (n++ % 3 === 2) {
      let lp = 0;
      const slam = Math.round(0.3 * sampleRate);
      for (let i = 0; i < slam && at + i < length; i++) {
        const t = i / sampleRate;
        lp = 0.9 * lp + 0.1 * (random() * 2 - 1);
        out[at + i]! += peak * Math.exp(-t / 0.06) * (0.6 * Math.sin(2 * Math.PI * 60 * t) + 2.5 * lp);
      }
    } else {
      const click = Math.round(0.002 * sampleRate);
      for (let i = 0; i < click && at + i < length; i++) out[at + i]! += peak * 0.7 * (random() * 2 - 1);
    }
    at += Math.floor((0.6 + random() * 0.8) * sampleRate);
  }
  return out;
}

/** Any bench noise at an RMS (transients: at a peak ~ that level × 8, loud against speech). */
export function benchNoise(kind: BenchNoise, fixtures: readonly SpeechFixture[], index: number, length: number, rms: number): Float64Array {
  switch (kind) {
    case 'none':
      return new Float64Array(length);
    case 'white':
    case 'pink':
      return makeNoise(kind, length, rms, 1000 + index);
    case 'babble':
      return babble(fixtures, index, length, rms);
    case 'music':
      return music(length, rms);
    case 'transients':
      return transients(length, rms * 8, 2000 + index);
  }
}
