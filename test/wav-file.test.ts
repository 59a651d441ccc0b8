import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wavefile from 'wavefile';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeWav, parseWav, readWav, writeWav } from '../src/wav/wav-file.js';
import { parseWavHeader, wavHeader } from '../src/wav/wav-header.js';

const dir = mkdtempSync(join(tmpdir(), 'wg-wavfile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function made(channels: number, rate: number, depth: string, samples: number[]): Uint8Array {
  const w = new wavefile.WaveFile();
  w.fromScratch(channels, rate, depth, samples);
  return w.toBuffer();
}

describe('wav-header', () => {
  it('builds the canonical 44-byte PCM16 header (known bytes), with placeholders when the size is unknown', () => {
    const h = Buffer.from(wavHeader({ sampleRate: 16000, channels: 1, dataBytes: 32000 }));
    expect(h.toString('hex')).toBe('52494646247d0000' + '57415645' + '666d7420' + '10000000' + '0100' + '0100' + '803e0000' + '007d0000' + '0200' + '1000' + '64617461' + '007d0000');
    const live = Buffer.from(wavHeader({ sampleRate: 48000, channels: 2 }));
    expect([live.readUInt32LE(4), live.readUInt32LE(40), live.readUInt32LE(28), live.readUInt16LE(32)]).toEqual([0xffffffff, 0xffffffff, 192000, 4]);
    expect(() => wavHeader({ sampleRate: 8000, channels: 1, dataBytes: -1 })).toThrow(/dataBytes.*-1/);
  });

  it('parses headers, skipping chunks before data', () => {
    const withList = Buffer.concat([Buffer.from('RIFF\0\0\0\0WAVE'), Buffer.from(wavHeader({ sampleRate: 8000, channels: 1, dataBytes: 10 })).subarray(12, 36), Buffer.from('LIST\x03\0\0\0abc\0'), Buffer.from('data\x0a\0\0\0')]);
    expect(parseWavHeader(withList)).toMatchObject({ sampleRate: 8000, channels: 1, blockAlign: 2, dataOffset: 56, dataSizeOffset: 52, declaredDataSize: 10 });
    expect(parseWavHeader(Buffer.from('RIFF\0\0\0\0WAVX'))).toMatch(/signature/);
  });
});

describe('readWav / writeWav', () => {
  it('reads 16-bit files as they are, from a path or bytes', async () => {
    const bytes = made(1, 16000, '16', [0, 1, -1, 32767, -32768]);
    expect([...parseWav(bytes).samples]).toEqual([0, 1, -1, 32767, -32768]);
    const fixture = await readWav(new URL('./fixtures/speech/s01-slt.wav', import.meta.url).pathname);
    expect([fixture.sampleRate, fixture.channels]).toEqual([16000, 1]);
    expect(fixture.samples.length).toBe(46400);
  });

  it('converts other depths to 16-bit with known results', () => {
    expect([...parseWav(made(1, 8000, '8', [0, 128, 255])).samples]).toEqual([-32768, 0, 32512]);
    expect([...parseWav(made(1, 8000, '24', [0x7fffff, -0x800000, 128, 127, -129, 256])).samples]).toEqual([32767, -32768, 1, 0, -1, 1]);
    expect([...parseWav(made(1, 8000, '32', [0x7fffffff, -0x80000000, 65536 * 5])).samples]).toEqual([32767, -32768, 5]);
    expect([...parseWav(made(1, 8000, '32f', [1, -1, 0.5, 0.25, 2])).samples]).toEqual([32767, -32768, 16384, 8192, 32767]);
    expect([...parseWav(made(1, 8000, '64', [-0.5])).samples]).toEqual([-16384]);
  });

  it('decodes μ-law and A-law WAV files with the G.711 tables', () => {
    expect([...parseWav(made(1, 8000, '8m', [0xff, 0x80, 0x00, 0xef])).samples]).toEqual([0, 32124, -32124, 132]);
    expect([...parseWav(made(1, 8000, '8a', [0xd5, 0xaa, 0x2a])).samples]).toEqual([8, 32256, -32256]);
  });

  it('decodes IMA ADPCM files to 16-bit with wavefile’s decoder', () => {
    const input = Array.from({ length: 4000 }, (_, i) => Math.round(8000 * Math.sin(i / 5)));
    const w = new wavefile.WaveFile();
    w.fromScratch(1, 8000, '16', input);
    w.toIMAADPCM();
    const bytes = w.toBuffer();
    expect(w.bitDepth).toBe('4');
    const { samples } = parseWav(bytes);
    const reference = new wavefile.WaveFile(bytes);
    reference.fromIMAADPCM();
    expect([...samples]).toEqual([...reference.getSamples(false, Int16Array)]);
    expect(samples.length).toBeGreaterThanOrEqual(input.length);
  });

  it('keeps stereo interleaved', () => {
    const audio = parseWav(made(2, 44100, '16', [1, -1, 2, -2, 3, -3]));
    expect(audio).toMatchObject({ channels: 2, sampleRate: 44100 });
    expect([...audio.samples]).toEqual([1, -1, 2, -2, 3, -3]);
  });

  it('writes files that ffprobe reads with the exact duration, and reads them back bit-exact', async () => {
    const path = join(dir, 'out.wav');
    const samples = Int16Array.from({ length: 2 * 24000 }, (_, i) => (i % 2 ? -1 : 1) * (i % 1000));
    await writeWav(path, { samples, sampleRate: 24000, channels: 2 });
    const header = readFileSync(path).subarray(0, 44);
    expect(header.equals(Buffer.from(wavHeader({ sampleRate: 24000, channels: 2, dataBytes: samples.byteLength })))).toBe(true);
    const probe = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path]);
    expect(probe.error, 'ffprobe must be installed').toBeUndefined();
    expect(probe.stdout.toString().trim()).toBe('1.000000');
    const back = await readWav(path);
    expect(back).toMatchObject({ sampleRate: 24000, channels: 2 });
    expect(Buffer.from(back.samples.buffer, back.samples.byteOffset, back.samples.byteLength).equals(Buffer.from(samples.buffer))).toBe(true);
    expect(encodeWav({ samples: new Int16Array(0), sampleRate: 8000, channels: 1 }).length).toBe(44);
    expect(() => encodeWav({ samples: new Int16Array(3), sampleRate: 8000, channels: 2 })).toThrow(/3 samples.*2 channels/);
  });

  it('refuses what is not a WAV with WG_ERR_BAD_WAV', async () => {
    for (const bad of [Buffer.from('hello world, not a wav file at all'), Buffer.alloc(0), Buffer.from('RIFF\x04\0\0\0WAVE')]) {
      expect(() => parseWav(bad)).toThrow(expect.objectContaining({ code: 'WG_ERR_BAD_WAV' }) as Error);
    }
    await expect(readWav(Buffer.from('nope'))).rejects.toMatchObject({ code: 'WG_ERR_BAD_WAV' });
  });
});
