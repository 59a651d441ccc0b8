import { WavegateError } from '../errors/wavegate-error.js';
import type { FilterSpec } from './kaiser-design.js';
import { javascriptKernel, wasmSimdKernel, type FirKernel, type KernelName } from './fir-kernel.js';
import { javascriptIntegerKernel, wasmIntegerKernel, type IntegerKernel } from './integer-ratio-kernel.js';
import { IntegerRatioEngine } from './integer-ratio-engine.js';
import { PolyphaseEngine } from './polyphase-engine.js';
import type { ResampleEngine } from './resample-engine.js';
import { resampleRatio, type ResampleRatio } from './resample-ratio.js';

/**
 * Streaming sample-rate converter, one per stream (it keeps the filter history between calls).
 *
 * PCM16 in, PCM16 out (interleaved when channels > 1); `processFloat` does the same on Float32 for
 * callers that stay in float. Three quality tiers (docs/resampler.md), all on the exact rational
 * ratio, so there is no drift: output sample m is the signal at input time m·in/out.
 *
 * - `high` (the default here): a windowed-sinc polyphase filter, 130 dB stopband (kaiser-design.ts).
 * - `live`: for 1:F and F:1 (48 ↔ 24, 16 ↔ 8, 48 ↔ 16 kHz …) a polyphase-decomposed Nyquist filter,
 *   halfband for 2:1, ≥ 90 dB (integer-ratio-design.ts); other ratios use the polyphase filter at 100 dB.
 * - `telephone`: the same forms with a shorter filter (70 dB, passband to 85 % of the lower Nyquist),
 *   for G.711 wires whose own noise sits ~38 dB below the speech.
 * `resamplerFor` (resampler-tier.ts) picks the tier from the wire's encoding.
 *
 * - Any chunking gives the same samples as one call on the whole signal (bit for bit): the history
 *   carries over and each output is computed from the same inputs in the same order.
 * - Timing: outputs are time-aligned with the input (no delay in the signal). While streaming, output m
 *   comes out once input reaches m·in/out + `delayFrames`, so after N input frames the total output is
 *   ceil((N − delayFrames)·out/in) frames (0 while N ≤ delayFrames). `flush()` then emits the rest, making
 *   the total exactly ceil(N·out/in). For the high tier delayFrames is half the filter length: 256
 *   frames (5.3 ms) for 48 k → 16 k, 176 (3.7 ms) for 48 k → 24 k, 88 (11 ms) for 8 k → anything higher.
 * - Equal rates pass samples through untouched, with no delay.
 */
export type ResamplerTier = 'high' | 'live' | 'telephone';

export const RESAMPLER_TIERS: readonly ResamplerTier[] = ['high', 'live', 'telephone'];

/** Each tier's filter: passband (fraction of the lower Nyquist kept flat) and stopband attenuation. */
export const TIER_SPECS: Readonly<Record<ResamplerTier, FilterSpec>> = {
  high: { passband: 0.9, stopbandDb: 130 },
  live: { passband: 0.9, stopbandDb: 100 },
  telephone: { passband: 0.85, stopbandDb: 70 },
};

export interface ResamplerOptions {
  /** Interleaved channels per frame, 1–32. */
  channels: number;
  /** Filter family and default passband/stopband; 'high' unless given. */
  tier: ResamplerTier;
  /** Fraction of the lower Nyquist kept flat, 0.5–0.98 (default: the tier's). */
  passband: number;
  /** Attenuation in the stopband in dB, 40–160; sets the filter length (default: the tier's). */
  stopbandDb: number;
  /** 'auto' uses WebAssembly SIMD where available, else the bit-identical JavaScript kernel. */
  kernel: 'auto' | KernelName;
}

export const DEFAULT_RESAMPLER_OPTIONS: ResamplerOptions = {
  channels: 1,
  tier: 'high',
  passband: 0.9,
  stopbandDb: 130,
  kernel: 'auto',
};

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

