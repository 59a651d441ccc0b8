import { describe, expect, it } from 'vitest';
import { decodeL16, decodeL16Into, encodeL16, encodeL16Into, l16SampleCount } from '../src/codecs/l16.js';
import { WavegateError } from '../src/errors/wavegate-error.js';

describe('L16 (PCM16 little-endian)', () => {
  // Known vectors: low byte first, two's complement.
  const bytes = Uint8Array.of(0x00, 0x00, 0x01, 0x00, 0xff, 0xff, 0x34, 0x12, 0xff, 0x7f, 0x00, 0x80, 0xcc, 0xed);
  const samples = [0, 1, -1, 0x1234, 32767, -32768, -0x1234];

  it('decodes known little-endian byte pairs', () => {
    expect([...decodeL16(bytes)]).toEqual(samples);
  });

  it('encodes known samples to little-endian byte pairs', () => {
    expect([...encodeL16(Int16Array.from(samples))]).toEqual([...bytes]);
  });

  it('decodes a payload at an odd offset inside a larger buffer (e.g. a Node Buffer slice)', () => {
    const backing = new Uint8Array(bytes.length + 3);
    backing.set(bytes, 1);
    const view = backing.subarray(1, 1 + bytes.length);
    const dst = new Int16Array(10).fill(9);
    expect(decodeL16Into(view, dst)).toBe(7);
    expect([...dst]).toEqual([...samples, 9, 9, 9]);
    expect([...decodeL16(Buffer.from(bytes).subarray(2, 6))]).toEqual([1, -1]);
  });

  it('encodes into a caller buffer and returns the byte count', () => {
    const dst = new Uint8Array(8).fill(7);
    expect(encodeL16Into(Int16Array.of(0x0102, -2), dst)).toBe(4);
    expect([...dst]).toEqual([0x02, 0x01, 0xfe, 0xff, 7, 7, 7, 7]);
  });

  it('refuses an odd byte length with WG_ERR_BAD_PAYLOAD naming the length', () => {
    for (const call of [() => decodeL16(new Uint8Array(161)), () => decodeL16Into(new Uint8Array(3), new Int16Array(4)), () => l16SampleCount(1)]) {
      let caught: unknown;
      try {
        call();
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(WavegateError);
      expect((caught as WavegateError).code).toBe('WG_ERR_BAD_PAYLOAD');
      expect((caught as WavegateError).message).toMatch(/odd length of (161|3|1) bytes/);
    }
  });

  it('refuses a destination that is too small', () => {
    expect(() => decodeL16Into(new Uint8Array(8), new Int16Array(3))).toThrow(/3 samples, 4 needed/);
    expect(() => encodeL16Into(new Int16Array(3), new Uint8Array(5))).toThrow(/5 bytes, 6 needed/);
  });

  it('handles an empty payload', () => {
    expect(decodeL16(new Uint8Array(0)).length).toBe(0);
    expect(encodeL16(new Int16Array(0)).length).toBe(0);
  });
});
