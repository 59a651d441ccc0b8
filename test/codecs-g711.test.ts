import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  alawToLinear,
  decodeAlaw,
  decodeAlawInto,
  decodeMulaw,
  decodeMulawInto,
  encodeAlaw,
  encodeAlawInto,
  encodeMulaw,
  encodeMulawInto,
  linearToAlaw,
  linearToMulaw,
  mulawToLinear,
} from '../src/codecs/g711.js';

/*
 * Reference quantisers written from the tables of ITU-T G.711 (Table 1a A-law, Table 2a μ-law), not
 * from the encoder under test: each law is 2 × 128 intervals given by their decision values; the
 * reconstruction value is the middle of the interval (μ-law's first interval [0,1] reconstructs to 0).
 * Codes count intervals n = 0..127 from zero magnitude up; μ-law sends positive n as 0xFF - n and
 * negative as 0x7F - n; A-law sends positive n as (0x80 | n) ^ 0x55 and negative as n ^ 0x55.
 */
function mulawDecisions(): number[] {
  const d = [0];
  for (let v = 1; v <= 31; v += 2) d.push(v); // segment 1: steps of 2 (first interval 0..1)
  let edge = 31;
  for (let seg = 1; seg < 8; seg++) {
    const step = 2 << seg; // 4, 8, …, 256
    for (let i = 1; i <= 16; i++) d.push(edge + i * step);
    edge += 16 * step; // 95, 223, 479, 991, 2015, 4063, 8159
  }
  return d; // 129 values, 0 … 8159 (14-bit scale)
}

function alawDecisions(): number[] {
  const d = [0];
  for (let v = 2; v <= 32; v += 2) d.push(v); // segment 1: steps of 2
  let edge = 32;
  for (let seg = 1; seg < 8; seg++) {
    const step = seg === 1 ? 2 : 1 << seg; // 2, 4, 8, …, 128
    for (let i = 1; i <= 16; i++) d.push(edge + i * step);
    edge += 16 * step; // 64, 128, …, 4096
  }
  return d; // 129 values, 0 … 4096 (12-bit magnitude scale)
}

const MU = mulawDecisions();
const A = alawDecisions();

function mulawReconstruction(n: number): number {
  return n === 0 ? 0 : (MU[n]! + MU[n + 1]!) / 2;
}
function alawReconstruction(n: number): number {
  return (A[n]! + A[n + 1]!) / 2;
}
/** Interval whose [decision n, decision n+1) holds the magnitude; overload goes to the top interval. */
function intervalOf(decisions: number[], magnitude: number): number {
  for (let n = 0; n < 127; n++) if (magnitude < decisions[n + 1]!) return n;
  return 127;
}

/** Standard value of each transmitted code, left-justified to 16 bits (μ-law × 4, A-law × 8). */
function referenceMulaw(code: number): number {
  const positive = code >= 0x80;
  const n = positive ? 0xff - code : 0x7f - code;
  return (positive ? 1 : -1) * mulawReconstruction(n) * 4 + 0; // + 0 turns -0 into 0
}
function referenceAlaw(code: number): number {
  const a = code ^ 0x55;
  const positive = (a & 0x80) !== 0;
  return (positive ? 1 : -1) * alawReconstruction(a & 0x7f) * 8;
}

/** Truncating quantiser, 16-bit input; negatives in one's complement as in ITU-T G.191 g711.c. */
function referenceMulawEncode(x: number): number {
  const negative = x < 0;
  const n = intervalOf(MU, (negative ? ~x : x) >> 2);
  return negative ? 0x7f - n : 0xff - n;
}
function referenceAlawEncode(x: number): number {
  const negative = x < 0;
  const n = intervalOf(A, (negative ? ~x : x) >> 3);
  return (negative ? n : 0x80 | n) ^ 0x55;
}

const allCodes = Uint8Array.from({ length: 256 }, (_, i) => i);
const allSamples = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

