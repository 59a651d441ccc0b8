// Test helper (not a test): 10 ms RMS envelopes and their correlation at the best lag. Opus and a
// receiver's jitter buffer rule out sample-exact comparison; the envelope says the same speech came back.
import { correlationAt } from './audio-compare.js';

/** RMS of each `blockMs` block of mono samples (any scale). */
export function rmsEnvelope(samples: ArrayLike<number>, sampleRate: number, blockMs = 10): Float64Array {
  const block = Math.round((sampleRate * blockMs) / 1000);
  const out = new Float64Array(Math.floor(samples.length / block));
  for (let b = 0; b < out.length; b++) {
    let sum = 0;
    for (let i = b * block; i < (b + 1) * block; i++) sum += samples[i]! * samples[i]!;
    out[b] = Math.sqrt(sum / block);
  }
  return out;
}

/** Best correlation of `received` delayed by 0…maxLagBlocks against `reference`, over the reference's length. */
export function envelopeCorrelation(reference: Float64Array, received: Float64Array, maxLagBlocks: number): { correlation: number; lagBlocks: number } {
  let best = { correlation: -Infinity, lagBlocks: 0 };
  for (let lag = 0; lag <= maxLagBlocks && lag < received.length; lag++) {
    const c = correlationAt(reference, received, lag);
    if (c > best.correlation) best = { correlation: c, lagBlocks: lag };
  }
  return best;
}
