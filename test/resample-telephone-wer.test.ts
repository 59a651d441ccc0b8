/**
 * The telephone tier against the high tier on a phone line's signal chain, side by side
 * (docs/resampler.md): each 16 kHz speech fixture goes 16 → 8 kHz, through μ-law (20 ms payloads) and
 * back 8 → 16 kHz, once with each tier. pocketsphinx's word error rate on the results, and the SNR of
 * the μ-law signal at 8 kHz against the high tier's clean 8 kHz signal, must not move: μ-law's own
 * noise (~38 dB below speech) is far above the telephone filter's 70 dB. Needs pocketsphinx_continuous.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDecoder, createEncoder } from '../src/codecs/codec-factory.js';
import { StreamingResampler, type ResamplerTier } from '../src/resample/streaming-resampler.js';
import { transcribePcm } from '../src/speech/pocketsphinx-cli.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';
import { readWav } from '../src/wav/wav-file.js';

const DIR = new URL('./fixtures/speech/', import.meta.url).pathname;
const transcripts = JSON.parse(readFileSync(`${DIR}transcripts.json`, 'utf8')) as Array<{ file: string; text: string }>;

function mulaw(x: Int16Array): Int16Array {
  const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;
  const enc = createEncoder(format, { frameMs: 20 });
  const dec = createDecoder(format);
  const out = new Int16Array(x.length);
  for (let at = 0; at < x.length; at += 160) {
    const frame = new Int16Array(160);
    frame.set(x.subarray(at, at + 160));
    out.set(dec.decode(enc.encode(frame)).subarray(0, Math.min(160, x.length - at)), at);
  }
  return out;
}

function inChunks(r: StreamingResampler, x: Int16Array, chunk: number): Int16Array {
  const out = new Int16Array(Math.ceil((x.length * r.outputRate) / r.inputRate));
  let n = 0;
  for (let at = 0; at < x.length; at += chunk) n += r.processInto(x.subarray(at, at + chunk), out, n);
  n += r.flushInto(out, n);
  expect(n).toBe(out.length);
  return out;
}

function snrDb(ref: Int16Array, y: Int16Array): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < ref.length; i++) {
    s += ref[i]! ** 2;
    n += (ref[i]! - y[i]!) ** 2;
  }
  return 10 * Math.log10(s / n);
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

describe('telephone tier on the μ-law path: WER and SNR unchanged against the high tier', () => {
  it('16 → 8 kHz, μ-law, 8 → 16 kHz: pocketsphinx WER within 1 point, SNR within 0.2 dB', { timeout: 600_000 }, async () => {
    const speech = await Promise.all(transcripts.map(async ({ file }) => (await readWav(`${DIR}${file}`)).samples));
    const chain = (tier: ResamplerTier) =>
      speech.map((x) => {
        const narrow = inChunks(new StreamingResampler(16_000, 8000, { tier }), x, 320);
        const coded = mulaw(narrow);
        return { narrow, coded, wide: inChunks(new StreamingResampler(8000, 16_000, { tier }), coded, 160) };
      });
    const high = chain('high');
    const tel = chain('telephone');
    const hyp = async (rows: ReturnType<typeof chain>) => pool(rows, 2, (r) => transcribePcm(r.wide, 16_000));
    const [hHigh, hTel] = [await hyp(high), await hyp(tel)];
    const werHigh = corpusWordErrors(transcripts.map((t, i) => ({ reference: t.text, hypothesis: hHigh[i]! })));
    const werTel = corpusWordErrors(transcripts.map((t, i) => ({ reference: t.text, hypothesis: hTel[i]! })));
    // SNR of each tier's μ-law signal against the high tier's clean 8 kHz signal (μ-law noise + filter difference).
    const snrHigh = high.map((r) => snrDb(r.narrow, r.coded));
    const snrTel = tel.map((r, i) => snrDb(high[i]!.narrow, r.coded));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const changed = transcripts.filter((_, i) => hHigh[i] !== hTel[i]).length;
    console.log(
      `μ-law phone path, pocketsphinx WER: high tier ${werHigh.errors}/${werHigh.referenceWords}, telephone tier ${werTel.errors}/${werTel.referenceWords} ` +
        `(${changed} of ${transcripts.length} hypotheses differ); μ-law SNR at 8 kHz: high ${mean(snrHigh).toFixed(2)} dB, telephone ${mean(snrTel).toFixed(2)} dB (means over fixtures)`,
    );
    expect(werHigh.referenceWords).toBeGreaterThan(150);
    expect(Math.abs(werTel.wer - werHigh.wer)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(mean(snrTel) - mean(snrHigh))).toBeLessThan(0.2);
    expect(mean(snrHigh)).toBeGreaterThan(30);
  });
});
