/**
 * The telephone tier against the high tier on μ-law signal chains, side by side (docs/resampler.md),
 * once with each tier: each 16 kHz speech fixture goes up to 48 kHz (FastRTC's μ-law wire), through
 * μ-law (20 ms payloads) and back down to 16 kHz for pocketsphinx; and 16 → 8 kHz (a phone line),
 * μ-law, 8 → 16 kHz. The word error rate (48 kHz chain: pocketsphinx's wideband model cannot score
 * 8 kHz audio) and the SNR of the μ-law signal against the high tier's clean signal at the wire rate
 * must not move at 48 kHz: μ-law's own noise (~38 dB below speech) is far above the telephone filter's
 * 70 dB. At 8 kHz the narrower band shows against the high tier's signal (see the assertion).
 * Needs pocketsphinx_continuous.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDecoder, createEncoder } from '../src/codecs/codec-factory.js';
import { StreamingResampler, type ResamplerTier } from '../src/resample/streaming-resampler.js';
import { transcribePcm } from '../src/speech/pocketsphinx-cli.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';
import { readWav } from '../src/wav/wav-file.js';
import { mapWithLimit } from './support/map-with-limit.js';

const DIR = new URL('./fixtures/speech/', import.meta.url).pathname;
const transcripts = JSON.parse(readFileSync(`${DIR}transcripts.json`, 'utf8')) as Array<{ file: string; text: string }>;

function mulaw(x: Int16Array, rate: number): Int16Array {
  const format = { encoding: 'audio/x-mulaw', sampleRate: rate, channels: 1 } as const;
  const enc = createEncoder(format, { frameMs: 20 });
  const dec = createDecoder(format);
  const frame = rate / 50;
  const out = new Int16Array(x.length);
  for (let at = 0; at < x.length; at += frame) {
    const pcm = new Int16Array(frame);
    pcm.set(x.subarray(at, at + frame));
    out.set(dec.decode(enc.encode(pcm)).subarray(0, Math.min(frame, x.length - at)), at);
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

describe('telephone tier on μ-law paths: WER and SNR unchanged against the high tier', () => {
  it('48 kHz and 8 kHz μ-law chains: pocketsphinx WER within 1.5 points, 48 kHz SNR within 0.2 dB, 8 kHz SNR > 30 dB', { timeout: 2_400_000 }, async () => {
    const speech = await Promise.all(transcripts.map(async ({ file }) => (await readWav(`${DIR}${file}`)).samples));
    const chain = (tier: ResamplerTier, wire: number) =>
      speech.map((x) => {
        const clean = inChunks(new StreamingResampler(16_000, wire, { tier }), x, 320);
        const coded = mulaw(clean, wire);
        return { clean, coded, wide: inChunks(new StreamingResampler(wire, 16_000, { tier }), coded, wire / 50) };
      });
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const snr: Record<string, number> = {};
    const rows: Record<string, ReturnType<typeof chain>> = {};
    for (const wire of [48_000, 8000]) {
      const high = chain('high', wire);
      const tel = chain('telephone', wire);
      rows[`high${wire}`] = high;
      rows[`tel${wire}`] = tel;
      // SNR of each tier's μ-law signal against the high tier's clean signal at the wire rate.
      snr[`high${wire}`] = mean(high.map((r) => snrDb(r.clean, r.coded)));
      snr[`tel${wire}`] = mean(tel.map((r, i) => snrDb(high[i]!.clean, r.coded)));
    }
    const hyp = async (r: ReturnType<typeof chain>) => mapWithLimit(r, 2, (x) => transcribePcm(x.wide, 16_000, { timeoutMs: 600_000 }));
    const hHigh = await hyp(rows.high48000!);
    const hTel = await hyp(rows.tel48000!);
    const werHigh = corpusWordErrors(transcripts.map((t, i) => ({ reference: t.text, hypothesis: hHigh[i]! })));
    const werTel = corpusWordErrors(transcripts.map((t, i) => ({ reference: t.text, hypothesis: hTel[i]! })));
    const changed = transcripts.filter((_, i) => hHigh[i] !== hTel[i]).length;
    console.log(
      `μ-law 48 kHz chain, pocketsphinx WER: high tier ${werHigh.errors}/${werHigh.referenceWords}, telephone tier ${werTel.errors}/${werTel.referenceWords} ` +
        `(${changed} of ${transcripts.length} hypotheses differ); μ-law SNR (mean over fixtures): 48 kHz high ${snr.high48000!.toFixed(2)} dB, telephone ${snr.tel48000!.toFixed(2)} dB; ` +
        `8 kHz high ${snr.high8000!.toFixed(2)} dB, telephone ${snr.tel8000!.toFixed(2)} dB`,
    );
    expect(werHigh.referenceWords).toBeGreaterThan(150);
    // Measured: 18/206 and 20/206 (2 of 24 hypotheses differ); through the gateway 18 → 17 (resample-telephone-gateway).
    expect(Math.abs(werTel.wer - werHigh.wer)).toBeLessThanOrEqual(0.015);
    // 48 kHz: measured 37.35 and 37.34 dB, μ-law's own noise.
    expect(snr.high48000).toBeGreaterThan(30);
    expect(Math.abs(snr.tel48000! - snr.high48000!)).toBeLessThan(0.2);
    // 8 kHz: measured 37.35 and 33.00 dB. Against the high tier's signal the telephone tier's narrower band
    // (flat to 3.4 kHz, aliasing confined to 3.4–4 kHz, where the high tier is flat to 3.6 kHz) counts as noise.
    expect(snr.high8000).toBeGreaterThan(30);
    expect(snr.tel8000).toBeGreaterThan(30);
  });
});
