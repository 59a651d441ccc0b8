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

export interface FirKernel {
  readonly name: KernelName;
  prepare(table: PolyphaseTable): PreparedTable;
  /** Makes signal[0..length) the samples `dot` reads, until the next load. */
  load(signal: Float32Array, length: number): void;
  /** Σ signal[start + k] · row[phase][k] for k < taps. */
  dot(prepared: PreparedTable, start: number, phase: number): number;
}

/** Σ x[xi + k]·h[hi + k], k < n (n a multiple of 8), in float32 and in the wasm kernel's exact order. */
export function dotReference(x: Float32Array, xi: number, h: Float32Array, hi: number, n: number): number {
  const f = Math.fround;
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0; // prettier-ignore
  for (let k = 0; k < n; k += 8) {
    const x0 = xi + k;
    const h0 = hi + k;
    a0 = f(a0 + f(x[x0]! * h[h0]!));
    a1 = f(a1 + f(x[x0 + 1]! * h[h0 + 1]!));
    a2 = f(a2 + f(x[x0 + 2]! * h[h0 + 2]!));
    a3 = f(a3 + f(x[x0 + 3]! * h[h0 + 3]!));
    a4 = f(a4 + f(x[x0 + 4]! * h[h0 + 4]!));
    a5 = f(a5 + f(x[x0 + 5]! * h[h0 + 5]!));
    a6 = f(a6 + f(x[x0 + 6]! * h[h0 + 6]!));
    a7 = f(a7 + f(x[x0 + 7]! * h[h0 + 7]!));
  }
  return f(f(f(f(a0 + a4) + f(a1 + a5)) + f(a2 + a6)) + f(a3 + a7));
}

class JsKernel implements FirKernel {
  readonly name = 'js' as const;
  private signal: Float32Array = new Float32Array(0);

  prepare(table: PolyphaseTable): PreparedTable {
    return { table, address: 0 };
  }

  load(signal: Float32Array): void {
    this.signal = signal;
  }

  dot(prepared: PreparedTable, start: number, phase: number): number {
    const { taps, coefficients } = prepared.table;
    return dotReference(this.signal, start, coefficients, phase * taps, taps);
  }
}

const PAGE = 65_536;

/**
 * One wasm instance per thread, shared by every resampler in it (JavaScript runs one call at a time,
 * so the scratch area is never used by two at once). Memory: coefficient tables from address 0 up,
 * allocated once per table and kept (callers cache tables, so this is bounded by the distinct rate
 * pairs in use), then the scratch area where `load` copies the signal.
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

  load(signal: Float32Array, length: number): void {
    this.ensure(this.tablesEnd + length * 4);
    this.view.set(length === signal.length ? signal : signal.subarray(0, length), this.tablesEnd / 4);
  }

  dot(prepared: PreparedTable, start: number, phase: number): number {
    const taps = prepared.table.taps;
    return this.simd.dot(this.tablesEnd + start * 4, prepared.address + phase * taps * 4, taps);
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
