/**
 * The voice-loop handler through real sockets: pocketsphinx hears the user, flite answers, the answer
 * is paced back; talking over a long answer stops it (barge-in). Needs pocketsphinx and flite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import voiceLoop, { createVoiceLoopHandler } from '../handlers/voice-loop.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { FliteSynthesizer } from '../src/speech/flite-synthesizer.js';
import { pocketsphinx } from '../src/speech/pocketsphinx-recognizer.js';
import { recognizeAll } from '../src/speech/speech-recognizer.js';
import { detectableAtMs } from '../bench/turn-latency.js';

const fixtures = loadSpeechFixtures();
const fixture = (file: string) => fixtures.find((f) => f.file === file)!;
const FINAL = 'please call me back tomorrow morning at nine';
const LONG_ANSWER = 'this is a long answer that goes on for quite a while. '.repeat(6);

let gateway: Gateway;
let longGateway: Gateway;
let wsUrl: string;
let longWsUrl: string;

const wsOf = (url: string) => `${url.replace('http', 'ws')}/websocket/offer`;

beforeAll(async () => {
  gateway = createGateway({ handler: voiceLoop, port: 0 });
  wsUrl = wsOf((await gateway.listen()).url);
  longGateway = createGateway({ handler: createVoiceLoopHandler({ replyText: () => LONG_ANSWER }), port: 0 });
  longWsUrl = wsOf((await longGateway.listen()).url);
});
afterAll(async () => {
  await gateway.close();
  await longGateway.close();
});

describe('voice-loop handler', () => {
  it('hears the user and answers "you said …" in speech, with transcript, turn events and SSE outputs', { timeout: 120_000 }, async () => {
    const id = `voice-${process.pid}`;
    const client = await SpeechTestClient.open(wsUrl, id, 48_000 / 3); // 16 kHz L16 in and out
    const sse = await fetch(`${wsUrl.replace('ws', 'http').replace('/websocket/offer', '')}/outputs?webrtc_id=${id}`);
    const reader = sse.body!.getReader();
    let sseText = '';
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        sseText += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);
    await client.stream(concatPcm(silence(300, 16_000), fixture('s01-slt.wav').samples, silence(1500, 16_000)), 16_000);
    await client.until(() => client.json('log').some((m) => m.message.data === 'response_starting'), 60_000, 'response_starting');
    // Let the answer play out: it is paced, about 3 s. flite is deterministic, so the answer's length is
    // known: wait for all of it (a wait for "no new audio for a while" mistakes a stalled test process
    // for the end of the answer).
    const expected = (await new FliteSynthesizer().synthesize(`you said ${FINAL}`)).samples.length;
    const received = () => client.audio().reduce((n, a) => n + a.samples.length, 0);
    await client.until(() => received() >= expected - 320, 30_000, 'the whole answer');
    await new Promise((r) => setTimeout(r, 300));
    expect(Math.abs(received() - expected)).toBeLessThanOrEqual(320); // within one 20 ms frame
    const kinds = client.json().map((m) => (m.message.type === 'log' ? m.message.data : m.message.type ?? m.message.event));
    expect(kinds.filter((k) => k !== 'transcript')).toEqual(['started_talking', 'pause_detected', 'response_starting']);
    const final = client.json('transcript').find((m) => m.message.data.final)!.message.data.text;
    expect(final).toBe(FINAL);
    const answer = concatPcm(...client.audio().map((a) => a.samples));
    expect(answer.length / 16_000).toBeGreaterThan(2);
    // Close the loop: what came back is speech that says it.
    const recognizer = pocketsphinx()();
    try {
      const heard = await recognizeAll(recognizer, answer);
      console.log(`voice loop answered: "${heard}"`);
      expect(heard).toMatch(/said/);
      expect(heard).toMatch(/call me back/);
    } finally {
      await recognizer.close();
    }
    expect(sseText).toContain('"type":"reply"');
    expect(sseText).toContain('you said please call me back tomorrow morning at nine');
    await client.stop();
    await reader.cancel().catch(() => undefined);
  });

  it('barge-in: speech over a long answer stops it within 100 ms of the speech being detectable; clear, then nothing', { timeout: 120_000 }, async () => {
    const client = await SpeechTestClient.open(longWsUrl, `barge-${process.pid}`, 16_000);
    await client.stream(concatPcm(silence(300, 16_000), fixture('s02-slt.wav').samples, silence(1000, 16_000)), 16_000);
    await client.until(() => client.audio().length > 0, 60_000, 'the answer to start');
    await new Promise((r) => setTimeout(r, 1000));
    const interrupter = fixture('s05-rms.wav');
    // The turn can be known once the audio that makes this VAD call it a turn has been sent.
    const detectableMs = await detectableAtMs(interrupter.samples);
    const sentAt = await client.stream(concatPcm(interrupter.samples, silence(1000, 16_000)), 16_000);
    const detectable = sentAt[Math.ceil(detectableMs / 20) - 1]!;
    await new Promise((r) => setTimeout(r, 1500));
    const clear = client.json('clear');
    expect(clear).toHaveLength(1);
    const clearAt = clear[0]!.at;
    const audio = client.audio();
    // The interruption is a turn too and gets its own answer later: only audio before that counts.
    const nextAnswer = client.json('log').find((m) => m.at > clearAt && m.message.data === 'response_starting')?.at ?? Infinity;
    const after = audio.filter((a) => a.at > clearAt && a.at < nextAnswer);
    const answerSeconds = audio.filter((a) => a.at < clearAt).reduce((n, a) => n + a.samples.length, 0) / 16_000;
    const stopMs = clearAt - detectable;
    console.log(`barge-in: clear ${stopMs.toFixed(0)} ms after the speech was detectable; ${answerSeconds.toFixed(2)} s of answer sent, ${after.length} frames after clear`);
    expect(after).toHaveLength(0); // the rest of the answer never arrives
    expect(answerSeconds).toBeLessThan(8); // the whole answer is ~17 s
    expect(stopMs).toBeLessThan(400); // target ≤ 100 ms, measured in bench/turn-latency.ts; generous here for a busy machine
    const logs = client.json('log').map((m) => m.message.data);
    expect(logs.slice(0, 4)).toEqual(['started_talking', 'pause_detected', 'response_starting', 'started_talking']);
    await client.stop();
  });

  it('canInterrupt: false (from the client start message) lets the answer play through', { timeout: 120_000 }, async () => {
    const client = await SpeechTestClient.open(longWsUrl, `nobarge-${process.pid}`, 16_000, 16_000, { canInterrupt: false });
    await client.stream(concatPcm(silence(300, 16_000), fixture('s03-slt.wav').samples, silence(1000, 16_000)), 16_000);
    await client.until(() => client.audio().length > 0, 60_000, 'the answer to start');
    await client.stream(fixture('s06-rms.wav').samples, 16_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(client.json('clear')).toHaveLength(0);
    expect(client.json('log').filter((m) => m.message.data === 'started_talking')).toHaveLength(1);
    await client.stop();
  });

  it('refuses a voice flite does not have built in (no paths or URLs), naming it', async () => {
    expect(() => voiceLoop.create({ voice: '/tmp/evil.flitevox' })).toThrow(expect.objectContaining({ code: 'WG_ERR_HANDLER_UNAVAILABLE', message: expect.stringMatching(/voice.*one of flite's voices: .*slt.*evil\.flitevox/) }));
  });
});

