/**
 * G.711 encoding in WebAssembly: the same table lookup as g711.ts (the standard's quantiser, tabulated
 * once at load over the top bits of the sample), run as a small hand-written module instead of a
 * JavaScript loop. V8 spends ~30 instructions a sample on the JavaScript loop over Int16Array and
 * Uint8Array elements; the module ~7 (docs/media.md, "Per-frame cost"). Two functions,
 *
 *   (func (export "mulaw") (param $src i32) (param $n i32) (param $dst i32))
 *   (func (export "alaw")  (param $src i32) (param $n i32) (param $dst i32))
 *
 * read n PCM16 samples at byte address $src and write n codes at $dst, four per turn of the loop (n is
 * rounded up to a multiple of 4: the caller leaves room and ignores the extra codes):
 *
 *   code = table[(sample >> shift) & mask]   μ-law: shift 2, mask 0x3fff, table at MULAW_TABLE;
 *                                             A-law: shift 4, mask 0x0fff, table at ALAW_TABLE.
 *
 * The tables are copied in from g711.ts by the caller (G711WasmEncoder), so both paths give the same
 * codes by construction; test/codecs-g711-encode-wasm.test.ts checks every sample value.
 */
import { BR_IF, EMPTY_BLOCK, END, I32, I32_ADD, I32_CONST, I32_LT_U, LOCAL_GET, LOCAL_SET, LOCAL_TEE, LOOP, mulawAlawModule, sleb, uleb } from '../wasm/wasm-encoding.js';

/** Samples encoded per turn of the loop; the caller leaves room for n rounded up to this. */
export const G711_ENCODE_STEP = 4;
/** Byte addresses of the two tables in the module's memory (16384 and 4096 bytes). */
export const MULAW_TABLE = 0;
export const ALAW_TABLE = 16384;
/** First free byte after the tables. */
export const TABLES_END = 20480;

const I32_AND = 0x71;
const I32_SHR_S = 0x75;
const I32_LOAD8_U = (offset: number): number[] => [0x2d, 0, ...uleb(offset)];
const I32_LOAD16_S = (offset: number): number[] => [0x2e, 1, ...uleb(offset)];
const I32_STORE8 = (offset: number): number[] => [0x3a, 0, ...uleb(offset)];

// locals: 0 $src, 1 $n, 2 $dst; 3 $end.
function body(table: number, shift: number, mask: number): number[] {
  const [SRC, N, DST, ENDP] = [0, 1, 2, 3];
  const one = (k: number): number[] => [
    LOCAL_GET, DST,
    LOCAL_GET, SRC, ...I32_LOAD16_S(2 * k), I32_CONST, ...sleb(shift), I32_SHR_S, I32_CONST, ...sleb(mask), I32_AND,
    ...I32_LOAD8_U(table),
    ...I32_STORE8(k),
  ];
  return [
    1, 1, I32,
    LOCAL_GET, DST, LOCAL_GET, N, I32_ADD, LOCAL_SET, ENDP,
    LOOP, EMPTY_BLOCK,
    ...Array.from({ length: G711_ENCODE_STEP }, (_, k) => one(k)).flat(),
    LOCAL_GET, SRC, I32_CONST, ...sleb(2 * G711_ENCODE_STEP), I32_ADD, LOCAL_SET, SRC,
    LOCAL_GET, DST, I32_CONST, ...sleb(G711_ENCODE_STEP), I32_ADD, LOCAL_TEE, DST, LOCAL_GET, ENDP, I32_LT_U, BR_IF, 0,
    END,
    END,
  ];
}

const MULAW_BODY = body(MULAW_TABLE, 2, 0x3fff);
const ALAW_BODY = body(ALAW_TABLE, 4, 0x0fff);

export const G711_ENCODE_WASM: Uint8Array<ArrayBuffer> = mulawAlawModule(MULAW_BODY, ALAW_BODY);

export interface G711EncodeExports {
  readonly memory: WebAssembly.Memory;
  /** n ≥ 1 (a do-while loop: n = 0 would still encode one turn). */
  readonly mulaw: (src: number, n: number, dst: number) => void;
  readonly alaw: (src: number, n: number, dst: number) => void;
}

/** Instantiates the module, or undefined where WebAssembly is unavailable (e.g. --jitless). */
export function instantiateG711Encode(): G711EncodeExports | undefined {
  if (typeof WebAssembly !== 'object' || !WebAssembly.validate(G711_ENCODE_WASM)) return undefined;
  const instance = new WebAssembly.Instance(new WebAssembly.Module(G711_ENCODE_WASM));
  const { memory, mulaw, alaw } = instance.exports as unknown as G711EncodeExports;
  return { memory, mulaw, alaw };
}
