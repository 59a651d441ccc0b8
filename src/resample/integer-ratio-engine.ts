import type { FilterSpec } from './kaiser-design.js';
import { designIntegerRatio, type IntegerRatioFilter } from './integer-ratio-design.js';
import { roundToInt16, type IntegerKernel } from './integer-ratio-kernel.js';
import type { KernelName } from './fir-kernel.js';
import { BLOCK_FRAMES, type ResampleEngine } from './resample-engine.js';

const designs = new Map<string, IntegerRatioFilter>();
const stored = new Map<string, number[]>();

function cachedDesign(mode: 'decimate' | 'interpolate', factor: number, spec: FilterSpec): IntegerRatioFilter {
  const key = `${mode}/${factor}/${spec.passband}/${spec.stopbandDb}`;
  let design = designs.get(key);
  if (!design) {
    design = designIntegerRatio(mode, factor, spec);
    designs.set(key, design);
  }
  return design;
}

/** An even-length branch equal to its mirror image: computed by firSym from its first half. */
function isSymmetric(c: Float32Array): boolean {
  if (c.length % 2 !== 0) return false;
  for (let i = 0; i < c.length / 2; i++) if (c[i] !== c[c.length - 1 - i]) return false;
  return true;
}

/** Coefficient slots of each branch in the kernel's memory (first halves of symmetric ones), stored once per design and kernel. */
function storedBranches(kernel: IntegerKernel, mode: string, factor: number, spec: FilterSpec, design: IntegerRatioFilter): number[] {
  const key = `${kernel.name}/${mode}/${factor}/${spec.passband}/${spec.stopbandDb}`;
  let at = stored.get(key);
  if (!at) {
    at = design.branches.map((b) => kernel.store(isSymmetric(b.coefficients) ? b.coefficients.subarray(0, b.coefficients.length / 2) : b.coefficients));
    stored.set(key, at);
  }
  return at;
}

const PAD = 32; // slots after every scratch array: the kernel's rounded-up counts write and read there

/**
 * The live and telephone tiers' engine for mono 1:F and F:1 conversions (integer-ratio-design.ts for the
 * filters, docs/resampler.md for the tiers). Decimation by M splits the input into M streams
 * x_p[j] = x[Mj + p] and sums one short FIR per stream; interpolation by L runs one short FIR per output
 * phase on the input and interleaves them. Each FIR computes a whole block of outputs in the SIMD
 * kernel (integer-ratio-kernel.ts), from scratch memory shared by every resampler of the thread: per
 * call the stream's history (a few dozen samples) is copied in and the input appended; afterwards the
 * history is copied back out. Nothing is allocated per call.
 *
 * Timing (the contract of resample-engine.ts). Decimation: output m is y(Mm) = Σ h[t]·x[Mm + t] over
 * t = −c … c, computable once x[Mm + c] is in, so delayFrames = c. Interpolation: output Lm + p needs
 * x[m + q] up to q = D (the furthest tap of any phase); outputs come in whole groups of L once
 * x[m + D] is in, so delayFrames = D.
 */
export class IntegerRatioEngine implements ResampleEngine {
  readonly kernel: KernelName;
  readonly taps: number;
  readonly delayFrames: number;

  private readonly mode: 'decimate' | 'interpolate';
  private readonly factor: number;
  private readonly firsts: number[];
  private readonly lengths: number[];
  private readonly symmetric: boolean[];
  private readonly addresses: number[];
  private readonly qmin: number;
  /** Per stream (decimation: M, interpolation: 1) the samples kept from the buffer's start. */
  private readonly history: Float32Array[] = [];
  private readonly historyLength: number[] = [];
  /** Slots of one stream's scratch region, and of one output phase's. */
  private readonly streamSlots: number;
  private readonly outputSlots: number;
  private view: Int16Array | undefined;
  private viewOf: Int16Array | undefined;
  private viewAt = -1;
  private inputFrames = 0;
  /** Outputs (decimation) or output groups of L (interpolation) produced since reset. */
  private produced = 0;

