import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDecoder, createEncoder } from '../src/codecs/codec-factory.js';
import { readWav } from '../src/wav/wav-file.js';

const FIXTURES = new URL('./fixtures/speech/', import.meta.url).pathname;
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.wav')).sort();

function snrDb(ref: Int16Array, test: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < ref.length; i++) {
    signal += ref[i]! * ref[i]!;
    noise += (ref[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('speech through G.711', () => {
  it('speech fixtures survive μ-law at 16 kHz with SNR > 30 dB (and A-law likewise)', async () => {
    expect(files.length).toBe(24);
    const format = { sampleRate: 16000, channels: 1 } as const;
    const rows: string[] = [];
    for (const file of files) {
      const { samples, sampleRate } = await readWav(join(FIXTURES, file));
      expect(sampleRate).toBe(16000);
      const result: Record<string, number> = {};
      for (const encoding of ['audio/x-mulaw', 'audio/x-alaw'] as const) {
        const enc = createEncoder({ encoding, ...format });
        const dec = createDecoder({ encoding, ...format });
        // 20 ms payloads, as on the wire.
        const out = new Int16Array(samples.length);
        for (let i = 0; i < samples.length; i += 320) out.set(dec.decode(enc.encode(samples.subarray(i, i + 320))), i);
        result[encoding] = snrDb(samples, out);
      }
      rows.push(`${file}  μ-law ${result['audio/x-mulaw']!.toFixed(2)} dB  A-law ${result['audio/x-alaw']!.toFixed(2)} dB`);
      expect(result['audio/x-mulaw'], file).toBeGreaterThan(30);
      expect(result['audio/x-alaw'], file).toBeGreaterThan(30);
    }
    console.log(`G.711 SNR on speech fixtures (16 kHz):\n${rows.join('\n')}`);
  });
});
