import { WavegateError } from '../errors/wavegate-error.js';
import { designPolyphaseTable, type FilterSpec, type PolyphaseTable } from './kaiser-design.js';
import { javascriptKernel, wasmSimdKernel, type FirKernel, type KernelName, type PreparedTable } from './fir-kernel.js';
import { resampleRatio, type ResampleRatio } from './resample-ratio.js';

/**
 * Streaming sample-rate converter, one per stream (it keeps the filter history between calls).
 *
 * PCM16 in, PCM16 out (interleaved when channels > 1); `processFloat` does the same on Float32 for
 * callers that stay in float. A windowed-sinc polyphase filter (kaiser-design.ts) on the exact rational
 * ratio, so there is no drift: output sample m is the signal at input time m·in/out.
 *
 * - Any chunking gives the same samples as one call on the whole signal (bit for bit): the history
 *   carries over and each output is computed from the same inputs in the same order.
 * - Timing: outputs are time-aligned with the input (no delay in the signal). While streaming, output m
 *   comes out once input reaches m·in/out + `delayFrames`, so after N input frames the total output is
 *   ceil((N − delayFrames)·out/in) frames (0 while N ≤ delayFrames). `flush()` then emits the rest, making
 *   the total exactly ceil(N·out/in). delayFrames is half the filter length; with the defaults 256
 *   frames (5.3 ms) for 48 k → 16 k, 176 (3.7 ms) for 48 k → 24 k, 88 (11 ms) for 8 k → anything higher.
 * - Equal rates pass samples through untouched, with no delay.
 */
export interface ResamplerOptions {
  /** Interleaved channels per frame, 1–32. */
  channels: number;
  /** Fraction of the lower Nyquist kept flat, 0.5–0.98. */
  passband: number;
  /** Attenuation at and above the lower Nyquist in dB, 40–160; sets the filter length. */
  stopbandDb: number;
  /** 'auto' uses WebAssembly SIMD where available, else the bit-identical JavaScript kernel. */
  kernel: 'auto' | KernelName;
}

export const DEFAULT_RESAMPLER_OPTIONS: ResamplerOptions = {
  channels: 1,
  passband: 0.9,
  stopbandDb: 130,
  kernel: 'auto',
};

/** Input frames taken per inner step: bounds the scratch memory whatever the size of one call. */
const BLOCK_FRAMES = 4096;

const tableCache = new Map<string, PolyphaseTable>();

function filterTable(ratio: ResampleRatio, spec: FilterSpec): PolyphaseTable {
  const key = `${ratio.up}/${ratio.down}/${spec.passband}/${spec.stopbandDb}`;
  let table = tableCache.get(key);
  if (!table) {
    table = designPolyphaseTable(ratio, spec);
    tableCache.set(key, table);
  }
  return table;
}

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

function resolveOptions(options: Partial<ResamplerOptions>): ResamplerOptions {
  const o: ResamplerOptions = { ...DEFAULT_RESAMPLER_OPTIONS, ...options };
  if (!Number.isInteger(o.channels) || o.channels < 1 || o.channels > 32) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `channels must be an integer from 1 to 32, got ${String(o.channels)}`);
  }
  check(typeof o.passband === 'number' && o.passband >= 0.5 && o.passband <= 0.98, 'passband', o.passband, 'a number from 0.5 to 0.98');
  check(typeof o.stopbandDb === 'number' && o.stopbandDb >= 40 && o.stopbandDb <= 160, 'stopbandDb', o.stopbandDb, 'a number from 40 to 160');
  check(o.kernel === 'auto' || o.kernel === 'wasm-simd' || o.kernel === 'js', 'kernel', o.kernel, "'auto', 'wasm-simd' or 'js'");
  return o;
}

function pickKernel(name: ResamplerOptions['kernel']): FirKernel {
  if (name === 'js') return javascriptKernel();
  const wasm = wasmSimdKernel();
  if (wasm) return wasm;
  if (name === 'wasm-simd') throw new TypeError('kernel `wasm-simd` requested but this runtime has no WebAssembly SIMD');
  return javascriptKernel();
}

