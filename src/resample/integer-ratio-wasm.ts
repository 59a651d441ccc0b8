/**
 * The live and telephone tiers' WebAssembly SIMD kernel (docs/resampler.md): a small module written out
 * here in the binary format, like simd-dot-wasm.ts, so nothing is compiled or downloaded. Three
 * functions, all on byte addresses in the module's own memory:
 *
 *   fir(x, h, n, y, count, acc)   y[i] (+)= Σ_{k<n} h[k]·x[i+k]   for i < count
 *   split2(src, groups, d0, d1)   d0[j] = src[2j], d1[j] = src[2j+1]   for j < groups
 *   toI16(src, n, dst)            dst[i] = saturate16(roundHalfEven(src[i]))   for i < n
 *   firSym(x, h, half, y, count, acc)   fir of a symmetric even-length filter from its first half:
 *                                 y[i] (+)= Σ_{k<half} h[k]·(x[i+k] + x[i+2·half−1−k])  (half the multiplies)
 *   interleave2(p0, p1, n, dst)   dst[2i] = toI16(p0[i]), dst[2i+1] = toI16(p1[i])   for i < n (1:2 output)
 *   split2I16(src, groups, d0, d1)   split2 from PCM16 samples (converted to f32 on the way: exact)
 *
 * `fir` is vectorised across outputs rather than across taps: each turn of its outer loop computes 16
 * consecutive outputs in four f32x4 accumulators, the inner loop multiplying one coefficient (splat)
 * with four unaligned loads of the signal. Every lane is then a plain left-to-right sum over k in
 * float32 — the order `firReference` in integer-ratio-kernel.ts repeats with Math.fround, bit for bit —
 * and no horizontal reduction is needed. With acc ≠ 0 the sums start from y (to add several branches
 * of a polyphase filter into one output). `count` is rounded up to 16, `groups` to 4 and `n` to 8: the
 * caller leaves room after each array and ignores the extra values.
 *
 *   (func (export "fir") (param $x i32) (param $h i32) (param $n i32) (param $y i32) (param $count i32) (param $acc i32)
 *     $yend = $y + 4·$count;  $hend = $h + 4·$n
 *     (block (loop                                         ;; 16 outputs per turn
 *       (br_if 1 ($y ≥u $yend))
 *       (if $acc (then $a0..$a3 = v128.load $y +0/16/32/48) (else $a0..$a3 = 0))
 *       $xp = $x;  $hp = $h
 *       (loop                                               ;; one tap per turn
 *         $hv = v128.load32_splat $hp
 *         $aj = f32x4.add($aj, f32x4.mul($hv, v128.load $xp + 16j))   for j = 0..3
 *         $xp += 4;  (br_if 0 (($hp += 4) <u $hend)))
 *       v128.store $y + 16j, $aj   for j = 0..3
 *       $y += 64;  $x += 64;  (br 0)))
 *
 *   split2: per turn two v128 loads (8 samples) and two i8x16.shuffle (even lanes, odd lanes) stores.
 *   toI16: per turn two v128 loads, f32x4.nearest, i32x4.trunc_sat_f32x4_s, i16x8.narrow_i32x4_s
 *          (saturating), one v128 store of 8 samples.
 */
import { BR_IF, EMPTY_BLOCK, END, I32, I32_ADD, I32_CONST, I32_LT_U, LOCAL_GET, LOCAL_SET, LOCAL_TEE, LOOP, V128, name, section, sleb, uleb } from '../wasm/wasm-encoding.js';

/** Outputs per turn of `fir`'s outer loop: the caller leaves room for count rounded up to this. */
export const FIR_STEP = 16;

