import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWavPcm16 } from '../src/speech/wav-pcm16.js';

function wav(chunks: Array<[string, Uint8Array]>): Uint8Array {
  const parts: Buffer[] = [];
  for (const [id, body] of chunks) {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    parts.push(head, Buffer.from(body), Buffer.alloc(body.length & 1));
  }
  const payload = Buffer.concat(parts);
  const riff = Buffer.alloc(12);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(payload.length + 4, 4);
  riff.write('WAVE', 8, 'latin1');
  return Buffer.concat([riff, payload]);
}

function fmt(format: number, channels: number, rate: number, bits: number): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(format, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE((rate * channels * bits) / 8, 8);
  b.writeUInt16LE((channels * bits) / 8, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

const pcm = (values: number[]) => new Uint8Array(Int16Array.from(values).buffer);

describe('parseWavPcm16', () => {
  it('reads samples, rate and channels, skipping unknown chunks (odd sizes padded)', () => {
    const bytes = wav([['fmt ', fmt(1, 2, 22_050, 16)], ['LIST', new Uint8Array(3)], ['data', pcm([1, -2, 32767, -32768])]]);
    const audio = parseWavPcm16(bytes);
    expect(audio.sampleRate).toBe(22_050);
    expect(audio.channels).toBe(2);
    expect(Array.from(audio.samples)).toEqual([1, -2, 32767, -32768]);
  });

  it('reads a file still being written (data size 0) to the end', () => {
    const bytes = Buffer.from(wav([['fmt ', fmt(1, 1, 8000, 16)], ['data', pcm([5, 6, 7])]]));
    bytes.writeUInt32LE(0, 40);
    expect(Array.from(parseWavPcm16(bytes).samples)).toEqual([5, 6, 7]);
  });

  it('rejects what is not PCM16 WAV with WG_ERR_UNSUPPORTED_FORMAT', () => {
    expect(() => parseWavPcm16(new Uint8Array(10))).toThrow(expect.objectContaining({ code: 'WG_ERR_UNSUPPORTED_FORMAT' }));
    expect(() => parseWavPcm16(wav([['fmt ', fmt(3, 1, 8000, 32)], ['data', new Uint8Array(8)]]))).toThrow(/format 3, 32 bits/);
    expect(() => parseWavPcm16(wav([['fmt ', fmt(1, 1, 8000, 16)]]))).toThrow(/no data chunk/);
  });

  it('reads what flite writes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wg-wav-'));
    try {
      const file = join(dir, 'out.wav');
      execFileSync('flite', ['-voice', 'slt', '-t', 'hello there', '-o', file]);
      const audio = parseWavPcm16(readFileSync(file));
      expect(audio.sampleRate).toBe(16_000);
      expect(audio.channels).toBe(1);
      expect(audio.samples.length).toBeGreaterThan(8000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
