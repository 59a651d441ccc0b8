import { instantiateG711Simd, type G711SimdExports } from './g711-simd-wasm.js';

/**
 * Runs the WebAssembly SIMD G.711 kernels on a caller's buffers: the codes are copied into the
 * module's memory (TypedArray.set), decoded there, and the samples copied out into the caller's
 * Int16Array. For a 160-byte frame the two copies cost about as much as the decoding; together they
 * are still several times faster than a JavaScript table loop, whose cost is per byte.
 *
 * Memory: codes at address 0, samples after them; `capacity` codes fit (room for n rounded up to the
 * kernel's step). It starts at one page (16384 codes) and grows on demand up to `maxCodes`; longer
 * inputs are the caller's to handle. The Int16Array views the samples are copied from are cached per
 * length (the last one used, plus a small map), so steady-state decoding allocates nothing.
 */
const PAGE_BYTES = 65536;
const INITIAL_CAPACITY = 16384; // codes: 16 KiB in + 32 KiB out fit the module's first page
const MAX_CAPACITY = 1 << 20; // 1 Mi codes (about 2 minutes at 8 kHz): at most 3 MiB of memory
const MAX_CACHED_VIEWS = 32;

export class G711SimdDecoder {
  /** The longest input these kernels take; the caller decodes anything longer itself. */
  readonly maxCodes = MAX_CAPACITY;
  private readonly memory: WebAssembly.Memory;
  private readonly mulawKernel: G711SimdExports['mulaw'];
  private readonly alawKernel: G711SimdExports['alaw'];
  private capacity = INITIAL_CAPACITY;
  private bytes: Uint8Array;
  /** Byte address of the samples. */
  private output = INITIAL_CAPACITY;
  private lastLength = -1;
  private lastView: Int16Array = new Int16Array(0);
  private readonly views = new Map<number, Int16Array>();

  constructor(exports: G711SimdExports) {
    this.memory = exports.memory;
    this.mulawKernel = exports.mulaw;
    this.alawKernel = exports.alaw;
    this.bytes = new Uint8Array(this.memory.buffer);
  }

  /** Decodes src into dst[0..src.length); 1 ≤ src.length ≤ maxCodes, dst long enough (not checked). */
  mulaw(src: Uint8Array, dst: Int16Array): void {
    const n = src.length;
    if (n > this.capacity) this.grow(n);
    this.bytes.set(src);
    this.mulawKernel(0, this.output, n);
    dst.set(n === this.lastLength ? this.lastView : this.view(n));
  }

  alaw(src: Uint8Array, dst: Int16Array): void {
    const n = src.length;
    if (n > this.capacity) this.grow(n);
    this.bytes.set(src);
    this.alawKernel(0, this.output, n);
    dst.set(n === this.lastLength ? this.lastView : this.view(n));
  }

  private view(n: number): Int16Array {
    let view = this.views.get(n);
    if (view === undefined) {
      if (this.views.size >= MAX_CACHED_VIEWS) this.views.clear();
      view = new Int16Array(this.memory.buffer, this.output, n);
      this.views.set(n, view);
    }
    this.lastLength = n;
    this.lastView = view;
    return view;
  }

  private grow(n: number): void {
    if (n > MAX_CAPACITY) throw new RangeError(`G711SimdDecoder: ${n} codes, at most ${MAX_CAPACITY}`);
    let capacity = this.capacity;
    while (capacity < n) capacity *= 2; // a power of two ≥ n, so it also holds n rounded up to the kernel's step
    const pages = Math.ceil((3 * capacity) / PAGE_BYTES);
    this.memory.grow(pages - this.memory.buffer.byteLength / PAGE_BYTES);
    this.capacity = capacity;
    this.output = capacity;
    this.bytes = new Uint8Array(this.memory.buffer); // growing detached the old views
    this.views.clear();
    this.lastLength = -1;
  }
}

/** Undefined where WebAssembly SIMD is unavailable. */
export function createG711SimdDecoder(): G711SimdDecoder | undefined {
  const exports = instantiateG711Simd();
  return exports === undefined ? undefined : new G711SimdDecoder(exports);
}
