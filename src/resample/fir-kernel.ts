import type { PolyphaseTable } from './kaiser-design.js';
import { instantiateSimdDot, type SimdDot } from './simd-dot-wasm.js';

/**
 * The inner product at the heart of the resampler, in two interchangeable forms that give bit-identical
 * results: WebAssembly SIMD (the default, ~10× faster than scalar JavaScript on x86-64) and a plain
 * JavaScript reference that repeats the SIMD summation order with Math.fround (used where WebAssembly
 * SIMD is unavailable, and by the tests as the readable definition).
 */
export type KernelName = 'wasm-simd' | 'js';

/** A coefficient table made ready for one kernel (for the wasm kernel: copied into its memory). */
export interface PreparedTable {
  readonly table: PolyphaseTable;
  /** Byte address of row 0 inside the wasm memory; 0 and unused for the JavaScript kernel. */
  readonly address: number;
}

/**
 * One block of filter outputs. Output i (i < count) is the inner product of the taps starting at
 * `start_i` with coefficient row `phase_i`, where start_0 = start, phase_0 = phase, and each step
 * adds `down` to the phase and carries whole multiples of `up` into the start position.
 */
export interface FilterBlock {
  readonly start: number;
  readonly phase: number;
  readonly up: number;
  readonly down: number;
  readonly count: number;
  /** out[offset + i·stride] receives output i. */
  readonly out: Float32Array;
  readonly offset: number;
  readonly stride: number;
}

export interface FirKernel {
  readonly name: KernelName;
  prepare(table: PolyphaseTable): PreparedTable;
  /** Computes a block of outputs from signal[0..length). */
  run(prepared: PreparedTable, signal: Float32Array, length: number, block: FilterBlock): void;
}

/**
 * Σ x[xi + k]·h[hi + k], k < n (n a multiple of 16), in float32 and in the wasm kernel's exact order:
 * sixteen running sums (four vectors of four lanes: a0–a3, a4–a7, a8–a11, a12–a15), the vectors added
 * first + second, + third, + fourth, then the four lanes left to right.
 */
export function dotReference(x: Float32Array, xi: number, h: Float32Array, hi: number, n: number): number {
  const f = Math.fround;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
  let a8 = 0, a9 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0, a14 = 0, a15 = 0; // prettier-ignore
  for (let k = 0; k < n; k += 16) {
    const p = xi + k;
    const q = hi + k;
    a0 = f(a0 + f(x[p]! * h[q]!));
    a1 = f(a1 + f(x[p + 1]! * h[q + 1]!));
    a2 = f(a2 + f(x[p + 2]! * h[q + 2]!));
    a3 = f(a3 + f(x[p + 3]! * h[q + 3]!));
    a4 = f(a4 + f(x[p + 4]! * h[q + 4]!));
    a5 = f(a5 + f(x[p + 5]! * h[q + 5]!));
    a6 = f(a6 + f(x[p + 6]! * h[q + 6]!));
    a7 = f(a7 + f(x[p + 7]! * h[q + 7]!));
    a8 = f(a8 + f(x[p + 8]! * h[q + 8]!));
    a9 = f(a9 + f(x[p + 9]! * h[q + 9]!));
    a10 = f(a10 + f(x[p + 10]! * h[q + 10]!));
    a11 = f(a11 + f(x[p + 11]! * h[q + 11]!));
    a12 = f(a12 + f(x[p + 12]! * h[q + 12]!));
    a13 = f(a13 + f(x[p + 13]! * h[q + 13]!));
    a14 = f(a14 + f(x[p + 14]! * h[q + 14]!));
    a15 = f(a15 + f(x[p + 15]! * h[q + 15]!));
  }
  const l0 = f(f(f(a0 + a4) + a8) + a12);
  const l1 = f(f(f(a1 + a5) + a9) + a13);
  const l2 = f(f(f(a2 + a6) + a10) + a14);
  const l3 = f(f(f(a3 + a7) + a11) + a15);
  return f(f(f(l0 + l1) + l2) + l3);
}

class JsKernel implements FirKernel {
  readonly name = 'js' as const;

  prepare(table: PolyphaseTable): PreparedTable {
    return { table, address: 0 };
  }

  run(prepared: PreparedTable, signal: Float32Array, _length: number, b: FilterBlock): void {
    const { taps, coefficients } = prepared.table;
    let start = b.start;
    let phase = b.phase;
    for (let i = 0, o = b.offset; i < b.count; i++, o += b.stride) {
      b.out[o] = dotReference(signal, start, coefficients, phase * taps, taps);
      phase += b.down;
      if (phase >= b.up) {
        const q = Math.floor(phase / b.up);
        start += q;
        phase -= q * b.up;
      }
    }
  }
}

const PAGE = 65_536;

/**
 * One wasm instance per thread, shared by every resampler in it (JavaScript runs one call at a time,
 * so the scratch area is never used by two at once). Memory: coefficient tables from address 0 up,
 * allocated once per table and kept (callers cache tables, so this is bounded by the distinct rate
 * pairs in use), then the scratch area where `run` copies the signal.
 */
class WasmKernel implements FirKernel {
  readonly name = 'wasm-simd' as const;
  private view: Float32Array;
  private tablesEnd = 0;
  private readonly prepared = new Map<PolyphaseTable, PreparedTable>();

  constructor(private readonly simd: SimdDot) {
    this.view = new Float32Array(simd.memory.buffer);
  }

  private ensure(bytes: number): void {
    const have = this.simd.memory.buffer.byteLength;
    if (bytes > have) this.simd.memory.grow(Math.ceil((bytes - have) / PAGE));
    if (this.view.buffer !== this.simd.memory.buffer) this.view = new Float32Array(this.simd.memory.buffer);
  }

  prepare(table: PolyphaseTable): PreparedTable {
    const known = this.prepared.get(table);
    if (known) return known;
    const address = this.tablesEnd;
    const bytes = table.coefficients.length * 4; // taps is a multiple of 8, so rows stay 32-byte aligned
    this.ensure(address + bytes);
    this.view.set(table.coefficients, address / 4);
    this.tablesEnd = address + bytes;
    const prepared = { table, address };
    this.prepared.set(table, prepared);
    return prepared;
  }

  run(prepared: PreparedTable, signal: Float32Array, length: number, b: FilterBlock): void {
    const base = this.tablesEnd; // the scratch area: the signal is copied here
    this.ensure(base + length * 4);
    this.view.set(length === signal.length ? signal : signal.subarray(0, length), base / 4);
    const dot = this.simd.dot;
    const taps = prepared.table.taps;
    const rowBytes = taps * 4;
    const { up, down, out, stride } = b;
    let x = base + b.start * 4;
    let phase = b.phase;
    for (let i = 0, o = b.offset; i < b.count; i++, o += stride) {
      out[o] = dot(x, prepared.address + phase * rowBytes, taps);
      phase += down;
      if (phase >= up) {
        const q = Math.floor(phase / up);
        x += q * 4;
        phase -= q * up;
      }
    }
  }
}

let wasmKernel: WasmKernel | undefined | null;
const jsKernel = new JsKernel();

/** The thread's wasm SIMD kernel, or undefined when this runtime cannot run it. */
export function wasmSimdKernel(): FirKernel | undefined {
  if (wasmKernel === undefined) {
    const simd = instantiateSimdDot();
    wasmKernel = simd ? new WasmKernel(simd) : null;
  }
  return wasmKernel ?? undefined;
}

export function javascriptKernel(): FirKernel {
  return jsKernel;
}
