/**
 * ITU-T G.711 μ-law and A-law, table-driven.
 *
 * Decoding: one 256-entry Int16 table per law, built at load from the standard's segment definition.
 * Outputs are the standard's reconstruction values left-justified in 16 bits: μ-law 14-bit values × 4
 * (±32124 at most), A-law 13-bit values × 8 (±32256 at most) — the same numbers sox and the Sun/CCITT
 * reference code produce.
 *
 * Encoding: the standard's truncating quantiser as written in ITU-T G.191 (Software Tool Library,
 * g711.c): positive samples are truncated to 14 (μ-law) or 13 (A-law) bits; negative ones are taken in
 * one's complement (~x) before the shift, so x and -1-x land on mirror-image codes and the quantiser is
 * exactly symmetric. A value on a decision boundary belongs to the interval above it. The segment search
 * runs once at load and fills a table indexed by the top bits of the sample (16384 entries for μ-law,
 * 4096 for A-law), so encoding one sample is a shift, a mask and a load.
 *
 * Encoding inputs of WASM_MIN_SAMPLES samples or more runs the same table lookup in WebAssembly
 * (g711-encode-wasm.ts; ~1/4 of the instructions of the loop here on a 480-sample frame, the copies in
 * and out included); the tests check both give the same code for every sample value.
 *
 * The `...Into` variants write into a caller's buffer and allocate nothing (in steady state: see
 * g711-simd-decoder.ts). Decoding inputs of SIMD_MIN_CODES codes or more runs in WebAssembly SIMD
 * (g711-simd-wasm.ts: the same values computed arithmetically, 16 codes per vector; on a 160-byte frame
 * about 3.3× the table loop here, the copies in and out of its memory included); shorter inputs, inputs over
 * its maxCodes, and everything where WebAssembly SIMD is unavailable go through the tables below. The
 * tests check the two agree on every code.
 */
import { allocBytes, allocSamples } from '../audio/sample-pool.js';
import { createG711SimdDecoder } from './g711-simd-decoder.js';
import { createG711WasmEncoder } from './g711-wasm-encoder.js';

const MULAW_BIAS = 33; // in 14-bit units; the classic 0x84 in 16-bit units
const MULAW_BIASED_MAX = 0x1fff; // G.191 clips the biased magnitude to 13 bits: the top code

function buildMulawDecode(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const u = ~code & 0xff;
    const exponent = (u >> 4) & 0x07;
    const mantissa = u & 0x0f;
    const magnitude = (((mantissa << 1) + MULAW_BIAS) << exponent) - MULAW_BIAS; // 14-bit units
    table[code] = (u & 0x80 ? -magnitude : magnitude) * 4;
  }
  return table;
}

function buildAlawDecode(): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const a = code ^ 0x55;
    const segment = (a >> 4) & 0x07;
    const interval = a & 0x0f;
    // 13-bit units: segment 0 spans 0..31 in steps of 2, segment s ≥ 1 spans 16<<s..32<<s in steps of 1<<s.
    const magnitude = segment === 0 ? (interval << 1) + 1 : ((interval << 1) + 33) << (segment - 1);
    table[code] = (a & 0x80 ? magnitude : -magnitude) * 8;
  }
  return table;
}

/** μ-law code for a 14-bit magnitude (0..8191) and a sign (G.191 ulaw_compress, one sample). */
function mulawCode(magnitude: number, negative: boolean): number {
  const biased = Math.min(magnitude + MULAW_BIAS, MULAW_BIASED_MAX); // 33..8191
  let segment = 0;
  while (segment < 7 && biased >= 64 << segment) segment++;
  const interval = (biased >> (segment + 1)) & 0x0f;
  const code = (segment << 4) | interval;
  return negative ? ~code & 0x7f : ~code & 0xff; // sign bit 1 = positive once inverted
}

/**
 * A-law code for a magnitude in units of two 13-bit steps (0..2047: the sample >> 4, as G.191 does) and a
 * sign (G.191 alaw_compress, one sample). Segment 0 then has steps of 1 unit, segment s ≥ 1 steps of 1<<(s-1).
 */
function alawCode(magnitude: number, negative: boolean): number {
  let code: number;
  if (magnitude <= 15) {
    code = magnitude;
  } else {
    let segment = 1;
    let m = magnitude;
    while (m > 31) {
      m >>= 1;
      segment++;
    }
    code = (segment << 4) | (m - 16);
  }
  return (negative ? code : code | 0x80) ^ 0x55;
}

/** Indexed by (sample >> 2) & 0x3fff, i.e. the 14-bit two's-complement value. */
function buildMulawEncode(): Uint8Array {
  const table = new Uint8Array(1 << 14);
  for (let index = 0; index < table.length; index++) {
    const v = index >= 1 << 13 ? index - (1 << 14) : index; // signed 14-bit
    table[index] = v < 0 ? mulawCode(~v, true) : mulawCode(v, false);
  }
  return table;
}

