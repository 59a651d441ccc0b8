import type { VoiceActivityDetector } from './voice-activity-detector.js';

/** Pure helpers to measure a VAD's frame accuracy against labels taken from clean speech. */

export interface FrameScore {
  truePositive: number;
  trueNegative: number;
  falsePositive: number;
  falseNegative: number;
}

export function accuracyOf(score: FrameScore): number {
  const total = score.truePositive + score.trueNegative + score.falsePositive + score.falseNegative;
  return total === 0 ? 0 : (score.truePositive + score.trueNegative) / total;
}

export function addScores(a: FrameScore, b: FrameScore): FrameScore {
  return {
    truePositive: a.truePositive + b.truePositive,
    trueNegative: a.trueNegative + b.trueNegative,
    falsePositive: a.falsePositive + b.falsePositive,
    falseNegative: a.falseNegative + b.falseNegative,
  };
}

export const EMPTY_SCORE: FrameScore = { truePositive: 0, trueNegative: 0, falsePositive: 0, falseNegative: 0 };

/**
 * Ground truth from the clean signal itself: a frame is speech when its RMS is within `relativeDb`
 * of the file's peak sample (−40 dB: catches unvoiced consonants of studio-clean speech, not the
 * digital silence between words).
 */
export function labelSpeechFrames(clean: Int16Array, frameSamples: number, relativeDb = -40): boolean[] {
  let peak = 0;
  for (const v of clean) peak = Math.max(peak, Math.abs(v));
  const threshold = peak * 10 ** (relativeDb / 20);
  const labels: boolean[] = [];
  for (let o = 0; o + frameSamples <= clean.length; o += frameSamples) {
    let energy = 0;
    for (let i = o; i < o + frameSamples; i++) energy += clean[i]! * clean[i]!;
    labels.push(Math.sqrt(energy / frameSamples) > threshold);
  }
  return labels;
}

/** Deterministic uniform [0, 1) generator (mulberry32), so every run measures the same signal. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type NoiseKind = 'none' | 'white' | 'pink';

/** `length` samples of noise with the given RMS (in int16 units). */
export function makeNoise(kind: NoiseKind, length: number, rmsLevel: number, seed = 1): Float64Array {
  const out = new Float64Array(length);
  if (kind === 'none' || rmsLevel === 0) return out;
  const random = seededRandom(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  // Pink: Paul Kellet's economy filter over white noise (−3 dB/octave within ±0.5 dB).
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  for (let i = 0; i < length; i++) {
    const white = gaussian();
    if (kind === 'white') {
      out[i] = white;
    } else {
      b0 = 0.99765 * b0 + white * 0.099046;
      b1 = 0.963 * b1 + white * 0.2965164;
      b2 = 0.57 * b2 + white * 1.0526913;
      out[i] = b0 + b1 + b2 + white * 0.1848;
    }
  }
  let energy = 0;
  for (const v of out) energy += v * v;
  const scale = rmsLevel / Math.sqrt(energy / length || 1);
  for (let i = 0; i < length; i++) out[i]! *= scale;
  return out;
}

/** Clean speech with `padSamples` of silence before and after, plus noise over the whole length. */
export function padAndMix(clean: Int16Array, padSamples: number, noise: Float64Array): { mixed: Int16Array; speech: Int16Array } {
  const length = clean.length + 2 * padSamples;
  const speech = new Int16Array(length);
  speech.set(clean, padSamples);
  const mixed = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const v = Math.round(speech[i]! + (noise[i] ?? 0));
    mixed[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return { mixed, speech };
}

/** Runs `vad` over `mixed` frame by frame and scores each decision against `labels`. */
export function scoreVad(vad: VoiceActivityDetector, mixed: Int16Array, labels: readonly boolean[]): FrameScore {
  const score = { ...EMPTY_SCORE };
  const n = vad.frameSamples;
  for (let f = 0; f < labels.length && (f + 1) * n <= mixed.length; f++) {
    const said = vad.isSpeech(mixed.subarray(f * n, (f + 1) * n));
    const truth = labels[f]!;
    if (said && truth) score.truePositive++;
    else if (!said && !truth) score.trueNegative++;
    else if (said) score.falsePositive++;
    else score.falseNegative++;
  }
  return score;
}
