import { describe, expect, it } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { STANDARD_RATES, resampleRatio } from '../src/resample/resample-ratio.js';
import { designPolyphaseTable } from '../src/resample/kaiser-design.js';
import { dotReference, wasmSimdKernel } from '../src/resample/fir-kernel.js';
import { WavegateError } from '../src/errors/wavegate-error.js';

const PAIRS = STANDARD_RATES.flatMap((a) => STANDARD_RATES.filter((b) => b !== a).map((b) => [a, b] as const));

/** A deterministic test signal: two tones plus pseudo-random noise (LCG), peak about ±20000. */
function testSignal(rate: number, frames: number, channels = 1, seed = 1): Int16Array {
  const out = new Int16Array(frames * channels);
  let s = seed;
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      s = (s * 1_103_515_245 + 12_345) >>> 0;
      const noise = (s / 2 ** 32 - 0.5) * 6000;
      out[i * channels + c] = Math.round(11_000 * Math.sin((2 * Math.PI * (440 + 300 * c) * i) / rate) + 6000 * Math.sin((2 * Math.PI * 2900 * i) / rate) + noise);
    }
  }
  return out;
}

function inChunks(r: StreamingResampler, x: Int16Array, chunkFrames: number): Int16Array[] {
  const parts: Int16Array[] = [];
  const step = chunkFrames * r.channels;
  for (let at = 0; at < x.length; at += step) parts.push(r.process(x.subarray(at, at + step)));
  return parts;
}

describe('StreamingResampler: chunking', () => {
  it.each(PAIRS)('%i → %i Hz: 20 ms chunks give exactly the samples of one call, and ceil(N·out/in) in total', (a, b) => {
    const x = testSignal(a, a + 37); // 1 s and a ragged tail
    const whole = new StreamingResampler(a, b);
    const expected = concatSamples([whole.process(x), whole.flush()]);
    const chunked = new StreamingResampler(a, b);
    const got = concatSamples([...inChunks(chunked, x, a / 50), chunked.flush()]);
    expect(expected.length).toBe(Math.ceil((x.length * b) / a));
    expect(got.length).toBe(expected.length);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - expected[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1); // the contract; in fact 0
  });

  it.each(PAIRS)('%i → %i Hz: no click at chunk edges on a sine (edge jumps no bigger than inside chunks)', (a, b) => {
    const frames = a / 2;
    const x = new Int16Array(frames);
    for (let i = 0; i < frames; i++) x[i] = Math.round(20_000 * Math.sin((2 * Math.PI * 997 * i) / a));
    const r = new StreamingResampler(a, b);
    const parts = inChunks(r, x, a / 50);
    const y = concatSamples(parts);
    const edges = new Set<number>();
    for (let at = 0, k = 0; k < parts.length - 1; k++) edges.add((at += parts[k]!.length));
    const settled = r.delayFrames * (b / a) + 2; // skip the fade-in from the silence before time 0
    let edgeMax = 0;
    let innerMax = 0;
    for (let i = Math.ceil(settled); i < y.length; i++) {
      const jump = Math.abs(y[i]! - y[i - 1]!);
      if (edges.has(i)) edgeMax = Math.max(edgeMax, jump);
      else innerMax = Math.max(innerMax, jump);
    }
    expect(edges.size).toBeGreaterThan(10);
    expect(edgeMax).toBeLessThanOrEqual(innerMax);
    // and the jump is what a 997 Hz sine of amplitude 20000 allows at the output rate (+ rounding)
    expect(innerMax).toBeLessThanOrEqual(20_000 * 2 * Math.sin((Math.PI * 997) / b) + 2);
  });

  it('keeps exact length accounting over a long stream of random chunk sizes (no drift)', () => {
    // 8000 → 22050 has the largest phase count (441/160); 4 minutes in chunks of 1..400 frames.
    const r = new StreamingResampler(8000, 22_050);
    const x = testSignal(8000, 8000);
    let seed = 7;
    let inFrames = 0;
    let outFrames = 0;
    const mismatches: string[] = [];
    while (inFrames < 8000 * 240) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      const n = 1 + (seed % 400);
      const at = inFrames % (x.length - 400);
      const predicted = r.outputLength(n);
      const y = r.process(x.subarray(at, at + n));
      inFrames += n;
      outFrames += y.length;
      const expected = Math.max(0, Math.ceil(((inFrames - r.delayFrames) * 22_050) / 8000));
      if (y.length !== predicted || outFrames !== expected) mismatches.push(`after ${inFrames}: ${outFrames} ≠ ${expected} or ${y.length} ≠ ${predicted}`);
    }
    expect(mismatches.slice(0, 3)).toEqual([]);
    outFrames += r.flush().length;
    expect(outFrames).toBe(Math.ceil((inFrames * 22_050) / 8000));
  });

  it('flush() resets: the same object then behaves like a new one', () => {
    const x = testSignal(48_000, 4800);
    const r = new StreamingResampler(48_000, 16_000);
    const first = concatSamples([r.process(x), r.flush()]);
    const second = concatSamples([r.process(x), r.flush()]);
    expect(second).toEqual(first);
    expect(r.flush().length).toBe(0);
  });

  it('processAll is process + flush in one array, for PCM16 and float, and leaves the resampler fresh', () => {
    const x = testSignal(48_000, 4800);
    const r = new StreamingResampler(48_000, 22_050);
    const all = r.processAll(x);
    const reference = new StreamingResampler(48_000, 22_050);
    expect(all).toEqual(concatSamples([reference.process(x), reference.flush()]));
    expect(all.length).toBe(Math.ceil((4800 * 22_050) / 48_000));
    expect(r.processAll(x)).toEqual(all);
    const f = Float32Array.from(x);
    const ref = new StreamingResampler(48_000, 22_050);
    const head = ref.processFloat(f);
    const tail = ref.flushFloat();
    expect(Array.from(new StreamingResampler(48_000, 22_050).processAllFloat(f))).toEqual([...head, ...tail]);
  });

  it('interleaved stereo equals two mono streams', () => {
    const stereo = testSignal(44_100, 4410, 2);
    const left = stereo.filter((_, i) => i % 2 === 0);
    const right = stereo.filter((_, i) => i % 2 === 1);
    const r2 = new StreamingResampler(44_100, 48_000, { channels: 2 });
    const y = concatSamples([...inChunks(r2, stereo, 441), r2.flush()]);
    const ml = new StreamingResampler(44_100, 48_000);
    const mr = new StreamingResampler(44_100, 48_000);
    const yl = concatSamples([ml.process(left), ml.flush()]);
    const yr = concatSamples([mr.process(right), mr.flush()]);
    expect(y.length).toBe(yl.length * 2);
    expect(y.filter((_, i) => i % 2 === 0)).toEqual(yl);
    expect(y.filter((_, i) => i % 2 === 1)).toEqual(yr);
  });

  it('equal rates pass through untouched with no delay', () => {
    const x = testSignal(16_000, 320);
    const r = new StreamingResampler(16_000, 16_000);
    expect(r.delayFrames).toBe(0);
    expect(r.process(x)).toEqual(x);
    expect(r.flush().length).toBe(0);
  });

  it('processInto writes into a caller buffer and refuses one too small', () => {
    const x = testSignal(48_000, 960 * 3);
    const a = new StreamingResampler(48_000, 16_000);
    const b = new StreamingResampler(48_000, 16_000);
    const out = new Int16Array(2000);
    for (let k = 0; k < 3; k++) {
      const chunk = x.subarray(k * 960, (k + 1) * 960);
      const n = b.processInto(chunk, out);
      expect(out.subarray(0, n)).toEqual(a.process(chunk));
    }
    expect(() => b.processInto(x.subarray(0, 960), new Int16Array(10))).toThrow(RangeError);
  });
});