/** Indexed by (sample >> 4) & 0x0fff, i.e. the 12-bit two's-complement value. */
function buildAlawEncode(): Uint8Array {
  const table = new Uint8Array(1 << 12);
  for (let index = 0; index < table.length; index++) {
    const v = index >= 1 << 11 ? index - (1 << 12) : index;
    table[index] = v < 0 ? alawCode(~v, true) : alawCode(v, false);
  }
  return table;
}

const MULAW_DECODE = buildMulawDecode();
const ALAW_DECODE = buildAlawDecode();
const MULAW_ENCODE = buildMulawEncode();
const ALAW_ENCODE = buildAlawEncode();

/** Reads of the decode tables, for tests and benchmarks (copies, so the originals stay intact). */
export function mulawDecodeTable(): Int16Array {
  return MULAW_DECODE.slice();
}
export function alawDecodeTable(): Int16Array {
  return ALAW_DECODE.slice();
}

export function mulawToLinear(code: number): number {
  return MULAW_DECODE[code & 0xff]!;
}
export function alawToLinear(code: number): number {
  return ALAW_DECODE[code & 0xff]!;
}
export function linearToMulaw(sample: number): number {
  return MULAW_ENCODE[(sample >> 2) & 0x3fff]!;
}
export function linearToAlaw(sample: number): number {
  return ALAW_ENCODE[(sample >> 4) & 0x0fff]!;
}

function checkRoom(what: string, have: number, need: number): void {
  if (have < need) throw new RangeError(`${what}: destination holds ${have} samples, ${need} needed`);
}

/** Below this many codes the table loop is cheaper than the two copies around the SIMD kernel. */
const SIMD_MIN_CODES = 32;
const SIMD = createG711SimdDecoder();

/** Decodes `src` into `dst[0..src.length)`; returns the number of samples written. Allocates nothing. */
export function decodeMulawInto(src: Uint8Array, dst: Int16Array): number {
  const n = src.length;
  checkRoom('decodeMulawInto', dst.length, n);
  if (SIMD !== undefined && n >= SIMD_MIN_CODES && n <= SIMD.maxCodes) {
    SIMD.mulaw(src, dst);
  } else {
    const table = MULAW_DECODE;
    for (let i = 0; i < n; i++) dst[i] = table[src[i]!]!;
  }
  return n;
}

export function decodeAlawInto(src: Uint8Array, dst: Int16Array): number {
  const n = src.length;
  checkRoom('decodeAlawInto', dst.length, n);
  if (SIMD !== undefined && n >= SIMD_MIN_CODES && n <= SIMD.maxCodes) {
    SIMD.alaw(src, dst);
  } else {
    const table = ALAW_DECODE;
    for (let i = 0; i < n; i++) dst[i] = table[src[i]!]!;
  }
  return n;
}

/** Below this many samples the table loop is cheaper than the two copies around the wasm encoder. */
const WASM_MIN_SAMPLES = 16;
const ENCODER = createG711WasmEncoder(MULAW_ENCODE, ALAW_ENCODE);

/** Encodes `src` into `dst[0..src.length)`; returns the number of bytes written. Allocates nothing. */
export function encodeMulawInto(src: Int16Array, dst: Uint8Array): number {
  const n = src.length;
  checkRoom('encodeMulawInto', dst.length, n);
  if (ENCODER !== undefined && n >= WASM_MIN_SAMPLES && n <= ENCODER.maxSamples) {
    ENCODER.mulaw(src, dst);
    return n;
  }
  const table = MULAW_ENCODE;
  for (let i = 0; i < n; i++) dst[i] = table[(src[i]! >> 2) & 0x3fff]!;
  return n;
}

export function encodeAlawInto(src: Int16Array, dst: Uint8Array): number {
  const n = src.length;
  checkRoom('encodeAlawInto', dst.length, n);
  if (ENCODER !== undefined && n >= WASM_MIN_SAMPLES && n <= ENCODER.maxSamples) {
    ENCODER.alaw(src, dst);
    return n;
  }
  const table = ALAW_ENCODE;
  for (let i = 0; i < n; i++) dst[i] = table[(src[i]! >> 4) & 0x0fff]!;
  return n;
}

/** The samples may share their ArrayBuffer with other arrays (see audio/sample-pool.ts). */
export function decodeMulaw(src: Uint8Array): Int16Array {
  const dst = allocSamples(src.length);
  decodeMulawInto(src, dst);
  return dst;
}

export function decodeAlaw(src: Uint8Array): Int16Array {
  const dst = allocSamples(src.length);
  decodeAlawInto(src, dst);
  return dst;
}

/** The bytes may share their ArrayBuffer with other arrays (see audio/sample-pool.ts). */
export function encodeMulaw(src: Int16Array): Uint8Array {
  const dst = allocBytes(src.length);
  encodeMulawInto(src, dst);
  return dst;
}

export function encodeAlaw(src: Int16Array): Uint8Array {
  const dst = allocBytes(src.length);
  encodeAlawInto(src, dst);
  return dst;
}