const BLOCK = 0x02;
const IF = 0x04;
const ELSE = 0x05;
const BR = 0x0c;
const I32_SHL = 0x74;
const I32_GE_U = 0x4f;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = (offset: number): number[] => [...simd(0x00), 0, ...uleb(offset)];
const V128_LOAD32_SPLAT_AT = (offset: number): number[] => [...simd(0x09), 2, ...uleb(offset)];
const V128_STORE = (offset: number): number[] => [...simd(0x0b), 0, ...uleb(offset)];
const V128_ZERO = [...simd(0x0c), ...new Array<number>(16).fill(0)];
const I8X16_SHUFFLE = (lanes: readonly number[]): number[] => [...simd(0x0d), ...lanes];
const F32X4_NEAREST = simd(0x6a);
const I16X8_NARROW_I32X4_S = simd(0x85);
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);
const I32X4_TRUNC_SAT_F32X4_S = simd(0xf8);
const I32X4_EXTEND_LOW_I16X8_S = simd(0xa7);
const I32X4_EXTEND_HIGH_I16X8_S = simd(0xa8);
const F32X4_CONVERT_I32X4_S = simd(0xfa);

const addTo = (local: number, bytes: number): number[] => [LOCAL_GET, local, I32_CONST, ...sleb(bytes), I32_ADD, LOCAL_SET, local];
/** $end = $base + ($count << shift) */
const endOf = (end: number, base: number, count: number, shift: number): number[] => [LOCAL_GET, base, LOCAL_GET, count, I32_CONST, ...sleb(shift), I32_SHL, I32_ADD, LOCAL_SET, end];

// fir locals: 0 $x, 1 $h, 2 $n, 3 $y, 4 $count, 5 $acc; 6… $a0…$a(ACCS−1), then $hv (v128); then $yend, $xp, $hp, $hend.
export function firBody(accs: number, unroll: number): number[] {
  const [X, H, N, Y, COUNT, ACC] = [0, 1, 2, 3, 4, 5];
  const A = Array.from({ length: accs }, (_, j) => 6 + j);
  const HV = 6 + accs;
  const [YEND, XP, HP, HEND] = [HV + 1, HV + 2, HV + 3, HV + 4];
  const tap = (u: number): number[] => [
    LOCAL_GET, HP, ...V128_LOAD32_SPLAT_AT(4 * u), LOCAL_SET, HV,
    ...A.flatMap((a, j) => [LOCAL_GET, a, LOCAL_GET, HV, LOCAL_GET, XP, ...V128_LOAD(16 * j + 4 * u), ...F32X4_MUL, ...F32X4_ADD, LOCAL_SET, a]),
  ];
  return [
    2, accs + 1, V128, 4, I32,
    ...endOf(YEND, Y, COUNT, 2),
    ...endOf(HEND, H, N, 2),
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, Y, LOCAL_GET, YEND, I32_GE_U, BR_IF, 1,
    LOCAL_GET, ACC, IF, EMPTY_BLOCK,
    ...A.flatMap((a, j) => [LOCAL_GET, Y, ...V128_LOAD(16 * j), LOCAL_SET, a]),
    ELSE,
    ...A.flatMap((a) => [...V128_ZERO, LOCAL_SET, a]),
    END,
    LOCAL_GET, X, LOCAL_SET, XP,
    LOCAL_GET, H, LOCAL_SET, HP,
    LOOP, EMPTY_BLOCK,
    ...Array.from({ length: unroll }, (_, u) => tap(u)).flat(),
    ...addTo(XP, 4 * unroll),
    LOCAL_GET, HP, I32_CONST, ...sleb(4 * unroll), I32_ADD, LOCAL_TEE, HP, LOCAL_GET, HEND, I32_LT_U, BR_IF, 0,
    END,
    ...A.flatMap((a, j) => [LOCAL_GET, Y, LOCAL_GET, a, ...V128_STORE(16 * j)]),
    ...addTo(Y, 16 * accs),
    ...addTo(X, 16 * accs),
    BR, 0,
    END,
    END,
    END,
  ];
}
const FIR_BODY = firBody(FIR_STEP / 4, 1);

