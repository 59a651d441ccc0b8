/**
 * The live and telephone tiers as streams (docs/resampler.md): chunk-size independence, exact lengths
 * and timing, processInto/flushInto into caller arrays, reset and flush, the WebAssembly kernel against
 * its JavaScript reference, and how the tier is chosen.
 */
import { describe, expect, it } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { resamplerFor, tierForEncoding } from '../src/resample/resampler-tier.js';
import { StreamingResampler, type ResamplerTier } from '../src/resample/streaming-resampler.js';
import { roundToInt16, wasmIntegerKernel } from '../src/resample/integer-ratio-kernel.js';

const TIERS = ['live', 'telephone'] as const;
const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [48_000, 24_000], [24_000, 48_000], [16_000, 8000], [8000, 16_000], [48_000, 16_000], [16_000, 48_000],
  [48_000, 8000], [8000, 48_000], [24_000, 8000], [44_100, 48_000], [24_000, 16_000],
];
const CASES = TIERS.flatMap((tier) => PAIRS.map(([a, b]) => [tier, a, b] as const));

function testSignal(rate: number, frames: number, seed = 1): Int16Array {
  const out = new Int16Array(frames);
  let s = seed;
  for (let i = 0; i < frames; i++) {
    s = (s * 1_103_515_245 + 12_345) >>> 0;
    out[i] = Math.round(11_000 * Math.sin((2 * Math.PI * 440 * i) / rate) + 6000 * Math.sin((2 * Math.PI * 2900 * i) / rate) + (s / 2 ** 32 - 0.5) * 6000);
  }
  return out;
}

function chunked(r: StreamingResampler, x: Int16Array, sizes: () => number): Int16Array {
  const parts: Int16Array[] = [];
  for (let at = 0; at < x.length; ) {
    const n = Math.min(sizes(), x.length - at);
    const predicted = r.outputLength(n);
    const y = r.process(x.subarray(at, at + n));
    if (y.length !== predicted) throw new Error(`outputLength(${n}) said ${predicted}, process gave ${y.length}`);
    parts.push(y);
    at += n;
  }
  parts.push(r.flush());
  return concatSamples(parts);
}

