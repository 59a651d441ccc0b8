import { ALAW_TABLE, instantiateG711Encode, MULAW_TABLE, TABLES_END, type G711EncodeExports } from './g711-encode-wasm.js';

/**
 * Runs the WebAssembly G.711 encoder (g711-encode-wasm.ts) on a caller's buffers: the samples are
 * copied into the module's memory (TypedArray.set, a memcpy), encoded there, and the codes copied out
 * into the caller's Uint8Array. Memory is one page, fixed: the tables, then room for `maxSamples`
 * samples and their codes (a 20 ms frame at 192 kHz is 3840); longer inputs are the caller's to
 * encode. The view the codes are copied from is cached per length (the last one), so steady-state
 * encoding allocates nothing.
 */
const SAMPLES_AT = TABLES_END;
const MAX_SAMPLES = 14336;
const CODES_AT = SAMPLES_AT + 2 * MAX_SAMPLES;

export class G711WasmEncoder {
  readonly maxSamples = MAX_SAMPLES;
  readonly #exports: G711EncodeExports;
  readonly #samples: Int16Array;
  #lastLength = -1;
  #lastView = new Uint8Array(0);

  constructor(exports: G711EncodeExports, mulawTable: Uint8Array, alawTable: Uint8Array) {
    this.#exports = exports;
    const bytes = new Uint8Array(exports.memory.buffer);
    bytes.set(mulawTable, MULAW_TABLE);
    bytes.set(alawTable, ALAW_TABLE);
    this.#samples = new Int16Array(exports.memory.buffer, SAMPLES_AT, MAX_SAMPLES);
  }

  /** Encodes src into dst[0..src.length); 1 ≤ src.length ≤ maxSamples, dst long enough (not checked). */
  mulaw(src: Int16Array, dst: Uint8Array): void {
    this.#samples.set(src);
    this.#exports.mulaw(SAMPLES_AT, src.length, CODES_AT);
    dst.set(this.#codes(src.length));
  }

  alaw(src: Int16Array, dst: Uint8Array): void {
    this.#samples.set(src);
    this.#exports.alaw(SAMPLES_AT, src.length, CODES_AT);
    dst.set(this.#codes(src.length));
  }

  #codes(n: number): Uint8Array {
    if (n !== this.#lastLength) {
      this.#lastView = new Uint8Array(this.#exports.memory.buffer, CODES_AT, n);
      this.#lastLength = n;
    }
    return this.#lastView;
  }
}

/** Undefined where WebAssembly is unavailable; `mulawTable`/`alawTable`: g711.ts's encode tables. */
export function createG711WasmEncoder(mulawTable: Uint8Array, alawTable: Uint8Array): G711WasmEncoder | undefined {
  const exports = instantiateG711Encode();
  return exports === undefined ? undefined : new G711WasmEncoder(exports, mulawTable, alawTable);
}
