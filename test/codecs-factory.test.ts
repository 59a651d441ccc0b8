import { describe, expect, it } from 'vitest';
import { createDecoder, createEncoder } from '../src/codecs/codec-factory.js';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { WavegateError } from '../src/errors/wavegate-error.js';

const mono = (encoding: MediaFormat['encoding'], sampleRate: number): MediaFormat => ({ encoding, sampleRate, channels: 1 });

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof WavegateError) return { code: err.code, message: err.message };
    throw err;
  }
  throw new Error('did not throw');
}

describe('createDecoder / createEncoder', () => {
  it('μ-law: known vectors both ways, any payload length', () => {
    const dec = createDecoder(mono('audio/x-mulaw', 48000));
    const enc = createEncoder(mono('audio/x-mulaw', 48000));
    expect(dec.format).toEqual(mono('audio/x-mulaw', 48000));
    expect(enc.frameSamples).toBeUndefined();
    expect(dec.conceal).toBeUndefined();
    expect([...dec.decode(Uint8Array.of(0xff, 0x80, 0x00, 0xef))]).toEqual([0, 32124, -32124, 132]);
    expect([...enc.encode(Int16Array.of(0, 32767, -32768, 124, -1))]).toEqual([0xff, 0x80, 0x00, 0xef, 0x7f]);
    expect(enc.encode(new Int16Array(161)).length).toBe(161);
  });

  it('A-law: known vectors both ways', () => {
    const dec = createDecoder(mono('audio/x-alaw', 8000));
    const enc = createEncoder(mono('audio/x-alaw', 8000));
    expect([...dec.decode(Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a))]).toEqual([8, -8, 32256, -32256]);
    expect([...enc.encode(Int16Array.of(0, -1, 32767, -32768, 256))]).toEqual([0xd5, 0x55, 0xaa, 0x2a, 0xc5]);
  });

  it('L16: little-endian known vectors, odd payloads refused', () => {
    const dec = createDecoder(mono('audio/x-l16', 16000));
    const enc = createEncoder(mono('audio/x-l16', 16000));
    expect([...dec.decode(Uint8Array.of(0x34, 0x12, 0xff, 0xff))]).toEqual([0x1234, -1]);
    expect([...enc.encode(Int16Array.of(0x1234, -2))]).toEqual([0x34, 0x12, 0xfe, 0xff]);
    expect(codeOf(() => dec.decode(new Uint8Array(3))).code).toBe('WG_ERR_BAD_PAYLOAD');
  });

  it('Opus: fixed frame size from options, decoder conceals', () => {
    const enc = createEncoder(mono('audio/opus', 24000), { frameMs: 40, complexity: 9, fec: true, dtx: false, packetLossPercent: 15, bitrate: 20000 });
    expect(enc.frameSamples).toBe(960);
    const dec = createDecoder(mono('audio/opus', 24000));
    const pcm = Int16Array.from({ length: 960 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const packet = enc.encode(pcm);
    expect(dec.decode(packet).length).toBe(960);
    expect(dec.conceal?.(480, packet).length).toBe(480);
    expect(() => enc.encode(new Int16Array(480))).toThrow(/exactly 960/);
    expect(createEncoder(mono('audio/opus', 8000)).frameSamples).toBe(160);
  });

  it('refuses unsupported combinations with WG_ERR_UNSUPPORTED_FORMAT naming the value', () => {
    const cases: Array<[unknown, RegExp]> = [
      [mono('audio/opus', 44100), /44100/],
      [mono('audio/opus', 22050), /22050/],
      [{ encoding: 'audio/opus', sampleRate: 48000, channels: 2 }, /channels 2/],
      [{ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 0 }, /channels 0/],
      [{ encoding: 'audio/x-mulaw', sampleRate: 8000.5, channels: 1 }, /8000.5/],
      [{ encoding: 'audio/x-l16', sampleRate: 1000, channels: 1 }, /1000/],
      [{ encoding: 'audio/x-l16', sampleRate: 384000, channels: 1 }, /384000/],
      [{ encoding: 'audio/pcma', sampleRate: 8000, channels: 1 }, /audio\/pcma/],
      [null, /null/],
    ];
    for (const [format, pattern] of cases) {
      for (const make of [() => createDecoder(format as MediaFormat), () => createEncoder(format as MediaFormat)]) {
        const { code, message } = codeOf(make);
        expect(code).toBe('WG_ERR_UNSUPPORTED_FORMAT');
        expect(message).toMatch(pattern);
      }
    }
  });

  it('every codec throws after close()', () => {
    for (const encoding of ['audio/x-mulaw', 'audio/x-alaw', 'audio/x-l16', 'audio/opus'] as const) {
      const dec = createDecoder(mono(encoding, 16000));
      const enc = createEncoder(mono(encoding, 16000));
      dec.close();
      enc.close();
      expect(() => dec.decode(Uint8Array.of(0xf8, 0xff))).toThrow(/after close/);
      expect(() => enc.encode(new Int16Array(320))).toThrow(/after close/);
    }
  });
});