describe('live and telephone tiers: streaming', () => {
  it.each(CASES)('%s %i → %i Hz: 20 ms chunks and random chunks give exactly the samples of one call, ceil(N·out/in) in total', (tier, a, b) => {
    const x = testSignal(a, a + 37);
    const whole = new StreamingResampler(a, b, { tier }).processAll(x);
    expect(whole.length).toBe(Math.ceil((x.length * b) / a));
    expect(chunked(new StreamingResampler(a, b, { tier }), x, () => a / 50)).toEqual(whole);
    let seed = 3;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return 1 + (seed % 700);
    };
    expect(chunked(new StreamingResampler(a, b, { tier }), x, random)).toEqual(whole);
    // One call bigger than the engine's 4096-frame block.
    const big = testSignal(a, 10_007, 5);
    const bigWhole = new StreamingResampler(a, b, { tier }).processAll(big);
    expect(chunked(new StreamingResampler(a, b, { tier }), big, () => 160)).toEqual(bigWhole);
  });

  it.each(CASES)('%s %i → %i Hz: while streaming, ceil((N − delayFrames)·out/in) frames after N', (tier, a, b) => {
    const r = new StreamingResampler(a, b, { tier });
    const x = testSignal(a, 3000);
    let out = 0;
    for (let n = 0; n < x.length; n += 37) {
      out += r.process(x.subarray(n, n + 37)).length;
      const inFrames = Math.min(n + 37, x.length);
      expect(out).toBe(Math.max(0, Math.ceil(((inFrames - r.delayFrames) * b) / a)));
    }
    expect(r.owed()).toBe(Math.ceil((x.length * b) / a) - out);
  });

  it.each(CASES)('%s %i → %i Hz: the WebAssembly kernel and the JavaScript reference agree bit for bit (PCM16 and float)', (tier, a, b) => {
    expect(wasmIntegerKernel()).toBeDefined();
    const x = testSignal(a, a / 5 + 11);
    const wasm = new StreamingResampler(a, b, { tier, kernel: 'wasm-simd' });
    const js = new StreamingResampler(a, b, { tier, kernel: 'js' });
    expect(wasm.kernel).toBe('wasm-simd');
    expect(js.kernel).toBe('js');
    expect(wasm.processAll(x)).toEqual(js.processAll(x));
    const f = Float32Array.from(x, (v) => v * 1.37);
    const wf = new StreamingResampler(a, b, { tier }).processAllFloat(f);
    const jf = new StreamingResampler(a, b, { tier, kernel: 'js' }).processAllFloat(f);
    expect(Buffer.from(wf.buffer).equals(Buffer.from(jf.buffer))).toBe(true);
  });

  it('processInto / processFloatInto / flushInto write into caller arrays at an offset, as process/flush return', () => {
    for (const tier of TIERS) {
      const x = testSignal(48_000, 960 * 5 + 13);
      const ref = new StreamingResampler(48_000, 24_000, { tier });
      const r = new StreamingResampler(48_000, 24_000, { tier });
      const scratch = new Int16Array(4000).fill(-1);
      for (let k = 0; k * 960 < x.length; k++) {
        const chunk = x.subarray(k * 960, (k + 1) * 960);
        const want = ref.process(chunk);
        const n = r.processInto(chunk, scratch, 7);
        expect(n).toBe(want.length);
        expect(scratch.subarray(7, 7 + n)).toEqual(want);
        expect(scratch[6]).toBe(-1);
      }
      const tail = ref.flush();
      expect(r.owed()).toBe(tail.length);
      expect(r.flushInto(scratch, 3)).toBe(tail.length);
      expect(scratch.subarray(3, 3 + tail.length)).toEqual(tail);
      expect(r.owed()).toBe(0);
      expect(() => r.processInto(x.subarray(0, 960), new Int16Array(10))).toThrow(RangeError);
      const f = Float32Array.from(x);
      const fo = new Float32Array(3000);
      const wantF = new StreamingResampler(48_000, 24_000, { tier }).processFloat(f.subarray(0, 2000));
      expect(new StreamingResampler(48_000, 24_000, { tier }).processFloatInto(f.subarray(0, 2000), fo, 2)).toBe(wantF.length);
      expect(Array.from(fo.subarray(2, 2 + wantF.length))).toEqual(Array.from(wantF));
    }
  });

  it('flush() and reset() leave a fresh stream (the same object then behaves like a new one)', () => {
    for (const [tier, a, b] of CASES) {
      const x = testSignal(a, 2000);
      const r = new StreamingResampler(a, b, { tier });
      const first = concatSamples([r.process(x), r.flush()]);
      expect(concatSamples([r.process(x), r.flush()])).toEqual(first);
      expect(r.flush().length).toBe(0);
      r.process(testSignal(a, 777, 9));
      r.reset();
      expect(r.processAll(x)).toEqual(first);
    }
  });

  it('DC passes exactly, and full-scale input saturates instead of wrapping', () => {
    for (const [tier, a, b] of CASES) {
      const r = new StreamingResampler(a, b, { tier });
      const y = r.process(new Int16Array(4000).fill(-12_345));
      const settled = y.subarray(Math.ceil((r.delayFrames * 2 * b) / a) + 2);
      expect(settled.length).toBeGreaterThan(100);
      expect(new Set(settled)).toEqual(new Set([-12_345]));
      // A full-scale square wave overshoots (Gibbs): the output clips at ±32767/−32768.
      const square = Int16Array.from({ length: 4000 }, (_, i) => ((i >> 5) & 1 ? 32_767 : -32_768));
      const q = new StreamingResampler(a, b, { tier }).processAll(square);
      const f = new StreamingResampler(a, b, { tier }).processAllFloat(Float32Array.from(square));
      let clipped = 0;
      for (let i = 0; i < q.length; i++) {
        const want = Math.max(-32_768, Math.min(32_767, f[i]!));
        if (Math.abs(q[i]! - want) > 0.5) throw new Error(`${tier} ${a}→${b} sample ${i}: ${q[i]} vs ${f[i]}`);
        if (Math.abs(f[i]!) > 32_768) clipped++;
      }
      expect(clipped, `${tier} ${a}→${b}`).toBeGreaterThan(0);
    }
  });

  it('roundToInt16 rounds half to even (as f32x4.nearest) and saturates', () => {
    expect([2.5, -2.5, 1.5, -1.5, 0.49, 32_767.6, -40_000, Number.NaN].map(roundToInt16)).toEqual([2, -2, 2, -2, 0, 32_767, -32_768, 0]);
  });
});