/** Outputs per turn of `firSym`'s outer loop (four accumulators; eight spill registers in V8's code and cost 2× the instructions): the caller leaves room for count rounded up to this. */
export const FIR_SYM_STEP = 16;

// firSym locals: 0 $x, 1 $h, 2 $half, 3 $y, 4 $count, 5 $acc; 6… $a0…$a(ACCS−1), then $hv (v128); then $yend, $xp, $xq, $hp, $hend.
export function firSymBody(accs: number): number[] {
  const [X, H, HALF, Y, COUNT, ACC] = [0, 1, 2, 3, 4, 5];
  const A = Array.from({ length: accs }, (_, j) => 6 + j);
  const HV = 6 + accs;
  const [YEND, XP, XQ, HP, HEND] = [HV + 1, HV + 2, HV + 3, HV + 4, HV + 5];
  return [
    2, accs + 1, V128, 5, I32,
    ...endOf(YEND, Y, COUNT, 2),
    ...endOf(HEND, H, HALF, 2),
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, Y, LOCAL_GET, YEND, I32_GE_U, BR_IF, 1,
    LOCAL_GET, ACC, IF, EMPTY_BLOCK,
    ...A.flatMap((a, j) => [LOCAL_GET, Y, ...V128_LOAD(16 * j), LOCAL_SET, a]),
    ELSE,
    ...A.flatMap((a) => [...V128_ZERO, LOCAL_SET, a]),
    END,
    LOCAL_GET, X, LOCAL_SET, XP,
    // $xq = $x + 4·(2·$half − 1): the mirror tap of tap 0
    LOCAL_GET, X, LOCAL_GET, HALF, I32_CONST, ...sleb(3), I32_SHL, I32_ADD, I32_CONST, ...sleb(-4), I32_ADD, LOCAL_SET, XQ,
    LOCAL_GET, H, LOCAL_SET, HP,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, HP, ...V128_LOAD32_SPLAT_AT(0), LOCAL_SET, HV,
    ...A.flatMap((a, j) => [
      LOCAL_GET, a, LOCAL_GET, HV,
      LOCAL_GET, XP, ...V128_LOAD(16 * j), LOCAL_GET, XQ, ...V128_LOAD(16 * j), ...F32X4_ADD,
      ...F32X4_MUL, ...F32X4_ADD, LOCAL_SET, a,
    ]),
    ...addTo(XP, 4),
    ...addTo(XQ, -4),
    LOCAL_GET, HP, I32_CONST, ...sleb(4), I32_ADD, LOCAL_TEE, HP, LOCAL_GET, HEND, I32_LT_U, BR_IF, 0,
    END,
    ...A.flatMap((a, j) => [LOCAL_GET, Y, LOCAL_GET, a, ...V128_STORE(16 * j)]),
    ...addTo(Y, 16 * accs),
    ...addTo(X, 16 * accs),
    BR, 0,
    END,
    END,
    END,
  ];
}
const FIR_SYM_BODY = firSymBody(FIR_SYM_STEP / 4);

// split2 locals: 0 $src, 1 $groups, 2 $d0, 3 $d1; 4 $a, 5 $b (v128); 6 $end.
const SPLIT2_BODY: number[] = (() => {
  const [SRC, GROUPS, D0, D1, VA, VB, ENDP] = [0, 1, 2, 3, 4, 5, 6];
  const lanes = (first: number): number[] => [first, first + 8, first + 16, first + 24].flatMap((f) => [f, f + 1, f + 2, f + 3]);
  return [
    2, 2, V128, 1, I32,
    ...endOf(ENDP, D0, GROUPS, 2),
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, D0, LOCAL_GET, ENDP, I32_GE_U, BR_IF, 1,
    LOCAL_GET, SRC, ...V128_LOAD(0), LOCAL_SET, VA,
    LOCAL_GET, SRC, ...V128_LOAD(16), LOCAL_SET, VB,
    LOCAL_GET, D0, LOCAL_GET, VA, LOCAL_GET, VB, ...I8X16_SHUFFLE(lanes(0)), ...V128_STORE(0),
    LOCAL_GET, D1, LOCAL_GET, VA, LOCAL_GET, VB, ...I8X16_SHUFFLE(lanes(4)), ...V128_STORE(0),
    ...addTo(SRC, 32),
    ...addTo(D0, 16),
    ...addTo(D1, 16),
    BR, 0,
    END,
    END,
    END,
  ];
})();

