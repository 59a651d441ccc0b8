import { instantiateIntegerRatioWasm, type IntegerRatioWasm } from './integer-ratio-wasm.js';
import type { KernelName } from './fir-kernel.js';

/**
 * The integer-ratio engine's kernel (docs/resampler.md, "live and telephone tiers"), in two forms that
 * give bit-identical results: WebAssembly SIMD (integer-ratio-wasm.ts) and plain JavaScript repeating
 * its float32 arithmetic with Math.fround. Both work on one flat memory of float32 slots addressed by
 * index: coefficient tables from 0 up, kept (tables are cached per design, so this is bounded by the
 * distinct conversions in use), then a scratch area that each call overwrites. JavaScript runs one call
 * at a time, so all resamplers of a thread share one kernel and its scratch.
 */
export interface IntegerKernel {
  readonly name: KernelName;
  /** The memory as float32 (and int16) slots; re-read after `reserve`, which may replace it. */
  readonly f32: Float32Array;
  readonly i16: Int16Array;
  /** Stores a coefficient array for good; returns its index in f32. */
  store(coefficients: Float32Array): number;
  /** First free slot after the tables (the scratch area starts here, 16-byte aligned). */
  readonly scratch: number;
  /** Makes sure f32 has at least `slots` slots. */
  reserve(slots: number): void;
  /** f32[y + i] (+)= Σ_{k<n} f32[h + k]·f32[x + i + k] for i < count (room left for count rounded up to 16). */
  fir(x: number, h: number, n: number, y: number, count: number, acc: boolean): void;
  /**
   * fir for a symmetric filter of even length 2·half, given its first half: the mirrored samples are
   * added first, then multiplied (half the multiplies): f32[y + i] (+)= Σ_{k<half} h[k]·(x[i+k] + x[i+2half−1−k]).
   */
  firSym(x: number, h: number, half: number, y: number, count: number, acc: boolean): void;
  /** f32[d0 + j] = f32[src + 2j], f32[d1 + j] = f32[src + 2j + 1] for j < groups (room for groups rounded up to 4). */
  split2(src: number, groups: number, d0: number, d1: number): void;
  /** split2 from int16 slots: f32[d0 + j] = i16[src + 2j], f32[d1 + j] = i16[src + 2j + 1] (room for groups rounded up to 4). */
  split2I16(src: number, groups: number, d0: number, d1: number): void;
  /** i16[dst + i] = roundToInt16(f32[src + i]) for i < n (dst even; room for n rounded up to 8). */
  toI16(src: number, n: number, dst: number): void;
  /** i16[dst + 2i] = roundToInt16(f32[p0 + i]), i16[dst + 2i + 1] = roundToInt16(f32[p1 + i]) for i < n (room for n rounded up to 8). */
  interleave2(p0: number, p1: number, n: number, dst: number): void;
}

/** Round half to even (what f32x4.nearest does), then saturate to PCM16. NaN gives 0, as in wasm. */
export function roundToInt16(v: number): number {
  let r = Math.round(v);
  if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r | 0;
}

/** The readable definition of `fir` (one output): a left-to-right float32 sum. */
export function firReference(f32: Float32Array, x: number, h: number, n: number, start: number): number {
  const f = Math.fround;
  let acc = start;
  for (let k = 0; k < n; k++) acc = f(acc + f(f32[h + k]! * f32[x + k]!));
  return acc;
}

/** The readable definition of `firSym` (one output). */
export function firSymReference(f32: Float32Array, x: number, h: number, half: number, start: number): number {
  const f = Math.fround;
  let acc = start;
  for (let k = 0; k < half; k++) acc = f(acc + f(f32[h + k]! * f(f32[x + k]! + f32[x + 2 * half - 1 - k]!)));
  return acc;
}

const PAGE_SLOTS = 65_536 / 4;

abstract class KernelMemory {
  abstract readonly name: KernelName;
  f32: Float32Array;
  i16: Int16Array;
  scratch = 0;

  constructor(buffer: ArrayBuffer) {
    this.f32 = new Float32Array(buffer);
    this.i16 = new Int16Array(buffer);
  }

  protected abstract grow(slots: number): ArrayBuffer;

  reserve(slots: number): void {
    if (slots <= this.f32.length) return;
    const buffer = this.grow(slots);
    this.f32 = new Float32Array(buffer);
    this.i16 = new Int16Array(buffer);
  }

