import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { transcribePcm } from '../src/speech/pocketsphinx-cli.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';
import { readWav } from '../src/wav/wav-file.js';
import echo from '../handlers/echo.js';
import { cleanTranscripts } from './support/clean-transcripts.js';
import { streamThroughGateway } from './support/stream-through-gateway.js';
import { mapWithLimit } from './support/map-with-limit.js';

const DIR = new URL('./fixtures/speech/', import.meta.url).pathname;
const transcripts = JSON.parse(readFileSync(`${DIR}transcripts.json`, 'utf8')) as Array<{ file: string; text: string }>;

let gateway: Gateway;
let wsUrl: string;
beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  wsUrl = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(() => gateway.close());

// The 16 kHz path in linear PCM (binary L16): μ-law alone, without any gateway, already costs
// pocketsphinx 5 points on these fixtures (24/206 errors against 14/206, measured), so it would hide
// what the gateway itself does to the audio: jitter buffer, resampling, framing, pacing.
describe('speech echoed through the gateway (L16, 16 kHz path)', () => {
  it("keeps pocketsphinx's word error rate within 2 points of the clean fixtures", { timeout: 420_000 }, async () => {
    const t0 = performance.now();
    const echoed = await mapWithLimit(transcripts, 12, async ({ file }) => {
      const wav = await readWav(`${DIR}${file}`);
      expect(wav.sampleRate).toBe(16_000);
      const { output } = await streamThroughGateway(wsUrl, `wer-${file.replace('.wav', '')}`, wav.samples, { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 });
      return output;
    });
    const streamed = performance.now();
    const cleanByFile = await cleanTranscripts();
    const clean = transcripts.map(({ file }) => cleanByFile.get(file)!);
    const through = await mapWithLimit(echoed, 2, (samples) => transcribePcm(samples, 16_000));
    console.log(`streaming ${((streamed - t0) / 1000).toFixed(1)} s, recognition ${((performance.now() - streamed) / 1000).toFixed(1)} s`);
    const cleanWer = corpusWordErrors(transcripts.map((t, i) => ({ reference: t.text, hypothesis: clean[i]! })));
    const echoWer = corpusWordErrors(transcripts.map((t, i) => ({ reference: t.text, hypothesis: through[i]! })));
    console.log(
      `pocketsphinx WER: clean ${(cleanWer.wer * 100).toFixed(1)}% (${cleanWer.errors}/${cleanWer.referenceWords}), ` +
        `through the gateway ${(echoWer.wer * 100).toFixed(1)}% (${echoWer.errors}/${echoWer.referenceWords})`,
    );
    expect(cleanWer.referenceWords).toBeGreaterThan(150);
    expect(echoWer.wer - cleanWer.wer).toBeLessThanOrEqual(0.02);
  });
});