describe('choosing a tier', () => {
  it('by wire encoding: G.711 → telephone, L16 and Opus → live; high only by option', () => {
    expect(tierForEncoding('audio/x-mulaw')).toBe('telephone');
    expect(tierForEncoding('audio/x-alaw')).toBe('telephone');
    expect(tierForEncoding('audio/x-l16')).toBe('live');
    expect(tierForEncoding('audio/opus')).toBe('live');
    expect(resamplerFor(8000, 16_000, 'audio/x-mulaw').tier).toBe('telephone');
    expect(resamplerFor(48_000, 24_000, 'audio/opus').tier).toBe('live');
    expect(resamplerFor(48_000, 24_000, 'audio/opus', { tier: 'high' }).tier).toBe('high');
    expect(resamplerFor(48_000, 24_000, 'audio/opus', { tier: 'high' }).taps).toBe(352);
    expect(new StreamingResampler(48_000, 24_000).tier).toBe('high');
    const tiers: Record<ResamplerTier, number> = { high: 0, live: 0, telephone: 0 };
    for (const tier of ['high', 'live', 'telephone'] as const) tiers[tier] = new StreamingResampler(16_000, 8000, { tier }).taps;
    expect(tiers.high).toBeGreaterThan(tiers.live);
    expect(tiers.live).toBeGreaterThan(tiers.telephone);
  });

  it('explicit passband/stopbandDb override the tier; stereo on the live tier uses the polyphase engine at the live spec', () => {
    const longer = new StreamingResampler(48_000, 24_000, { tier: 'live', stopbandDb: 120 });
    expect(longer.taps).toBeGreaterThan(new StreamingResampler(48_000, 24_000, { tier: 'live' }).taps);
    const stereo = new StreamingResampler(48_000, 24_000, { tier: 'live', channels: 2 });
    expect(stereo.taps % 16).toBe(0); // polyphase rows are multiples of 16 taps
    expect(stereo.taps).toBeLessThan(352);
    const x = testSignal(48_000, 4800);
    const interleaved = new Int16Array(x.length * 2);
    for (let i = 0; i < x.length; i++) [interleaved[2 * i], interleaved[2 * i + 1]] = [x[i]!, -x[i]!];
    const y = stereo.processAll(interleaved);
    expect(y.length).toBe(4800);
    for (let i = 0; i < y.length; i += 2) expect(Math.abs(y[i + 1]! + y[i]!)).toBeLessThanOrEqual(1); // Math.round: ties go up
  });

  it('refuses a bad tier with the offending value, and bad rates with WG_ERR_UNSUPPORTED_FORMAT', () => {
    expect(() => new StreamingResampler(48_000, 24_000, { tier: 'ultra' as never })).toThrow(/tier.*ultra/);
    let err: unknown;
    try {
      resamplerFor(7999, 16_000, 'audio/x-l16');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WavegateError);
    expect((err as WavegateError).code).toBe('WG_ERR_UNSUPPORTED_FORMAT');
  });
});
