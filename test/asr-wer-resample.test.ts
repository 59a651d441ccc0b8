/**
 * Acceptance (issue 2): 48 kHz → 16 kHz resampling does not change pocketsphinx's word error rate on
 * the speech fixtures by more than 1 point. Each 16 kHz fixture is brought to 48 kHz by sox (a neutral
 * reference: `rate -v`, its very-high-quality converter, no dither), then back to 16 kHz by our
 * streaming resampler in 20 ms chunks, and recognized by Debian's pocketsphinx_continuous beside the
 * original. Needs `sox` and `pocketsphinx_continuous` (both installed by .ci/run); fails without them.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import PQueue from 'p-queue';
import { describe, expect, it } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { transcribeFile, transcribePcm } from '../src/speech/pocketsphinx-cli.js';
import { corpusWordErrors, wordErrors } from '../src/speech/word-error-rate.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { readWav } from '../src/wav/wav-file.js';
import { cleanTranscripts } from './support/clean-transcripts.js';

const run = promisify(execFile);
const FIXTURES = join(import.meta.dirname, 'fixtures', 'speech');

interface Transcript {
  file: string;
  text: string;
}

async function soxTo48k(path: string): Promise<Int16Array> {
  const { stdout } = await run('sox', ['-D', path, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-', 'rate', '-v', '48000'], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Int16Array(stdout.buffer.slice(stdout.byteOffset, stdout.byteOffset + stdout.length));
}

function downTo16k(samples48: Int16Array): Int16Array {
  const r = new StreamingResampler(48_000, 16_000);
  const parts: Int16Array[] = [];
  for (let at = 0; at < samples48.length; at += 960) parts.push(r.process(samples48.subarray(at, at + 960)));
  parts.push(r.flush());
  return concatSamples(parts);
}

function snrDb(reference: Int16Array, test: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i]! ** 2;
    noise += (reference[i]! - test[i]!) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

describe('speech recognition through the resampler', () => {
  it('48 kHz → 16 kHz keeps pocketsphinx WER on the fixtures within 1 point', async () => {
    const transcripts = JSON.parse(await readFile(join(FIXTURES, 'transcripts.json'), 'utf8')) as Transcript[];
    expect(transcripts.length).toBe(24);
    const clean = await cleanTranscripts();
    const queue = new PQueue({ concurrency: 2 });
    const rows = await Promise.all(
      transcripts.map((t) =>
        queue.add(async () => {
          const path = join(FIXTURES, t.file);
          const original = (await readWav(path)).samples;
          const up = await soxTo48k(path);
          expect(up.length).toBe(original.length * 3);
          const down = downTo16k(up);
          expect(down.length).toBe(original.length);
          const before = clean.get(t.file)!;
          const after = await transcribePcm(down, 16_000);
          return { ...t, before, after, snr: snrDb(original, down) };
        }),
      ),
    );
    const baseline = corpusWordErrors(rows.map((r) => ({ reference: r.text, hypothesis: r.before })));
    const resampled = corpusWordErrors(rows.map((r) => ({ reference: r.text, hypothesis: r.after })));
    const changed = rows.filter((r) => r.before !== r.after).map((r) => `${r.file}: "${r.before}" → "${r.after}"`);
    const minSnr = Math.min(...rows.map((r) => r.snr));
    console.log(
      `pocketsphinx WER: original ${baseline.errors}/${baseline.referenceWords} = ${(100 * baseline.wer).toFixed(2)} %, ` +
        `16k→48k (sox) →16k (ours) ${resampled.errors}/${resampled.referenceWords} = ${(100 * resampled.wer).toFixed(2)} %; ` +
        `round-trip SNR ≥ ${minSnr.toFixed(1)} dB; hypotheses changed: ${changed.length ? changed.join('; ') : 'none'}`,
    );
    expect(baseline.referenceWords).toBeGreaterThan(150);
    expect(baseline.wer).toBeLessThan(0.15); // the recognizer really works here (README of the fixtures: ≈ 7 %)
    expect(Math.abs(resampled.wer - baseline.wer)).toBeLessThanOrEqual(0.01);
    expect(minSnr).toBeGreaterThan(50); // measured 64.6 dB: sox up and our down together
    for (const r of rows) expect(wordErrors(r.text, r.after).referenceWords).toBeGreaterThan(0);
  }, 600_000); // ≈ 48 recognizer runs of 1–2 s CPU each, two at a time: ~30 s on an idle 2-core machine

  it('the runner reports a missing program as WG_ERR_HANDLER_UNAVAILABLE and a bad file as WG_ERR_HANDLER_FAILED', async () => {
    const missing = await transcribeFile(join(FIXTURES, 's01-slt.wav'), { command: 'pocketsphinx_continuous_not_here' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(WavegateError);
    expect((missing as WavegateError).code).toBe('WG_ERR_HANDLER_UNAVAILABLE');
    const bad = await transcribeFile(join(FIXTURES, 'no-such-file.wav')).catch((e: unknown) => e);
    expect((bad as WavegateError).code).toBe('WG_ERR_HANDLER_FAILED');
    await expect(transcribePcm(new Int16Array(10), 4000)).rejects.toMatchObject({ code: 'WG_ERR_UNSUPPORTED_FORMAT' });
    await expect(transcribeFile('x.wav', { timeoutMs: -1 })).rejects.toThrow(/timeoutMs.*-1/);
  });
});