// split2I16 locals: 0 $src, 1 $groups, 2 $d0, 3 $d1; 4 $a, 5 $b, 6 $v (v128); 7 $end.
// Per turn 8 PCM16 samples: sign-extended to i32 and converted to f32 (exact), then dealt out as split2 does.
const SPLIT2_I16_BODY: number[] = (() => {
  const [SRC, GROUPS, D0, D1, VA, VB, VV, ENDP] = [0, 1, 2, 3, 4, 5, 6, 7];
  const lanes = (first: number): number[] => [first, first + 8, first + 16, first + 24].flatMap((f) => [f, f + 1, f + 2, f + 3]);
  return [
    2, 3, V128, 1, I32,
    ...endOf(ENDP, D0, GROUPS, 2),
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, D0, LOCAL_GET, ENDP, I32_GE_U, BR_IF, 1,
    LOCAL_GET, SRC, ...V128_LOAD(0), LOCAL_SET, VV,
    LOCAL_GET, VV, ...I32X4_EXTEND_LOW_I16X8_S, ...F32X4_CONVERT_I32X4_S, LOCAL_SET, VA,
    LOCAL_GET, VV, ...I32X4_EXTEND_HIGH_I16X8_S, ...F32X4_CONVERT_I32X4_S, LOCAL_SET, VB,
    LOCAL_GET, D0, LOCAL_GET, VA, LOCAL_GET, VB, ...I8X16_SHUFFLE(lanes(0)), ...V128_STORE(0),
    LOCAL_GET, D1, LOCAL_GET, VA, LOCAL_GET, VB, ...I8X16_SHUFFLE(lanes(4)), ...V128_STORE(0),
    ...addTo(SRC, 16),
    ...addTo(D0, 16),
    ...addTo(D1, 16),
    BR, 0,
    END,
    END,
    END,
  ];
})();

// toI16 locals: 0 $src, 1 $n, 2 $dst; 3 $end.
const TO_I16_BODY: number[] = (() => {
  const [SRC, N, DST, ENDP] = [0, 1, 2, 3];
  const convert = (offset: number): number[] => [LOCAL_GET, SRC, ...V128_LOAD(offset), ...F32X4_NEAREST, ...I32X4_TRUNC_SAT_F32X4_S];
  return [
    1, 1, I32,
    ...endOf(ENDP, DST, N, 1),
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, DST, LOCAL_GET, ENDP, I32_GE_U, BR_IF, 1,
    LOCAL_GET, DST, ...convert(0), ...convert(16), ...I16X8_NARROW_I32X4_S, ...V128_STORE(0),
    ...addTo(SRC, 32),
    ...addTo(DST, 16),
    BR, 0,
    END,
    END,
    END,
  ];
})();