function resolveOptions(options: Partial<ResamplerOptions>): ResamplerOptions {
  const tier = options.tier ?? DEFAULT_RESAMPLER_OPTIONS.tier;
  check(RESAMPLER_TIERS.includes(tier), 'tier', tier, "'high', 'live' or 'telephone'");
  const o: ResamplerOptions = { ...DEFAULT_RESAMPLER_OPTIONS, ...TIER_SPECS[tier], ...options, tier };
  if (!Number.isInteger(o.channels) || o.channels < 1 || o.channels > 32) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `channels must be an integer from 1 to 32, got ${String(o.channels)}`);
  }
  check(typeof o.passband === 'number' && o.passband >= 0.5 && o.passband <= 0.98, 'passband', o.passband, 'a number from 0.5 to 0.98');
  check(typeof o.stopbandDb === 'number' && o.stopbandDb >= 40 && o.stopbandDb <= 160, 'stopbandDb', o.stopbandDb, 'a number from 40 to 160');
  check(o.kernel === 'auto' || o.kernel === 'wasm-simd' || o.kernel === 'js', 'kernel', o.kernel, "'auto', 'wasm-simd' or 'js'");
  return o;
}

function pickKernel<K>(name: ResamplerOptions['kernel'], wasm: () => K | undefined, js: () => K): K {
  if (name === 'js') return js();
  const kernel = wasm();
  if (kernel) return kernel;
  if (name === 'wasm-simd') throw new TypeError('kernel `wasm-simd` requested but this runtime has no WebAssembly SIMD');
  return js();
}

function makeEngine(ratio: ResampleRatio, o: ResamplerOptions): ResampleEngine {
  const spec = { passband: o.passband, stopbandDb: o.stopbandDb };
  if (o.tier !== 'high' && o.channels === 1 && (ratio.up === 1 || ratio.down === 1)) {
    const kernel = pickKernel<IntegerKernel>(o.kernel, wasmIntegerKernel, javascriptIntegerKernel);
    return ratio.up === 1 ? new IntegerRatioEngine('decimate', ratio.down, spec, kernel) : new IntegerRatioEngine('interpolate', ratio.up, spec, kernel);
  }
  return new PolyphaseEngine(ratio, spec, o.channels, pickKernel<FirKernel>(o.kernel, wasmSimdKernel, javascriptKernel));
}

