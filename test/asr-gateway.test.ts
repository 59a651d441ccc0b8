/**
 * Acceptance: the asr handler through real sockets. Every speech fixture is streamed in real time
 * (L16 at 16 kHz, and at 48 kHz which the session resamples to 16 kHz) in its own session; the corpus
 * WER of the final transcripts stays within 2 points of pocketsphinx on the clean files (14/206 in
 * test/fixtures/speech/README.md; bench/turn-latency-asr.ts measures both sides). Needs pocketsphinx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import asr, { createAsrHandler } from '../handlers/asr.js';
import { transcribeAll } from '../bench/turn-latency-asr.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';

const fixtures = loadSpeechFixtures();
const CLEAN_WER = 14 / 206;

let gateway: Gateway;
let wsUrl: string;

beforeAll(async () => {
  gateway = createGateway({ handler: asr, port: 0 });
  const { url } = await gateway.listen();
  wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(() => gateway.close());

describe('asr handler through the gateway', () => {
  for (const rate of [16_000, 48_000]) {
    it(`WER over all fixtures at ${rate / 1000} kHz is within 2 points of pocketsphinx on the clean files`, { timeout: 600_000 }, async () => {
      const results = await transcribeAll(wsUrl, fixtures, rate, 2);
      const wer = corpusWordErrors(results.map((r) => ({ reference: r.reference, hypothesis: r.hypothesis })));
      console.log(`asr @ ${rate} Hz: WER ${(wer.wer * 100).toFixed(1)}% (${wer.errors}/${wer.referenceWords}), clean ${(CLEAN_WER * 100).toFixed(1)}%`);
      expect(wer.referenceWords).toBe(206);
      expect(wer.wer - CLEAN_WER).toBeLessThanOrEqual(0.02);
    });
  }

  it('sends partials, turn events, and the final transcript to the socket and to GET /outputs (SSE)', { timeout: 120_000 }, async () => {
    const id = `asr-sse-${process.pid}`;
    const client = await SpeechTestClient.open(wsUrl, id, 16_000);
    const sse = await fetch(`${wsUrl.replace('ws', 'http').replace('/websocket/offer', '')}/outputs?webrtc_id=${id}`);
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    let sseText = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        sseText += new TextDecoder().decode(value);
      }
    })();
    const a = fixtures.find((f) => f.file === 's02-slt.wav')!.samples;
    const b = fixtures.find((f) => f.file === 's03-slt.wav')!.samples;
    // One turn with the files' own 0.38 s of silence between the sentences: pocketsphinx closes a
    // segment there (after 0.3 s: a partial), the turn goes on (a pause needs ~0.5 s).
    await client.stream(concatPcm(silence(300, 16_000), a, b, silence(1500, 16_000)), 16_000);
    await client.until(() => client.json('transcript').some((m) => m.message.data.final), 60_000, 'final transcript');
    await client.until(() => sseText.includes('five six seven'), 10_000, 'the transcript on SSE');
    const transcripts = client.json('transcript').map((m) => m.message);
    const final = transcripts.find((m) => m.data.final)!;
    expect(Object.keys(final).sort()).toEqual(['data', 'type']);
    expect(final.data.text).toMatch(/^turn off the lights in the kitchen .*account.* five six seven$/);
    expect(transcripts[0]).toEqual({ type: 'transcript', data: { text: 'turn off the lights in the kitchen', final: false } });
    expect(client.json('log').map((m) => m.message.data)).toEqual(['started_talking', 'pause_detected']);
    expect(sseText).toContain('"type":"transcript"');
    await client.stop();
    await reader.cancel().catch(() => undefined);
    await reading.catch(() => undefined);
  });

  it('a missing engine fails at handler creation and at gateway start, not at the first frame', async () => {
    const broken = createAsrHandler({ pocketsphinx: { executable: 'pocketsphinx-not-installed' } });
    expect(() => broken.create({})).toThrow(expect.objectContaining({ code: 'WG_ERR_HANDLER_UNAVAILABLE', message: expect.stringMatching(/pocketsphinx-not-installed/) }));
    const g = createGateway({ handler: broken, port: 0 });
    await expect(g.listen()).rejects.toMatchObject({ code: 'WG_ERR_HANDLER_UNAVAILABLE' });
    await g.close();
  });

  it('refuses unknown or engine options from a client start message, naming them', async () => {
    const client = await SpeechTestClient.open(wsUrl, `asr-bad-${process.pid}`, 16_000, 16_000, { pocketsphinx: { executable: '/bin/sh' } });
    const code = await client.closed;
    expect(client.json('error')[0]?.message.code).toBe('WG_ERR_OPTION_NOT_ALLOWED');
    const error = client.json('error')[0]?.message ?? client.json().map((m) => m.message).find((m) => m.status === 'failed' || m.type === 'error');
    expect(code).toBe(1008);
    // Refused by the handler's clientOptions allowlist before the handler sees it (WG_ERR_OPTION_NOT_ALLOWED).
    expect(JSON.stringify(error)).toMatch(/\\"pocketsphinx\\"/);
  });
});
