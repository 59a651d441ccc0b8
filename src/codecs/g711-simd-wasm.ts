/**
 * G.711 decoding in WebAssembly SIMD: a small module written out here in the binary format (no
 * toolchain, nothing downloaded), with two functions of the same shape,
 *
 *   (func (export "mulaw") (param $in i32) (param $out i32) (param $n i32))
 *   (func (export "alaw")  (param $in i32) (param $out i32) (param $n i32))
 *
 * that read n G.711 codes at byte address $in and write n PCM16 samples at $out, 32 codes per turn of
 * the loop (n is rounded up to a multiple of 32: the caller leaves room, and ignores the extra samples).
 * No table is looked up in memory; per 16 codes c (one v128) the sample is computed:
 *
 *   μ-law (u = ~c):   e = (u >> 4) & 7, m = u & 15, |x| = ((8m + 0x84) << e) − 0x84, x < 0 when c < 0x80
 *   A-law (a = c ^ 0x55): s = (a >> 4) & 7, i = a & 15,
 *                     |x| = 8·(2i + 1) for s = 0, 8·((2i + 33) << (s − 1)) otherwise, x < 0 when c < 0x80
 *
 * Both are t·p − bias with t < 256 and p a power of two ≤ 128, so one unsigned 8×8→16-bit multiply
 * (i16x8.extmul_{low,high}_i8x16_u) makes each magnitude exactly:
 *
 *   μ-law: t = 8m + 0x84 = ((c << 3) & 0x78) ^ 0xfc, p = 2^e, bias 0x84
 *   A-law: t = 8i + b = ((c << 3) & 0x78) ^ 0x28 ^ b, p = 2 (s = 0) or 2^s, b = 4 (s = 0) or 0x84, bias 0
 *
 * (0x84 and 4 have no bits under the mask 0x78, so adding them is an exclusive or.) p, and A-law's
 * 0x28 ^ b, depend only on c >> 4, so `i8x16.swizzle` looks them up in 16-byte constants. The shift
 * `c << 3` is done in 16-bit lanes (bits carried in from the neighbouring byte fall outside 0x78).
 * The sign is applied as (x ^ s) − s with s = −1 where c < 0x80 (i8x16.gt_s(c, −1), sign-extended).
 *
 * The results equal the 256-entry tables in g711.ts code for code; `test/codecs-g711-wasm.test.ts`
 * checks every code at many lengths and offsets. WebAssembly SIMD is on by default in V8 since Node 16.4;
 * where it is missing (e.g. --jitless) `instantiateG711Simd` returns undefined and g711.ts uses its tables.
 */
import { BR_IF, EMPTY_BLOCK, END, I32, I32_ADD, I32_CONST, I32_LT_U, LOCAL_GET, LOCAL_SET, LOCAL_TEE, LOOP, V128, mulawAlawModule, sleb, uleb } from '../wasm/wasm-encoding.js';

/** Codes decoded per turn of the loop; the caller leaves room for n rounded up to this. */
export const G711_SIMD_STEP = 32;

// Opcodes (WebAssembly core spec, binary format; SIMD instructions are 0xfd + LEB128 opcode).
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = (offset: number): number[] => [...simd(0x00), 0 /* align 2^0: any address */, ...uleb(offset)];
const V128_STORE = (offset: number): number[] => [...simd(0x0b), 0, ...uleb(offset)];
const V128_CONST = (bytes: readonly number[]): number[] => [...simd(0x0c), ...bytes];
const I8X16_SWIZZLE = simd(0x0e);
const I8X16_GT_S = simd(0x27);
const V128_AND = simd(0x4e);
const V128_XOR = simd(0x51);
const I16X8_EXTEND_LOW_I8X16_S = simd(0x87);
const I16X8_EXTEND_HIGH_I8X16_S = simd(0x88);
const I16X8_SHL = simd(0x8b);
const I16X8_SHR_U = simd(0x8d);
const I16X8_SUB = simd(0x91);
const I16X8_EXTMUL_LOW_I8X16_U = simd(0x9e);
const I16X8_EXTMUL_HIGH_I8X16_U = simd(0x9f);

const splat8 = (byte: number): number[] => new Array<number>(16).fill(byte & 0xff);
const splat16 = (value: number): number[] => Array.from({ length: 16 }, (_, i) => (i & 1 ? value >> 8 : value) & 0xff);

/** One law's constants, each a function of the code's top nibble h = c >> 4 (0..15). */
interface LawConstants {
  /** t ^ ((c << 3) & 0x78), per h (a single value: the same for all h). */
  readonly tXor: readonly number[] | number;
  /** The power of two p, per h. */
  readonly power: readonly number[];
  /** Subtracted from t·p before the sign is applied (0: none). */
  readonly bias: number;
}

const MULAW: LawConstants = {
  tXor: 0xfc,
  power: Array.from({ length: 16 }, (_, h) => 1 << (7 - (h & 7))), // e = 7 − (h & 7)
  bias: 0x84,
};

