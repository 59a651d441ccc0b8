import { describe, expect, it } from 'vitest';
import { allocBytes, allocSamples } from '../src/audio/sample-pool.js';
import { decodeMulaw, encodeMulaw, mulawDecodeTable } from '../src/codecs/g711.js';
import { decodeL16 } from '../src/codecs/l16.js';

describe('allocSamples', () => {
  it('hands out zeroed arrays of the asked length that never overlap, across slab boundaries', () => {
    const length = (i: number) => 1 + ((i * 37) % 960);
    const arrays: Array<Int16Array | Uint8Array> = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? allocBytes(length(i)) : allocSamples(length(i))));
    arrays.forEach((a, i) => {
      expect(a.length).toBe(length(i));
      expect(a.byteOffset % 8).toBe(0);
      expect(a.every((v) => v === 0)).toBe(true);
      a.fill((i % 120) + 1);
    });
    // Every array still holds its own mark: no region was handed out twice.
    arrays.forEach((a, i) => expect(a.every((v) => v === (i % 120) + 1)).toBe(true));
    const ranges = arrays.map((a) => ({ buffer: a.buffer, from: a.byteOffset, to: a.byteOffset + a.byteLength }));
    for (let i = 0; i < ranges.length; i++)
      for (let j = i + 1; j < ranges.length; j++)
        if (ranges[i]!.buffer === ranges[j]!.buffer) expect(ranges[i]!.to <= ranges[j]!.from || ranges[j]!.to <= ranges[i]!.from).toBe(true);
  });

  it('shares slabs between small arrays and gives large or empty ones their own buffer', () => {
    const a = allocSamples(160);
    const b = allocSamples(160);
    if (a.buffer === b.buffer) expect(b.byteOffset).toBe(a.byteOffset + 320); // unless a slab ended between them
    const big = allocSamples(4096);
    expect(big.byteOffset).toBe(0);
    expect(big.buffer.byteLength).toBe(8192);
    expect(allocSamples(0).length).toBe(0);
  });

  it('backs the allocating decoders, whose results read correctly through byteOffset', () => {
    const codes = Uint8Array.from({ length: 160 }, (_, i) => (i * 7) & 0xff);
    const table = mulawDecodeTable();
    const first = decodeMulaw(codes);
    const second = decodeMulaw(codes.subarray(0, 40));
    expect(Array.from(first)).toEqual(Array.from(codes, (c) => table[c]));
    expect(Array.from(second)).toEqual(Array.from(codes.subarray(0, 40), (c) => table[c]));
    const encoded = encodeMulaw(first);
    expect(Array.from(encoded)).toEqual(Array.from(codes));
    const pcm = decodeL16(Uint8Array.of(1, 0, 0xff, 0xff));
    expect(Array.from(new Int16Array(pcm.buffer, pcm.byteOffset, pcm.length))).toEqual([1, -1]);
  });
});