describe('StreamingResampler: kernels and validation', () => {
  it('the WebAssembly SIMD kernel is available and agrees bit for bit with the JavaScript reference', () => {
    expect(wasmSimdKernel()).toBeDefined();
    for (const [a, b] of [[48_000, 16_000], [8000, 22_050], [44_100, 48_000]] as const) {
      const x = testSignal(a, a / 4);
      const wasm = new StreamingResampler(a, b, { kernel: 'wasm-simd' });
      const js = new StreamingResampler(a, b, { kernel: 'js' });
      expect(wasm.kernel).toBe('wasm-simd');
      const f = Float32Array.from(x);
      expect(wasm.process(x)).toEqual(js.process(x));
      const wf = new StreamingResampler(a, b).processFloat(f);
      const jf = new StreamingResampler(a, b, { kernel: 'js' }).processFloat(f);
      expect(Buffer.from(wf.buffer).equals(Buffer.from(jf.buffer))).toBe(true);
    }
  });

  it('dotReference is the plain inner product up to float32 rounding', () => {
    const x = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const h = Float32Array.from({ length: 64 }, (_, i) => Math.cos(i * 0.3));
    let exact = 0;
    for (let i = 0; i < 64; i++) exact += x[i]! * h[i]!;
    expect(dotReference(x, 0, h, 0, 64)).toBeCloseTo(exact, 5);
  });

  it('every polyphase row sums to 1 (unity DC gain on every phase), and DC passes exactly', () => {
    const table = designPolyphaseTable(resampleRatio(44_100, 48_000), { passband: 0.9, stopbandDb: 130 });
    for (let p = 0; p < table.phases; p++) {
      let sum = 0;
      for (let k = 0; k < table.taps; k++) sum += table.coefficients[p * table.taps + k]!;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
    const r = new StreamingResampler(44_100, 48_000);
    const y = r.process(new Int16Array(4410).fill(-12_345));
    expect(new Set(y.subarray(r.delayFrames * 2)).size).toBe(1);
    expect(y[y.length - 1]).toBe(-12_345);
  });

  it('refuses unsupported rates and bad options with the offending value', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (err) {
        return err instanceof WavegateError ? err.code : `other: ${String(err)}`;
      }
      return undefined;
    };
    expect(code(() => new StreamingResampler(7999, 16_000))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(code(() => new StreamingResampler(48_000, 16_000.5))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(code(() => new StreamingResampler(44_101, 48_000))).toBe('WG_ERR_UNSUPPORTED_FORMAT'); // 48000/44101: 48000 phases
    expect(code(() => new StreamingResampler(48_000, 16_000, { channels: 0 }))).toBe('WG_ERR_UNSUPPORTED_FORMAT');
    expect(() => new StreamingResampler(48_000, 16_000, { passband: 1.2 })).toThrow(/passband.*1\.2/);
    expect(() => new StreamingResampler(48_000, 16_000, { stopbandDb: 10 })).toThrow(/stopbandDb.*10/);
    expect(() => new StreamingResampler(48_000, 16_000, { kernel: 'gpu' as never })).toThrow(/kernel.*gpu/);
    const stereo = new StreamingResampler(48_000, 16_000, { channels: 2 });
    expect(code(() => stereo.process(new Int16Array(3)))).toBe('WG_ERR_BAD_PAYLOAD');
    expect(new StreamingResampler(12_000, 48_000).ratio).toMatchObject({ up: 4, down: 1 });
  });
});