export class StreamingResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  readonly ratio: ResampleRatio;
  readonly tier: ResamplerTier;
  readonly kernel: KernelName;
  /** Filter multiply-adds per output frame and channel (0 when the rates are equal). */
  readonly taps: number;
  /** Input frames the streaming output lags behind (for the high tier half the filter); 0 when the rates are equal. */
  readonly delayFrames: number;

  private readonly engine: ResampleEngine | undefined;
  private inputFrames = 0;
  private outputFrames = 0;

  constructor(inputRate: number, outputRate: number, options: Partial<ResamplerOptions> = {}) {
    const o = resolveOptions(options);
    this.ratio = resampleRatio(inputRate, outputRate);
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.channels = o.channels;
    this.tier = o.tier;
    this.engine = inputRate === outputRate ? undefined : makeEngine(this.ratio, o);
    this.kernel = this.engine?.kernel ?? 'js';
    this.taps = this.engine?.taps ?? 0;
    this.delayFrames = this.engine?.delayFrames ?? 0;
  }

  /** Streaming latency in milliseconds (delayFrames at the input rate). */
  get latencyMs(): number {
    return (this.delayFrames * 1000) / this.inputRate;
  }

  /** Frames the next `process` call returns for `frames` input frames (exact, given the current state). */
  outputLength(frames: number): number {
    return this.engine ? this.engine.outputLength(frames) : frames;
  }

  /** Back to a fresh stream: history cleared (zeros before time 0), counters at 0. */
  reset(): void {
    this.inputFrames = 0;
    this.outputFrames = 0;
    this.engine?.reset();
  }

  process(input: Int16Array): Int16Array {
    const out = new Int16Array(this.outputLength(this.framesOf(input)) * this.channels);
    this.run(input, out, 0, this.framesOf(input), Infinity);
    return out;
  }

  processFloat(input: Float32Array): Float32Array {
    const out = new Float32Array(this.outputLength(this.framesOf(input)) * this.channels);
    this.run(input, out, 0, this.framesOf(input), Infinity);
    return out;
  }

  /**
   * Writes into `output` from sample `offset` (no allocation); returns the number of samples written
   * (frames × channels). `outputLength` tells how many beforehand.
   */
  processInto(input: Int16Array, output: Int16Array, offset = 0): number {
    return this.into(input, output, offset);
  }

  /** Like processInto() for the float path. */
  processFloatInto(input: Float32Array, output: Float32Array, offset = 0): number {
    return this.into(input, output, offset);
  }

  /**
   * Ends the stream: returns the outputs still owed (the last delayFrames of input, filtered against
   * silence after the end), so the total is exactly ceil(N·out/in) frames, then resets for reuse.
   */
  flush(): Int16Array {
    const out = new Int16Array(this.owed() * this.channels);
    this.flushInto(out);
    return out;
  }

  /** Like flush() for the float path. */
  flushFloat(): Float32Array {
    const out = new Float32Array(this.owed() * this.channels);
    this.flushInto(out);
    return out;
  }

  /** Frames the next flush() returns. */
  owed(): number {
    return Math.max(0, Math.ceil((this.inputFrames * this.ratio.up) / this.ratio.down) - this.outputFrames);
  }

  /**
   * flush() into a caller's array (owed() × channels samples, from sample `offset`), with no
   * allocation; returns the samples written. Resets for reuse.
   */
  flushInto(output: Int16Array | Float32Array, offset = 0): number {
    const owed = this.owed();
    if (output.length - offset < owed * this.channels) throw new RangeError(`flushInto: output holds ${output.length - offset} samples after offset ${offset}, ${owed * this.channels} needed`);
    let written = 0;
    if (this.engine && owed > 0) {
      const silence = output instanceof Int16Array ? SILENCE_16 : SILENCE_32;
      for (let left = this.delayFrames * this.channels; left > 0 && written < owed; ) {
        const n = Math.min(left, silence.length - (silence.length % this.channels));
        written += this.engine.feed(silence.subarray(0, n), 0, n / this.channels, output, offset / this.channels + written, owed - written);
        left -= n;
      }
    }
    this.reset();
    return written * this.channels;
  }

  /** `input` as the end of the stream: process() and flush() joined in one array (then reset, like flush). */
  processAll(input: Int16Array): Int16Array {
    return joinTail(this.process(input), this.flush());
  }

  /** Like processAll() for the float path. */
  processAllFloat(input: Float32Array): Float32Array {
    return joinTail(this.processFloat(input), this.flushFloat());
  }

  private into(input: Int16Array | Float32Array, output: Int16Array | Float32Array, offset: number): number {
    const frames = this.framesOf(input);
    const need = this.outputLength(frames) * this.channels;
    if (!Number.isInteger(offset) || offset < 0 || offset % this.channels !== 0) throw new RangeError(`offset must be a whole number of frames ≥ 0, got ${String(offset)}`);
    if (output.length - offset < need) throw new RangeError(`processInto: output holds ${output.length - offset} samples after offset ${offset}, ${need} needed`);
    return this.run(input, output, offset / this.channels, frames, Infinity) * this.channels;
  }

  private framesOf(input: Int16Array | Float32Array): number {
    if (input.length % this.channels !== 0) {
      throw new WavegateError('WG_ERR_BAD_PAYLOAD', `${input.length} samples is not a whole number of ${this.channels}-channel frames`);
    }
    return input.length / this.channels;
  }

  /** Feeds `frames` frames of `input`; writes at most `limit` output frames from frame `at`. */
  private run(input: Int16Array | Float32Array, output: Int16Array | Float32Array, at: number, frames: number, limit: number): number {
    let written: number;
    if (this.engine) {
      written = this.engine.feed(input, 0, frames, output, at, limit);
    } else {
      written = Math.min(frames, limit);
      output.set(input.subarray(0, written * this.channels), at * this.channels);
    }
    this.inputFrames += frames;
    this.outputFrames += written;
    return written;
  }
}

/** Silence fed by flush (shared, never written: engines only read their input). */
const SILENCE_16 = new Int16Array(4096);
const SILENCE_32 = new Float32Array(4096);

function joinTail<T extends Int16Array | Float32Array>(head: T, tail: T): T {
  if (tail.length === 0) return head;
  const out = new (head.constructor as new (length: number) => T)(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