const ALAW: LawConstants = {
  tXor: Array.from({ length: 16 }, (_, h) => 0x28 ^ (((h ^ 5) & 7) === 0 ? 4 : 0x84)), // s = (h ^ 5) & 7
  power: Array.from({ length: 16 }, (_, h) => {
    const s = (h ^ 5) & 7;
    return s === 0 ? 2 : 1 << s;
  }),
  bias: 0,
};

// Locals: 0 $in, 1 $out, 2 $n (params), 3 $end (i32); v128: 4 c, 5 h, 6 t, 7 p, 8 s, 9 x, 10 sHalf,
// 11–16 constants (0x0f, 0x78, tXor, power, −1, bias).
const IN = 0;
const OUT = 1;
const N = 2;
const ENDP = 3;
const [C, H, T, P, S, X, S_HALF] = [4, 5, 6, 7, 8, 9, 10] as const;
const [K_0F, K_78, K_TXOR, K_POWER, K_MINUS1, K_BIAS] = [11, 12, 13, 14, 15, 16] as const;

function decodeBody(law: LawConstants): number[] {
  const half = (extmul: number[], extend: number[], offset: number): number[] => [
    LOCAL_GET, T, LOCAL_GET, P, ...extmul, // t·p, exact in 16 bits
    ...(law.bias !== 0 ? [LOCAL_GET, K_BIAS, ...I16X8_SUB] : []),
    LOCAL_GET, S, ...extend, LOCAL_TEE, S_HALF, ...V128_XOR, LOCAL_GET, S_HALF, ...I16X8_SUB, LOCAL_SET, X,
    LOCAL_GET, OUT, LOCAL_GET, X, ...V128_STORE(offset),
  ];
  const sixteen = (k: number): number[] => [
    LOCAL_GET, IN, ...V128_LOAD(16 * k), LOCAL_TEE, C,
    I32_CONST, ...sleb(4), ...I16X8_SHR_U, LOCAL_GET, K_0F, ...V128_AND, LOCAL_SET, H, // h = c >> 4
    LOCAL_GET, C, I32_CONST, ...sleb(3), ...I16X8_SHL, LOCAL_GET, K_78, ...V128_AND,
    LOCAL_GET, K_TXOR, ...(typeof law.tXor === 'number' ? [] : [LOCAL_GET, H, ...I8X16_SWIZZLE]), ...V128_XOR, LOCAL_SET, T,
    LOCAL_GET, K_POWER, LOCAL_GET, H, ...I8X16_SWIZZLE, LOCAL_SET, P,
    LOCAL_GET, C, LOCAL_GET, K_MINUS1, ...I8X16_GT_S, LOCAL_SET, S, // −1 where c < 0x80
    ...half(I16X8_EXTMUL_LOW_I8X16_U, I16X8_EXTEND_LOW_I8X16_S, 32 * k),
    ...half(I16X8_EXTMUL_HIGH_I8X16_U, I16X8_EXTEND_HIGH_I8X16_S, 32 * k + 16),
  ];
  const tXor = typeof law.tXor === 'number' ? splat8(law.tXor) : law.tXor;
  return [
    2, 1, I32, 13, V128, // local declarations: 1 × i32, 13 × v128
    LOCAL_GET, IN, LOCAL_GET, N, I32_ADD, LOCAL_SET, ENDP,
    ...V128_CONST(splat8(0x0f)), LOCAL_SET, K_0F,
    ...V128_CONST(splat8(0x78)), LOCAL_SET, K_78,
    ...V128_CONST(tXor), LOCAL_SET, K_TXOR,
    ...V128_CONST(law.power), LOCAL_SET, K_POWER,
    ...V128_CONST(splat8(0xff)), LOCAL_SET, K_MINUS1,
    ...V128_CONST(splat16(law.bias)), LOCAL_SET, K_BIAS,
    LOOP, EMPTY_BLOCK,
    ...sixteen(0),
    ...sixteen(1),
    LOCAL_GET, OUT, I32_CONST, ...sleb(2 * G711_SIMD_STEP), I32_ADD, LOCAL_SET, OUT,
    LOCAL_GET, IN, I32_CONST, ...sleb(G711_SIMD_STEP), I32_ADD, LOCAL_TEE, IN,
    LOCAL_GET, ENDP, I32_LT_U, BR_IF, 0,
    END,
    END,
  ];
}

const MULAW_BODY = decodeBody(MULAW);
const ALAW_BODY = decodeBody(ALAW);

export const G711_SIMD_WASM: Uint8Array<ArrayBuffer> = mulawAlawModule(MULAW_BODY, ALAW_BODY);

export interface G711SimdExports {
  readonly memory: WebAssembly.Memory;
  readonly mulaw: (input: number, output: number, n: number) => void;
  readonly alaw: (input: number, output: number, n: number) => void;
}

/** A fresh instance, or undefined where WebAssembly or its SIMD is unavailable. */
export function instantiateG711Simd(): G711SimdExports | undefined {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(G711_SIMD_WASM)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(G711_SIMD_WASM));
  const { memory, mulaw, alaw } = instance.exports as unknown as G711SimdExports;
  return { memory, mulaw, alaw };
}