  constructor(mode: 'decimate' | 'interpolate', factor: number, spec: FilterSpec, private readonly k: IntegerKernel) {
    this.mode = mode;
    this.factor = factor;
    this.kernel = k.name;
    const design = cachedDesign(mode, factor, spec);
    this.addresses = storedBranches(k, mode, factor, spec, design);
    this.firsts = design.branches.map((b) => b.first);
    this.lengths = design.branches.map((b) => b.coefficients.length);
    this.symmetric = design.branches.map((b) => isSymmetric(b.coefficients));
    this.qmin = Math.min(...this.firsts);
    const qmax = Math.max(...this.firsts.map((f, p) => f + this.lengths[p]! - 1));
    const sum = this.lengths.reduce((a, b) => a + b, 0);
    const streams = mode === 'decimate' ? factor : 1;
    let capacity: number;
    if (mode === 'decimate') {
      this.taps = sum;
      this.delayFrames = design.half;
      capacity = Math.ceil(design.half / factor) + 2 - this.qmin + factor + 2;
      this.streamSlots = capacity + Math.ceil(BLOCK_FRAMES / factor) + 2 + PAD;
      this.outputSlots = Math.ceil(BLOCK_FRAMES / factor) + capacity + PAD;
    } else {
      this.taps = Math.ceil(sum / factor);
      this.delayFrames = qmax;
      capacity = qmax - this.qmin + 2;
      this.streamSlots = capacity + BLOCK_FRAMES + PAD;
      this.outputSlots = capacity + BLOCK_FRAMES + PAD;
    }
    for (let s = 0; s < streams; s++) {
      this.history.push(new Float32Array(capacity));
      this.historyLength.push(0);
    }
    this.reset();
  }

  reset(): void {
    this.inputFrames = 0;
    this.produced = 0;
    for (let s = 0; s < this.history.length; s++) {
      this.history[s]!.fill(0);
      this.historyLength[s] = -this.qmin; // stream indices qmin … −1: silence before time 0
    }
  }

  /** Outputs (decimation) or groups (interpolation) allowed once `frames` input frames are in. */
  private allowed(frames: number): number {
    if (this.mode === 'decimate') return Math.max(0, Math.ceil((frames - this.delayFrames) / this.factor));
    return Math.max(0, frames - this.delayFrames);
  }

  outputLength(frames: number): number {
    const n = this.allowed(this.inputFrames + frames) - this.produced;
    return this.mode === 'decimate' ? n : n * this.factor;
  }

  feed(input: Int16Array | Float32Array, from: number, frames: number, output: Int16Array | Float32Array, at: number, limit: number): number {
    let written = 0;
    for (let done = 0; done < frames; ) {
      const n = Math.min(BLOCK_FRAMES, frames - done);
      const chunk = from + done === 0 && n === input.length ? input : input.subarray(from + done, from + done + n);
      written += this.mode === 'decimate' ? this.decimate(chunk, output, at + written, limit - written) : this.interpolate(chunk, output, at + written, limit - written);
      done += n;
    }
    return written;
  }

  private decimate(chunk: Int16Array | Float32Array, output: Int16Array | Float32Array, at: number, limit: number): number {
    const k = this.k;
    const M = this.factor;
    const base = Math.ceil(k.scratch / 4) * 4;
    const raw = base + M * this.streamSlots;
    const y = raw + BLOCK_FRAMES + PAD;
    const y16 = 2 * (y + this.outputSlots); // int16 slot index
    k.reserve(y + this.outputSlots + Math.ceil(this.outputSlots / 2) + PAD);
    const f32 = k.f32;
    const len = this.historyLength;
    for (let p = 0; p < M; p++) f32.set(this.history[p]!, base + p * this.streamSlots); // whole arrays: no view to allocate
    const n = chunk.length;
    // PCM16 input for 2:1 is copied in as it is (a memcpy) and converted while split2I16 deals it out;
    // anything else is converted on the way in (TypedArray.set from Int16 to Float32: a scalar loop in V8).
    const from16 = M === 2 && chunk instanceof Int16Array;
    const src = from16 ? k.i16 : f32;
    const at0 = from16 ? 2 * raw : raw;
    src.set(chunk, at0);
    // Deal the samples out to their streams: sample at time t goes to stream t mod M.
    let i = 0;
    let t = this.inputFrames;
    for (; i < n && t % M !== 0; i++, t++) {
      const p = t % M;
      f32[base + p * this.streamSlots + len[p]!++] = src[at0 + i]!;
    }
    const groups = Math.floor((n - i) / M);
    if (groups > 0) {
      if (from16) {
        k.split2I16(at0 + i, groups, base + len[0]!, base + this.streamSlots + len[1]!);
      } else if (M === 2) {
        k.split2(raw + i, groups, base + len[0]!, base + this.streamSlots + len[1]!);
      } else {
        for (let p = 0; p < M; p++) {
          const dst = base + p * this.streamSlots + len[p]!;
          for (let j = 0, s = raw + i + p; j < groups; j++, s += M) f32[dst + j] = f32[s]!;
        }
      }
      for (let p = 0; p < M; p++) len[p]! += groups;
      i += M * groups;
      t += M * groups;
    }
    for (; i < n; i++, t++) {
      const p = t % M;
      f32[base + p * this.streamSlots + len[p]!++] = src[at0 + i]!;
    }
    this.inputFrames += n;
    const count = Math.max(0, Math.min(this.allowed(this.inputFrames) - this.produced, limit));
    if (count > 0) {
      for (let p = 0; p < M; p++) this.branch(p, base + p * this.streamSlots, y, count, p > 0);
      if (output instanceof Int16Array) {
        k.toI16(y, count, y16);
        output.set(this.outputView(k.i16, y16, count), at);
      } else {
        for (let i = 0; i < count; i++) output[at + i] = f32[y + i]!;
      }
      this.produced += count;
    }
    for (let p = 0; p < M; p++) {
      this.keep(p, f32, base + p * this.streamSlots + count, len[p]! - count);
      len[p]! -= count;
    }
    return count;
  }

