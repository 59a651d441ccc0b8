/**
 * Acceptance: the asr handler with the Silero VAD (`--vad silero`, i.e. the `vad` handler option)
 * through real sockets, every clean fixture streamed in real time at 16 kHz L16: one final transcript
 * per file, and the corpus WER the same as pocketsphinx on the whole clean files (test/support/clean-
 * transcripts.ts; 14/206 in test/fixtures/speech/README.md). Needs pocketsphinx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import asr from '../handlers/asr.js';
import { transcribeAll } from '../bench/turn-latency-asr.js';
import { loadSpeechFixtures } from '../bench/vad-speech-fixtures.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';
import { cleanTranscripts } from './support/clean-transcripts.js';

const fixtures = loadSpeechFixtures();
let gateway: Gateway;
let wsUrl: string;

beforeAll(async () => {
  gateway = createGateway({ handler: asr, port: 0, handlerOptions: { vad: 'silero' } });
  const { url } = await gateway.listen();
  wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(() => gateway.close());

describe('asr with the Silero VAD through the gateway', () => {
  it('WER over the clean fixtures at 16 kHz equals pocketsphinx on the whole files', { timeout: 110_000 }, async () => {
    const [results, clean] = await Promise.all([transcribeAll(wsUrl, fixtures, 16_000, 2), cleanTranscripts()]);
    const wer = corpusWordErrors(results.map((r) => ({ reference: r.reference, hypothesis: r.hypothesis })));
    const baseline = corpusWordErrors(fixtures.map((f) => ({ reference: f.text, hypothesis: clean.get(f.file) ?? '' })));
    console.log(`asr + silero @ 16 kHz: ${wer.errors}/${wer.referenceWords} word errors; pocketsphinx on the clean files ${baseline.errors}/${baseline.referenceWords}`);
    expect(wer.referenceWords).toBe(206);
    expect(wer.errors).toBeLessThanOrEqual(baseline.errors);
  });
});
