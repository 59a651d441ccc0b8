import { describe, expect, it } from 'vitest';
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { STANDARD_RATES } from '../src/resample/resample-ratio.js';
import { passbandSnr, rejection, toneAmplitude, type Converter } from '../bench/lib/tone-metrics.js';

const PAIRS = STANDARD_RATES.flatMap((a) => STANDARD_RATES.filter((b) => b !== a).map((b) => [a, b] as const));
const DOWN = PAIRS.filter(([a, b]) => a > b);

function sine(rate: number, frames: number, frequency: number, amplitude: number, phase = 0.4): Float64Array {
  return Float64Array.from({ length: frames }, (_, i) => amplitude * Math.sin((2 * Math.PI * frequency * i) / rate + phase));
}

/** Whole-signal float conversion through the streaming API (process + flush). */
function ours(a: number, b: number): Converter {
  return (x) => new StreamingResampler(a, b).processAllFloat(x);
}

/** PCM16 through the streaming API, without flush (every output then has real input on both sides). */
function pcm16(a: number, b: number, x: Float64Array): Int16Array {
  return new StreamingResampler(a, b).process(Int16Array.from(x, (v) => Math.round(v)));
}

describe('StreamingResampler: frequency response (known answers)', () => {
  it.each(PAIRS)('%i → %i Hz: a passband tone comes out as the exact sine at the output instants', (a, b) => {
    const low = Math.min(a, b) / 2;
    for (const fraction of [0.1, 0.5, 0.8]) {
      const f = low * fraction;
      const x = sine(a, a / 2, f, 20_000);
      const from = Math.round(b * 0.05); // past the fade-in from the silence before time 0
      // Float path: within 0.05 of 20000 (−112 dB; ripple and float32 rounding).
      const r = new StreamingResampler(a, b);
      const y = r.processFloat(Float32Array.from(x));
      const want = sine(b, y.length, f, 20_000);
      let worst = 0;
      for (let m = from; m < y.length; m++) worst = Math.max(worst, Math.abs(y[m]! - want[m]!));
      expect(worst, `${f.toFixed(1)} Hz float`).toBeLessThan(0.05);
      // PCM16 path: the input and output roundings only (filtered input rounding noise + 0.5).
      const q = pcm16(a, b, x);
      let worstQ = 0;
      for (let m = from; m < q.length; m++) worstQ = Math.max(worstQ, Math.abs(q[m]! - want[m]!));
      expect(worstQ, `${f.toFixed(1)} Hz PCM16`).toBeLessThanOrEqual(2);
      expect(toneAmplitude(q, b, f, from, q.length) / 20_000).toBeCloseTo(1, 4);
    }
  });

  it.each(DOWN)('%i → %i Hz: tones above the new Nyquist are gone (≥ 120 dB down; PCM16: rounding noise only)', (a, b) => {
    const nyquist = b / 2;
    for (const fraction of [0.02, 0.3, 0.97]) {
      const f = nyquist + (a / 2 - nyquist) * fraction;
      const x = sine(a, a / 2, f, 30_000);
      const y = ours(a, b)(Float32Array.from(x));
      let power = 0;
      const from = Math.round(b * 0.05);
      const to = Math.round(b * 0.45);
      for (let m = from; m < to; m++) power += y[m]! ** 2;
      const attenuationDb = 10 * Math.log10(((30_000 ** 2 / 2) * (to - from)) / power);
      expect(attenuationDb, `${f.toFixed(1)} Hz`).toBeGreaterThanOrEqual(120);
      // In PCM16 what is left is the in-band share of the input's rounding noise, plus the output rounding.
      const q = pcm16(a, b, x);
      let peak = 0;
      for (let m = from; m < to; m++) peak = Math.max(peak, Math.abs(q[m]!));
      expect(peak, `${f.toFixed(1)} Hz in PCM16`).toBeLessThanOrEqual(2);
    }
  });

  it('48 k → 16 k: multi-tone passband SNR ≥ 90 dB in float, at the 16-bit limit in PCM16', () => {
    const float = passbandSnr(ours(48_000, 16_000), 48_000, 16_000);
    expect(float.snrDb).toBeGreaterThanOrEqual(120);
    expect(Math.abs(float.delaySamples)).toBeLessThan(0.01); // time-aligned
    // PCM16 in and out: two roundings of a −14 dBFS multi-tone put the ceiling near 84 dB.
    const viaPcm16: Converter = (x) => Float32Array.from(pcm16(48_000, 16_000, Float64Array.from(x, (v) => v)));
    const q = passbandSnr(viaPcm16, 48_000, 16_000, 32_768);
    expect(q.snrDb).toBeGreaterThan(80);
  });
});

describe('StreamingResampler beside libsamplerate (SRC_SINC_MEDIUM_QUALITY)', () => {
  it.each([[48_000, 16_000], [16_000, 48_000], [44_100, 48_000], [48_000, 8000]] as const)(
    '%i → %i Hz: passband SNR and stopband/image rejection at least as good',
    async (a, b) => {
      const src = await libsamplerate.create(1, a, b, { converterType: libsamplerate.ConverterType.SRC_SINC_MEDIUM_QUALITY });
      try {
        const medium: Converter = (x) => src.simple(x);
        const mine = ours(a, b);
        const snrOurs = passbandSnr(mine, a, b).snrDb;
        const snrMedium = passbandSnr(medium, a, b).snrDb;
        expect(snrOurs).toBeGreaterThanOrEqual(snrMedium);
        expect(rejection(mine, a, b)).toBeGreaterThanOrEqual(rejection(medium, a, b));
      } finally {
        src.destroy();
      }
    },
  );
});