describe('G.711 decode', () => {
  it('decodes all 256 μ-law codes to the G.711 Table 2a values', () => {
    const out = decodeMulaw(allCodes);
    for (let c = 0; c < 256; c++) expect(out[c], `code 0x${c.toString(16)}`).toBe(referenceMulaw(c));
    expect(MU.at(-1)).toBe(8159);
  });

  it('decodes all 256 A-law codes to the G.711 Table 1a values', () => {
    const out = decodeAlaw(allCodes);
    for (let c = 0; c < 256; c++) expect(out[c], `code 0x${c.toString(16)}`).toBe(referenceAlaw(c));
    expect(A.at(-1)).toBe(4096);
  });

  it('gives the well-known values at the ends of the range', () => {
    expect([0xff, 0x7f, 0xfe, 0xf0, 0xef, 0x80, 0x00].map(mulawToLinear)).toEqual([0, 0, 8, 120, 132, 32124, -32124]);
    expect([0xd5, 0x55, 0xd4, 0xaa, 0x2a].map(alawToLinear)).toEqual([8, -8, 24, 32256, -32256]);
  });

  it('matches sox byte for byte on all 256 codes of each law', () => {
    for (const [type, ours] of [['ul', decodeMulaw(allCodes)], ['al', decodeAlaw(allCodes)]] as const) {
      const src = join(dir, `codes.${type}`);
      const dst = join(dir, `codes-${type}.s16`);
      writeFileSync(src, allCodes);
      const run = spawnSync('sox', ['-D', '-t', type, '-r', '8000', '-c', '1', src, '-t', 's16', '-e', 'signed', '-b', '16', '-L', dst]);
      expect(run.error, 'sox must be installed').toBeUndefined();
      expect(run.status, run.stderr?.toString()).toBe(0);
      const soxBytes = readFileSync(dst);
      expect(soxBytes.length).toBe(512);
      expect(Buffer.from(ours.buffer, ours.byteOffset, ours.byteLength).equals(soxBytes), type).toBe(true);
    }
  });
});