  /**
   * history[s][0 … n) = f32[from … from + n). One TypedArray.set (a memcpy) from a view of the kernel's
   * memory that is kept per stream while the same: in steady state each call keeps the same span, so no
   * view is made (a JavaScript loop over the few dozen samples cost more than the copy itself).
   */
  private keep(s: number, f32: Float32Array, from: number, n: number): void {
    let v = this.keepViews[s];
    if (v === undefined || this.keepOf[s] !== f32 || this.keepFrom[s] !== from || v.length !== n) {
      v = f32.subarray(from, from + n);
      this.keepViews[s] = v;
      this.keepOf[s] = f32;
      this.keepFrom[s] = from;
    }
    this.history[s]!.set(v);
  }

  private readonly keepViews: (Float32Array | undefined)[] = [];
  private readonly keepOf: (Float32Array | undefined)[] = [];
  private readonly keepFrom: number[] = [];

  /** A view of `count` samples of the kernel's int16 memory, reused while the same (steady state: no allocation per call). */
  private outputView(i16: Int16Array, at: number, count: number): Int16Array {
    const v = this.view;
    // The kernel's i16 array itself is compared (replaced when its memory grows), not `.buffer`, a call into C++.
    if (v && this.viewOf === i16 && this.viewAt === at && v.length === count) return v;
    this.view = i16.subarray(at, at + count);
    this.viewOf = i16;
    this.viewAt = at;
    return this.view;
  }

  /** Branch p's FIR over the stream at `stream` (the buffer start), count outputs into y. */
  private branch(p: number, stream: number, y: number, count: number, acc: boolean): void {
    const x = stream + this.firsts[p]! - this.qmin;
    if (this.symmetric[p]) this.k.firSym(x, this.addresses[p]!, this.lengths[p]! / 2, y, count, acc);
    else this.k.fir(x, this.addresses[p]!, this.lengths[p]!, y, count, acc);
  }

  private interpolate(chunk: Int16Array | Float32Array, output: Int16Array | Float32Array, at: number, limit: number): number {
    const k = this.k;
    const L = this.factor;
    const base = Math.ceil(k.scratch / 4) * 4;
    const y = base + this.streamSlots;
    const y16 = 2 * (y + L * this.outputSlots); // int16 slot index
    k.reserve(y + L * this.outputSlots + this.outputSlots + PAD);
    const f32 = k.f32;
    let len = this.historyLength[0]!;
    f32.set(this.history[0]!, base); // the whole array: no view to allocate
    f32.set(chunk, base + len);
    len += chunk.length;
    this.inputFrames += chunk.length;
    const groups = Math.max(0, Math.min(this.allowed(this.inputFrames) - this.produced, Math.floor(limit / L)));
    if (groups > 0) {
      for (let p = 0; p < L; p++) this.branch(p, base, y + p * this.outputSlots, groups, false);
      if (output instanceof Int16Array && L === 2) {
        k.interleave2(y, y + this.outputSlots, groups, y16);
        output.set(this.outputView(k.i16, y16, 2 * groups), at);
      } else if (output instanceof Int16Array) {
        for (let p = 0; p < L; p++) {
          const src = y + p * this.outputSlots;
          for (let j = 0, w = at + p; j < groups; j++, w += L) output[w] = roundToInt16(f32[src + j]!);
        }
      } else {
        for (let p = 0; p < L; p++) {
          const src = y + p * this.outputSlots;
          for (let j = 0, w = at + p; j < groups; j++, w += L) output[w] = f32[src + j]!;
        }
      }
      this.produced += groups;
    }
    this.keep(0, f32, base + groups, len - groups);
    this.historyLength[0] = len - groups;
    return groups * L;
  }
}
