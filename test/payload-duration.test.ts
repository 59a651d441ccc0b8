import { describe, expect, it } from 'vitest';
import { opusPacketDurationMs, payloadDurationMs } from '../src/codecs/payload-duration.js';

describe('payload duration', () => {
  it('G.711 and L16 from their byte counts', () => {
    expect(payloadDurationMs({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, new Uint8Array(160))).toBe(20);
    expect(payloadDurationMs({ encoding: 'audio/x-alaw', sampleRate: 48000, channels: 1 }, new Uint8Array(960))).toBe(20);
    expect(payloadDurationMs({ encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 }, new Uint8Array(640))).toBe(20);
    expect(() => payloadDurationMs({ encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 }, new Uint8Array(641))).toThrow(/whole number/);
    expect(() => payloadDurationMs({ encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, new Uint8Array(0))).toThrow(/empty/);
  });

  it('Opus from the TOC byte (RFC 6716 §3.1)', () => {
    expect(opusPacketDurationMs(Uint8Array.of((1 << 3) | 0))).toBe(20); // SILK NB 20 ms, one frame
    expect(opusPacketDurationMs(Uint8Array.of((31 << 3) | 0))).toBe(20); // CELT FB 20 ms
    expect(opusPacketDurationMs(Uint8Array.of((29 << 3) | 1))).toBe(10); // CELT 5 ms × 2
    expect(opusPacketDurationMs(Uint8Array.of((3 << 3) | 3, 2))).toBe(120); // SILK 60 ms × 2 (code 3)
    expect(() => opusPacketDurationMs(Uint8Array.of((3 << 3) | 3, 3))).toThrow(); // 180 ms: not a legal packet
    expect(() => opusPacketDurationMs(new Uint8Array(0))).toThrow();
  });
});