// interleave2 locals: 0 $p0, 1 $p1, 2 $n, 3 $dst; 4 $a, 5 $b (v128); 6 $end.
// Per turn 8 outputs of each phase, rounded and narrowed as in toI16, then interleaved a0 b0 a1 b1 …
const INTERLEAVE2_BODY: number[] = (() => {
  const [P0, P1, N, DST, VA, VB, ENDP] = [0, 1, 2, 3, 4, 5, 6];
  const convert = (src: number, offset: number): number[] => [LOCAL_GET, src, ...V128_LOAD(offset), ...F32X4_NEAREST, ...I32X4_TRUNC_SAT_F32X4_S];
  const lanes = (from: number): number[] => [0, 1, 2, 3].flatMap((i) => [2 * (from + i), 2 * (from + i) + 1, 16 + 2 * (from + i), 17 + 2 * (from + i)]);
  return [
    2, 2, V128, 1, I32,
    ...endOf(ENDP, DST, N, 2), // n outputs per phase: 2n int16 = 4n bytes
    BLOCK, EMPTY_BLOCK,
    LOOP, EMPTY_BLOCK,
    LOCAL_GET, DST, LOCAL_GET, ENDP, I32_GE_U, BR_IF, 1,
    ...convert(P0, 0), ...convert(P0, 16), ...I16X8_NARROW_I32X4_S, LOCAL_SET, VA,
    ...convert(P1, 0), ...convert(P1, 16), ...I16X8_NARROW_I32X4_S, LOCAL_SET, VB,
    LOCAL_GET, DST, LOCAL_GET, VA, LOCAL_GET, VB, ...I8X16_SHUFFLE(lanes(0)), ...V128_STORE(0),
    LOCAL_GET, DST, LOCAL_GET, VA, LOCAL_GET, VB, ...I8X16_SHUFFLE(lanes(4)), ...V128_STORE(16),
    ...addTo(P0, 32),
    ...addTo(P1, 32),
    ...addTo(DST, 32),
    BR, 0,
    END,
    END,
    END,
  ];
})();

const code = (body: number[]): number[] => [...uleb(body.length), ...body];

export const moduleBytes = (fir: number[], firSym: number[] = FIR_SYM_BODY): Uint8Array<ArrayBuffer> => new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  // types: 0 = (i32 ×6) → (), 1 = (i32 ×4) → (), 2 = (i32 ×3) → ()
  ...section(1, [3, 0x60, 6, I32, I32, I32, I32, I32, I32, 0, 0x60, 4, I32, I32, I32, I32, 0, 0x60, 3, I32, I32, I32, 0]),
  ...section(3, [6, 0, 1, 2, 0, 1, 1]), // functions
  ...section(5, [1, 0x00, 1]), // memory: one, min 1 page
  ...section(7, [7, ...name('memory'), 0x02, 0, ...name('fir'), 0x00, 0, ...name('split2'), 0x00, 1, ...name('toI16'), 0x00, 2, ...name('firSym'), 0x00, 3, ...name('interleave2'), 0x00, 4, ...name('split2I16'), 0x00, 5]),
  ...section(10, [6, ...code(fir), ...code(SPLIT2_BODY), ...code(TO_I16_BODY), ...code(firSym), ...code(INTERLEAVE2_BODY), ...code(SPLIT2_I16_BODY)]),
]);

export const INTEGER_RATIO_WASM = moduleBytes(FIR_BODY);

export interface IntegerRatioWasm {
  readonly memory: WebAssembly.Memory;
  readonly fir: (x: number, h: number, n: number, y: number, count: number, acc: number) => void;
  readonly split2: (src: number, groups: number, d0: number, d1: number) => void;
  readonly toI16: (src: number, n: number, dst: number) => void;
  readonly firSym: (x: number, h: number, half: number, y: number, count: number, acc: number) => void;
  readonly interleave2: (p0: number, p1: number, n: number, dst: number) => void;
  readonly split2I16: (src: number, groups: number, d0: number, d1: number) => void;
}

/** Instantiates the module, or returns undefined where WebAssembly or its SIMD is unavailable. */
export function instantiateIntegerRatioWasm(): IntegerRatioWasm | undefined {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(INTEGER_RATIO_WASM)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(INTEGER_RATIO_WASM));
  const { memory, fir, split2, toI16, firSym, interleave2, split2I16 } = instance.exports as unknown as IntegerRatioWasm;
  return { memory, fir, split2, toI16, firSym, interleave2, split2I16 };
}