  store(coefficients: Float32Array): number {
    const at = this.scratch;
    this.reserve(at + coefficients.length + 16);
    this.f32.set(coefficients, at);
    this.scratch = Math.ceil((at + coefficients.length) / 4) * 4;
    return at;
  }
}

class WasmIntegerKernel extends KernelMemory implements IntegerKernel {
  readonly name = 'wasm-simd' as const;

  constructor(private readonly wasm: IntegerRatioWasm) {
    super(wasm.memory.buffer as ArrayBuffer);
  }

  protected grow(slots: number): ArrayBuffer {
    this.wasm.memory.grow(Math.ceil((slots - this.f32.length) / PAGE_SLOTS));
    return this.wasm.memory.buffer as ArrayBuffer;
  }

  fir(x: number, h: number, n: number, y: number, count: number, acc: boolean): void {
    this.wasm.fir(x * 4, h * 4, n, y * 4, count, acc ? 1 : 0);
  }

  firSym(x: number, h: number, half: number, y: number, count: number, acc: boolean): void {
    this.wasm.firSym(x * 4, h * 4, half, y * 4, count, acc ? 1 : 0);
  }

  split2(src: number, groups: number, d0: number, d1: number): void {
    this.wasm.split2(src * 4, groups, d0 * 4, d1 * 4);
  }

  split2I16(src: number, groups: number, d0: number, d1: number): void {
    this.wasm.split2I16(src * 2, groups, d0 * 4, d1 * 4);
  }

  toI16(src: number, n: number, dst: number): void {
    this.wasm.toI16(src * 4, n, dst * 2);
  }

  interleave2(p0: number, p1: number, n: number, dst: number): void {
    this.wasm.interleave2(p0 * 4, p1 * 4, n, dst * 2);
  }
}

class JsIntegerKernel extends KernelMemory implements IntegerKernel {
  readonly name = 'js' as const;

  constructor() {
    super(new ArrayBuffer(PAGE_SLOTS * 4));
  }

  protected grow(slots: number): ArrayBuffer {
    const buffer = new ArrayBuffer(Math.ceil(slots / PAGE_SLOTS) * PAGE_SLOTS * 4);
    new Float32Array(buffer).set(this.f32);
    return buffer;
  }

  fir(x: number, h: number, n: number, y: number, count: number, acc: boolean): void {
    const m = this.f32;
    for (let i = 0; i < count; i++) m[y + i] = firReference(m, x + i, h, n, acc ? m[y + i]! : 0);
  }

  firSym(x: number, h: number, half: number, y: number, count: number, acc: boolean): void {
    const m = this.f32;
    for (let i = 0; i < count; i++) m[y + i] = firSymReference(m, x + i, h, half, acc ? m[y + i]! : 0);
  }

  split2(src: number, groups: number, d0: number, d1: number): void {
    const m = this.f32;
    for (let j = 0; j < groups; j++) {
      m[d0 + j] = m[src + 2 * j]!;
      m[d1 + j] = m[src + 2 * j + 1]!;
    }
  }

  split2I16(src: number, groups: number, d0: number, d1: number): void {
    const m = this.f32;
    const s = this.i16;
    for (let j = 0; j < groups; j++) {
      m[d0 + j] = s[src + 2 * j]!;
      m[d1 + j] = s[src + 2 * j + 1]!;
    }
  }

  toI16(src: number, n: number, dst: number): void {
    for (let i = 0; i < n; i++) this.i16[dst + i] = roundToInt16(this.f32[src + i]!);
  }

  interleave2(p0: number, p1: number, n: number, dst: number): void {
    for (let i = 0; i < n; i++) {
      this.i16[dst + 2 * i] = roundToInt16(this.f32[p0 + i]!);
      this.i16[dst + 2 * i + 1] = roundToInt16(this.f32[p1 + i]!);
    }
  }
}

let wasmKernel: WasmIntegerKernel | undefined | null;
let jsKernel: JsIntegerKernel | undefined;

/** The thread's wasm SIMD integer-ratio kernel, or undefined when this runtime cannot run it. */
export function wasmIntegerKernel(): IntegerKernel | undefined {
  if (wasmKernel === undefined) {
    const wasm = instantiateIntegerRatioWasm();
    wasmKernel = wasm ? new WasmIntegerKernel(wasm) : null;
  }
  return wasmKernel ?? undefined;
}

export function javascriptIntegerKernel(): IntegerKernel {
  jsKernel ??= new JsIntegerKernel();
  return jsKernel;
}