describe('G.711 encode (truncating quantiser)', () => {
  it('encodes every 16-bit sample to the μ-law interval that holds it', () => {
    const out = encodeMulaw(allSamples);
    let mismatches = 0;
    for (let i = 0; i < allSamples.length; i++) if (out[i] !== referenceMulawEncode(allSamples[i]!)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('encodes every 16-bit sample to the A-law interval that holds it', () => {
    const out = encodeAlaw(allSamples);
    let mismatches = 0;
    for (let i = 0; i < allSamples.length; i++) if (out[i] !== referenceAlawEncode(allSamples[i]!)) mismatches++;
    expect(mismatches).toBe(0);
  });

  it('μ-law known vectors at segment edges', () => {
    const vectors: Array<[number, number]> = [
      [0, 0xff], [3, 0xff], [4, 0xfe], // first interval is 0..1 in 14-bit units
      [123, 0xf0], [124, 0xef], // 14-bit 30 | 31: segment 1 → 2
      [379, 0xe0], [380, 0xdf], // 94 | 95: segment 2 → 3
      [16251, 0x90], [16252, 0x8f], // 4062 | 4063: segment 7 → 8
      [31611, 0x81], [31612, 0x80], [32767, 0x80], // last inner decision 7903, then overload
      [-1, 0x7f], [-4, 0x7f], [-5, 0x7e], [-125, 0x6f], [-32768, 0x00],
    ];
    for (const [x, code] of vectors) expect(linearToMulaw(x), `x=${x}`).toBe(code);
  });

  it('A-law known vectors at segment edges', () => {
    const vectors: Array<[number, number]> = [
      [0, 0xd5], [15, 0xd5], [16, 0xd4],
      [255, 0xda], [256, 0xc5], // 12-bit 31 | 32: segment 1 → 2
      [511, 0xca], [512, 0xf5], // 63 | 64: segment 2 → 3
      [16383, 0xba], [16384, 0xa5], // 2047 | 2048: segment 7 → 8
      [32767, 0xaa], [-1, 0x55], [-16, 0x55], [-17, 0x54], [-32768, 0x2a],
    ];
    for (const [x, code] of vectors) expect(linearToAlaw(x), `x=${x}`).toBe(code);
  });

  it('is symmetric: x and -1-x give mirror codes', () => {
    for (let x = 0; x < 32768; x += 7) {
      expect(linearToMulaw(-1 - x)).toBe(linearToMulaw(x) & 0x7f);
      expect(linearToAlaw(-1 - x)).toBe(linearToAlaw(x) ^ 0x80);
    }
  });

  it('re-encodes every decoded code to itself (μ-law -0 becomes +0)', () => {
    for (let c = 0; c < 256; c++) {
      expect(linearToMulaw(mulawToLinear(c))).toBe(c === 0x7f ? 0xff : c);
      expect(linearToAlaw(alawToLinear(c))).toBe(c);
    }
  });
});

describe('G.711 into caller buffers', () => {
  it('writes only the first n entries and returns n', () => {
    const codes = Uint8Array.of(0x00, 0x80, 0xff);
    const pcm = new Int16Array(5).fill(7);
    expect(decodeMulawInto(codes, pcm)).toBe(3);
    expect([...pcm]).toEqual([-32124, 32124, 0, 7, 7]);
    expect(decodeAlawInto(Uint8Array.of(0xd5), pcm)).toBe(1);
    expect(pcm[0]).toBe(8);

    const bytes = new Uint8Array(4).fill(1);
    expect(encodeMulawInto(Int16Array.of(0, -32768), bytes)).toBe(2);
    expect([...bytes]).toEqual([0xff, 0x00, 1, 1]);
    expect(encodeAlawInto(Int16Array.of(32767), bytes)).toBe(1);
    expect(bytes[0]).toBe(0xaa);
  });

  it('works on views with an offset into a larger buffer', () => {
    const backing = new Uint8Array(11);
    const view = backing.subarray(3, 7);
    view.set([0xff, 0x80, 0x00, 0x7f]);
    const out = new Int16Array(new ArrayBuffer(20), 2, 4);
    decodeMulawInto(view, out);
    expect([...out]).toEqual([0, 32124, -32124, 0]);
  });

  it('gives the same samples on the word-at-a-time path and the byte path, at every alignment and length', () => {
    const backing = new Uint8Array(4096).map((_, i) => (i * 97 + 13) & 0xff);
    const out = new ArrayBuffer(8192);
    for (let srcOff = 0; srcOff < 4; srcOff++) {
      for (let dstOff = 0; dstOff < 4; dstOff++) {
        for (const n of [0, 1, 15, 16, 17, 63, 160, 161, 1000]) {
          const src = backing.subarray(srcOff * 7, srcOff * 7 + n); // offsets 0, 7, 14, 21: aligned and not
          const dst = new Int16Array(out, dstOff * 2, n);
          decodeMulawInto(src, dst);
          for (let i = 0; i < n; i++) if (dst[i] !== mulawToLinear(src[i]!)) throw new Error(`μ-law ${srcOff}/${dstOff}/${n} at ${i}`);
          decodeAlawInto(src, dst);
          for (let i = 0; i < n; i++) if (dst[i] !== alawToLinear(src[i]!)) throw new Error(`A-law ${srcOff}/${dstOff}/${n} at ${i}`);
        }
      }
    }
    // Nothing past n is touched on the word path either.
    const guard = new Int16Array(24).fill(7);
    decodeMulawInto(new Uint8Array(16).fill(0xff), guard.subarray(0, 16));
    expect([...guard.subarray(16)]).toEqual(new Array(8).fill(7));
  });

  it('refuses a destination that is too small', () => {
    expect(() => decodeMulawInto(new Uint8Array(4), new Int16Array(3))).toThrow(/3 samples, 4 needed/);
    expect(() => encodeAlawInto(new Int16Array(4), new Uint8Array(2))).toThrow(/2 samples, 4 needed/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'wg-g711-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
