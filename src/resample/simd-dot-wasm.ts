/**
 * A tiny WebAssembly module (219 bytes) with one function, written out here in the binary format
 * so the package needs no toolchain and downloads nothing:
 *
 *   (module
 *     (memory (export "memory") 1)
 *     (func (export "dot") (param $x i32) (param $h i32) (param $n i32) (result f32)
 *       (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $end i32)
 *       (local.set $end (i32.add (local.get $h) (i32.shl (local.get $n) (i32.const 2))))
 *       (loop $next                                    ;; 16 products per turn, n must be a multiple of 16
 *         (local.set $acc0 (f32x4.add (local.get $acc0)
 *           (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $h)))))
 *         … the same for $acc1, $acc2, $acc3 at offsets 16, 32, 48
 *         (local.set $x (i32.add (local.get $x) (i32.const 64)))
 *         (br_if $next (i32.lt_u (local.tee $h (i32.add (local.get $h) (i32.const 64))) (local.get $end))))
 *       (local.set $acc0 (f32x4.add (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1))
 *                                              (local.get $acc2)) (local.get $acc3)))
 *       lanes 0 + 1 + 2 + 3 of $acc0, added left to right))
 *
 * `dot(x, h, n)` is Σ x[i]·h[i] over n Float32 values at byte addresses x and h, summed in float32 in a
 * fixed order (sixteen running sums, lane k taking i ≡ k mod 16; four independent vector sums keep the
 * adder pipeline full). `dotReference` in fir-kernel.ts repeats that order in plain JavaScript with
 * Math.fround, and the tests check the two agree bit for bit. WebAssembly SIMD (fixed-width 128-bit)
 * is on by default in V8 since Node 16.4.
 */
import { BR_IF, EMPTY_BLOCK, END, I32, I32_ADD, I32_CONST, I32_LT_U, LOCAL_GET, LOCAL_SET, LOCAL_TEE, LOOP, V128, name, section, sleb, uleb } from '../wasm/wasm-encoding.js';

/** Taps per turn of the loop: filter lengths are rounded up to a multiple of this. */
export const DOT_LANES = 16;

// Opcodes (WebAssembly core spec §5.4, SIMD proposal opcode table).
const F32 = 0x7d;
const I32_SHL = 0x74;
const F32_ADD = 0x92;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V128_LOAD = (offset: number): number[] => [...simd(0x00), 0 /* align hint 2^0: x may be unaligned */, ...uleb(offset)];
const F32X4_EXTRACT_LANE = (lane: number): number[] => [...simd(0x1f), lane];
const F32X4_ADD = simd(0xe4);
const F32X4_MUL = simd(0xe6);

// Locals: 0 $x, 1 $h, 2 $n (params), 3–6 $acc0–$acc3 (v128, zero-initialised), 7 $end.
const X = 0;
const H = 1;
const N = 2;
const ACC = [3, 4, 5, 6] as const;
const ENDP = 7;
const STEP = DOT_LANES * 4; // bytes per turn

const accumulate = (acc: number, offset: number): number[] => [
  LOCAL_GET, acc,
  LOCAL_GET, X, ...V128_LOAD(offset),
  LOCAL_GET, H, ...V128_LOAD(offset),
  ...F32X4_MUL, ...F32X4_ADD,
  LOCAL_SET, acc,
];

const DOT_BODY: number[] = [
  2, 4, V128, 1, I32, // local declarations: 4 × v128, 1 × i32
  LOCAL_GET, H, LOCAL_GET, N, I32_CONST, ...sleb(2), I32_SHL, I32_ADD, LOCAL_SET, ENDP,
  LOOP, EMPTY_BLOCK,
  ...ACC.flatMap((acc, k) => accumulate(acc, 16 * k)),
  LOCAL_GET, X, I32_CONST, ...sleb(STEP), I32_ADD, LOCAL_SET, X,
  LOCAL_GET, H, I32_CONST, ...sleb(STEP), I32_ADD, LOCAL_TEE, H,
  LOCAL_GET, ENDP, I32_LT_U, BR_IF, 0,
  END,
  LOCAL_GET, ACC[0], LOCAL_GET, ACC[1], ...F32X4_ADD, LOCAL_GET, ACC[2], ...F32X4_ADD, LOCAL_GET, ACC[3], ...F32X4_ADD,
  LOCAL_TEE, ACC[0], ...F32X4_EXTRACT_LANE(0),
  LOCAL_GET, ACC[0], ...F32X4_EXTRACT_LANE(1), F32_ADD,
  LOCAL_GET, ACC[0], ...F32X4_EXTRACT_LANE(2), F32_ADD,
  LOCAL_GET, ACC[0], ...F32X4_EXTRACT_LANE(3), F32_ADD,
  END,
];

export const SIMD_DOT_WASM: Uint8Array<ArrayBuffer> = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  ...section(1, [1, 0x60, 3, I32, I32, I32, 1, F32]), // types: (i32 i32 i32) → f32
  ...section(3, [1, 0]), // functions: one, of type 0
  ...section(5, [1, 0x00, 1]), // memory: one, min 1 page, no max
  ...section(7, [2, ...name('dot'), 0x00, 0, ...name('memory'), 0x02, 0]), // exports
  ...section(10, [1, ...uleb(DOT_BODY.length), ...DOT_BODY]), // code
]);

export interface SimdDot {
  readonly memory: WebAssembly.Memory;
  readonly dot: (x: number, h: number, n: number) => number;
}

/** Instantiates the module, or returns undefined where WebAssembly or its SIMD is unavailable (e.g. --jitless). */
export function instantiateSimdDot(): SimdDot | undefined {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(SIMD_DOT_WASM)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(SIMD_DOT_WASM));
  const { memory, dot } = instance.exports as unknown as SimdDot;
  return { memory, dot };
}