export class StreamingResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly channels: number;
  readonly ratio: ResampleRatio;
  readonly kernel: KernelName;
  /** Filter taps per output sample (0 when the rates are equal). */
  readonly taps: number;
  /** Input frames the streaming output lags behind (half the filter); 0 when the rates are equal. */
  readonly delayFrames: number;

  private readonly fir: FirKernel | undefined;
  private readonly prepared: PreparedTable | undefined;
  private readonly buffers: Float32Array[] = [];
  private readonly outFloat: Float32Array;
  private length = 0; // valid frames in each buffer
  private start = 0; // buffer index of the first tap of the next output
  private phase = 0; // its phase, 0 ≤ phase < up
  private inputFrames = 0;
  private outputFrames = 0;

  constructor(inputRate: number, outputRate: number, options: Partial<ResamplerOptions> = {}) {
    const o = resolveOptions(options);
    this.ratio = resampleRatio(inputRate, outputRate);
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    this.channels = o.channels;
    if (inputRate === outputRate) {
      this.kernel = 'js';
      this.taps = 0;
      this.delayFrames = 0;
      this.outFloat = new Float32Array(0);
      return;
    }
    this.fir = pickKernel(o.kernel);
    this.kernel = this.fir.name;
    this.prepared = this.fir.prepare(filterTable(this.ratio, o));
    this.taps = this.prepared.table.taps;
    this.delayFrames = this.taps / 2;
    for (let c = 0; c < this.channels; c++) this.buffers.push(new Float32Array(this.taps + BLOCK_FRAMES));
    this.outFloat = new Float32Array((Math.ceil((BLOCK_FRAMES * this.ratio.up) / this.ratio.down) + 2) * this.channels);
    this.reset();
  }

  /** Streaming latency in milliseconds (delayFrames at the input rate). */
  get latencyMs(): number {
    return (this.delayFrames * 1000) / this.inputRate;
  }

  /** Frames the next `process` call returns for `frames` input frames (exact, given the current state). */
  outputLength(frames: number): number {
    if (this.taps === 0) return frames;
    return this.producible(this.length + frames);
  }

  /** Back to a fresh stream: history cleared (zeros before time 0), counters at 0. */
  reset(): void {
    this.inputFrames = 0;
    this.outputFrames = 0;
    this.start = 0;
    this.phase = 0;
    this.length = Math.max(0, this.delayFrames - 1);
    for (const b of this.buffers) b.fill(0);
  }

  process(input: Int16Array): Int16Array {
    const out = new Int16Array(this.outputLength(this.framesOf(input)) * this.channels);
    this.processInto(input, out);
    return out;
  }

  processFloat(input: Float32Array): Float32Array {
    const out = new Float32Array(this.outputLength(this.framesOf(input)) * this.channels);
    this.run(input, out, 0, this.framesOf(input), Infinity);
    return out;
  }

  /** Writes into `output` (no allocation); returns the number of samples written (frames × channels). */
  processInto(input: Int16Array, output: Int16Array): number {
    const frames = this.framesOf(input);
    const need = this.outputLength(frames) * this.channels;
    if (output.length < need) throw new RangeError(`processInto: output holds ${output.length} samples, ${need} needed`);
    return this.run(input, output, 0, frames, Infinity) * this.channels;
  }

  /**
   * Ends the stream: returns the outputs still owed (the last delayFrames of input, filtered against
   * silence after the end), so the total is exactly ceil(N·out/in) frames, then resets for reuse.
   */
  flush(): Int16Array {
    const owed = Math.ceil((this.inputFrames * this.ratio.up) / this.ratio.down) - this.outputFrames;
    const out = new Int16Array(Math.max(0, owed) * this.channels);
    if (this.taps > 0 && owed > 0) {
      this.run(new Int16Array(this.delayFrames * this.channels), out, 0, this.delayFrames, owed);
    }
    this.reset();
    return out;
  }

  /** `input` as the end of the stream: process() and flush() joined in one array (then reset, like flush). */
  processAll(input: Int16Array): Int16Array {
    return joinTail(this.process(input), this.flush());
  }

  /** Like processAll() for the float path. */
  processAllFloat(input: Float32Array): Float32Array {
    return joinTail(this.processFloat(input), this.flushFloat());
  }

  /** Like flush() for the float path. */
  flushFloat(): Float32Array {
    const owed = Math.ceil((this.inputFrames * this.ratio.up) / this.ratio.down) - this.outputFrames;
    const out = new Float32Array(Math.max(0, owed) * this.channels);
    if (this.taps > 0 && owed > 0) {
      this.run(new Float32Array(this.delayFrames * this.channels), out, 0, this.delayFrames, owed);
    }
    this.reset();
    return out;
  }

  private framesOf(input: Int16Array | Float32Array): number {
    if (input.length % this.channels !== 0) {
      throw new WavegateError('WG_ERR_BAD_PAYLOAD', `${input.length} samples is not a whole number of ${this.channels}-channel frames`);
    }
    return input.length / this.channels;
  }

  /** Outputs computable once each buffer holds `length` frames. */
  private producible(length: number): number {
    const room = length - this.taps - this.start; // how far the first tap may still advance
    if (room < 0) return 0;
    return Math.floor(((room + 1) * this.ratio.up - 1 - this.phase) / this.ratio.down) + 1;
  }

  /** Feeds `frames` frames of `input` from frame `from`; writes at most `limit` output frames. */
  private run(input: Int16Array | Float32Array, output: Int16Array | Float32Array, from: number, frames: number, limit: number): number {
    const ch = this.channels;
    if (this.taps === 0) {
      const n = Math.min(frames, limit) * ch;
      output.set(input.subarray(from * ch, from * ch + n));
      this.inputFrames += frames;
      this.outputFrames += n / ch;
      return n / ch;
    }
    const toInt16 = output instanceof Int16Array;
    let written = 0;
    for (let done = 0; done < frames; ) {
      const n = Math.min(BLOCK_FRAMES, frames - done);
      if (ch === 1) {
        // One builtin call converts the whole block (Int16 → Float32 is exact); a JS loop cost ~4 ns a sample.
        this.buffers[0]!.set(input.subarray(from + done, from + done + n), this.length);
      } else {
        for (let c = 0; c < ch; c++) {
          const buf = this.buffers[c]!;
          for (let i = 0, j = (from + done) * ch + c; i < n; i++, j += ch) buf[this.length + i] = input[j]!;
        }
      }
      this.length += n;
      this.inputFrames += n;
      done += n;
      const count = Math.min(this.producible(this.length), limit - written);
      if (count > 0) {
        this.filter(count);
        const src = this.outFloat;
        const base = written * ch;
        if (toInt16) {
          for (let i = 0; i < count * ch; i++) {
            const v = Math.round(src[i]!);
            output[base + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
          }
        } else {
          output.set(src.subarray(0, count * ch), base);
        }
        written += count;
        this.outputFrames += count;
      }
      this.compact();
    }
    return written;
  }

  /** Computes `count` output frames into outFloat (interleaved) and advances start/phase. */
  private filter(count: number): void {
    const { up, down } = this.ratio;
    for (let c = 0; c < this.channels; c++) {
      this.fir!.run(this.prepared!, this.buffers[c]!, this.length, {
        start: this.start,
        phase: this.phase,
        up,
        down,
        count,
        out: this.outFloat,
        offset: c,
        stride: this.channels,
      });
    }
    const phase = this.phase + count * down; // the same walk the kernel made, in one step
    const carry = Math.floor(phase / up);
    this.start += carry;
    this.phase = phase - carry * up;
  }

  /** Drops consumed history so each buffer starts at the next output's first tap. */
  private compact(): void {
    if (this.start === 0) return;
    for (const b of this.buffers) b.copyWithin(0, this.start, this.length);
    this.length -= this.start;
    this.start = 0;
  }
}

function joinTail<T extends Int16Array | Float32Array>(head: T, tail: T): T {
  if (tail.length === 0) return head;
  const out = new (head.constructor as new (length: number) => T)(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}
