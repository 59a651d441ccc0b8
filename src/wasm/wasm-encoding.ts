/**
 * Byte encodings for the small WebAssembly modules wavegate writes by hand (the resampler's SIMD dot
 * product, the G.711 SIMD decoder): LEB128 integers, sections and names (WebAssembly core spec §5).
 */

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return out;
}

/** Signed LEB128, for i32.const immediates. */
export function sleb(value: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

/** A module section: id, body length, body. */
export const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

/** A length-prefixed ASCII name (exports). */
export const name = (text: string): number[] => [...uleb(text.length), ...Array.from(text, (c) => c.charCodeAt(0))];

// Core opcodes and types both modules use (WebAssembly core spec §5.3–5.4).
export const I32 = 0x7f;
export const V128 = 0x7b;
export const LOCAL_GET = 0x20;
export const LOCAL_SET = 0x21;
export const LOCAL_TEE = 0x22;
export const I32_CONST = 0x41;
export const I32_ADD = 0x6a;
export const I32_LT_U = 0x49;
export const LOOP = 0x03;
export const EMPTY_BLOCK = 0x40;
export const BR_IF = 0x0d;
export const END = 0x0b;

/**
 * A whole module of two functions of type (i32 i32 i32) → (), exported as `mulaw` and `alaw`, and one
 * exported memory of at least one page: the shape both G.711 modules have (docs/media.md, "G.711 μ-law and A-law").
 */
export function mulawAlawModule(mulawBody: number[], alawBody: number[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, 0x60, 3, I32, I32, I32, 0]), // types: (i32 i32 i32) → ()
    ...section(3, [2, 0, 0]), // functions: two, both of type 0
    ...section(5, [1, 0x00, 1]), // memory: one, min 1 page, no max
    ...section(7, [3, ...name('mulaw'), 0x00, 0, ...name('alaw'), 0x00, 1, ...name('memory'), 0x02, 0]), // exports
    ...section(10, [2, ...uleb(mulawBody.length), ...mulawBody, ...uleb(alawBody.length), ...alawBody]), // code
  ]);
}
