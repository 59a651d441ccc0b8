// The WebAssembly SIMD G.711 decoder against the 256-entry tables (which test/codecs-g711.test.ts
// checks against ITU-T G.711 and sox), and the table fallback where WebAssembly is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { alawDecodeTable, decodeAlaw, decodeAlawInto, decodeMulaw, decodeMulawInto, mulawDecodeTable } from '../src/codecs/g711.js';
import { createG711SimdDecoder, G711SimdDecoder } from '../src/codecs/g711-simd-decoder.js';
import { G711_SIMD_STEP, G711_SIMD_WASM, instantiateG711Simd } from '../src/codecs/g711-simd-wasm.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const LAWS = [
  { law: 'mulaw', table: mulawDecodeTable(), run: (d: G711SimdDecoder, s: Uint8Array, o: Int16Array) => d.mulaw(s, o) },
  { law: 'alaw', table: alawDecodeTable(), run: (d: G711SimdDecoder, s: Uint8Array, o: Int16Array) => d.alaw(s, o) },
] as const;

function simd(): G711SimdDecoder {
  const decoder = createG711SimdDecoder();
  if (decoder === undefined) throw new Error('WebAssembly SIMD is unavailable in this Node; it is on by default since Node 16.4');
  return decoder;
}

/** Index of the first sample that differs from the table, or -1. */
function firstMismatch(table: Int16Array, src: Uint8Array, out: Int16Array): number {
  for (let i = 0; i < src.length; i++) if (out[i] !== table[src[i]!]) return i;
  return -1;
}

describe('G.711 SIMD kernels', () => {
  it('validate and instantiate here (CI must not silently fall back to the tables)', () => {
    expect(WebAssembly.validate(G711_SIMD_WASM)).toBe(true);
    expect(instantiateG711Simd()).toBeDefined();
  });

  it('decode every code to the table value, at every position within a turn of the loop', () => {
    const decoder = simd();
    for (const { law, table, run } of LAWS) {
      for (let shift = 0; shift < G711_SIMD_STEP; shift++) {
        const src = Uint8Array.from({ length: 256 + shift }, (_, i) => (i + 256 - shift) & 0xff);
        const out = new Int16Array(src.length);
        run(decoder, src, out);
        expect(firstMismatch(table, src, out), `${law}, shift ${shift}`).toBe(-1);
      }
    }
  });

  it('write exactly n samples for every length 1..200 and leave the rest of the destination alone', () => {
    const decoder = simd();
    for (const { law, table, run } of LAWS) {
      for (let n = 1; n <= 200; n++) {
        const src = Uint8Array.from({ length: n }, (_, i) => (i * 97 + n) & 0xff);
        const backing = new Int16Array(n + 40).fill(12345);
        const out = backing.subarray(3, 3 + n);
        run(decoder, src, out);
        expect(firstMismatch(table, src, out), `${law}, n ${n}`).toBe(-1);
        expect(backing.subarray(0, 3).every((v) => v === 12345) && backing.subarray(3 + n).every((v) => v === 12345), `${law}, n ${n}`).toBe(true);
      }
    }
  });

  it('take sources and destinations at any offset in shared buffers, and alternating lengths', () => {
    const decoder = simd();
    const bytes = new Uint8Array(2048).map((_, i) => (i * 131 + 7) & 0xff);
    const samples = new Int16Array(2048);
    for (const { law, table, run } of LAWS) {
      for (let k = 0; k < 150; k++) {
        const n = k % 3 === 0 ? 160 : 33 + ((k * 7) % 50); // 50 lengths: more than the view cache holds
        const src = bytes.subarray(k * 5, k * 5 + n);
        const out = samples.subarray(k * 3, k * 3 + n);
        run(decoder, src, out);
        expect(firstMismatch(table, src, out), `${law}, k ${k}`).toBe(-1);
      }
    }
  });

  it('grow their memory for long inputs, keep decoding short ones after, and refuse more than maxCodes', () => {
    const decoder = simd();
    for (const n of [16_384, 16_385, 100_000, 160, 40_000]) {
      for (const { law, table, run } of LAWS) {
        const src = Uint8Array.from({ length: n }, (_, i) => (i * 29 + (i >> 8)) & 0xff);
        const out = new Int16Array(n);
        run(decoder, src, out);
        expect(firstMismatch(table, src, out), `${law}, n ${n}`).toBe(-1);
      }
    }
    expect(() => decoder.mulaw(new Uint8Array(decoder.maxCodes + 1), new Int16Array(decoder.maxCodes + 1))).toThrow(RangeError);
  });
});

describe('G.711 decode API around the SIMD path', () => {
  it('gives the table values below, at and above the SIMD threshold and beyond maxCodes', () => {
    const max = simd().maxCodes;
    for (const n of [1, 31, 32, 160, max + 3]) {
      const src = Uint8Array.from({ length: n }, (_, i) => (i * 61 + 5) & 0xff);
      const out = new Int16Array(n);
      decodeMulawInto(src, out);
      expect(firstMismatch(mulawDecodeTable(), src, out), `μ-law n ${n}`).toBe(-1);
      decodeAlawInto(src, out);
      expect(firstMismatch(alawDecodeTable(), src, out), `A-law n ${n}`).toBe(-1);
    }
  });

  it('decodes the same under node --jitless, where WebAssembly is absent and the tables do the work', () => {
    const built = `${root}dist/src/codecs/g711.js`;
    if (!existsSync(built) || statSync(`${root}src/codecs/g711.ts`).mtimeMs > statSync(built).mtimeMs) {
      throw new Error('dist/src/codecs/g711.js is missing or older than its source: run `npx tsc -p tsconfig.json` first (npm test does)');
    }
    const script = [
      `const { decodeMulaw, decodeAlaw } = await import(${JSON.stringify(built)});`,
      'const codes = Uint8Array.from({ length: 512 }, (_, i) => (i * 37) & 255);',
      'console.log(JSON.stringify({ wasm: typeof WebAssembly, mulaw: [...decodeMulaw(codes)], alaw: [...decodeAlaw(codes)] }));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--jitless', '--no-warnings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout) as { wasm: string; mulaw: number[]; alaw: number[] };
    expect(got.wasm).toBe('undefined');
    const codes = Uint8Array.from({ length: 512 }, (_, i) => (i * 37) & 255);
    expect(got.mulaw).toEqual([...decodeMulaw(codes)]);
    expect(got.alaw).toEqual([...decodeAlaw(codes)]);
  });
});
