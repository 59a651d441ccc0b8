/**
 * Acceptance: barge-in with the Silero VAD through the real gateway, in real time. A reply is
 * speaking (a 30 s answer to every turn, paced out); 20 non-speech transients (clicks, door slams)
 * over it cause no `clear`; 20 spoken interruptions each cause one, the reply stopped within 300 ms
 * of speech onset in audio time (counted in VAD windows, so a loaded machine does not change it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchNoise } from '../bench/vad-noise.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createAudioFrame } from '../src/audio/audio-frame.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { replyOnPause } from '../src/turn/reply-on-pause.js';
import { labelSpeechFrames } from '../src/vad/vad-evaluation.js';
import { chooseVad } from '../src/vad/vad-choice.js';
import type { VadFactory } from '../src/vad/voice-activity-detector.js';
import type { HandlerDefinition } from '../src/handler/handler.js';

const fixtures = loadSpeechFixtures();
const lossless = <O>(definition: HandlerDefinition<O>): HandlerDefinition<O> => ({ ...definition, inputTiming: 'lossless' });

describe('barge-in with the Silero VAD (real time)', () => {
  /** Window index the VAD had reached when each reply was interrupted, and the reply count. */
  const state = { windows: 0, abortedAtWindow: [] as number[], replies: 0 };
  let wsUrl = '';
  let gateway: Gateway | undefined;
  const tone = Int16Array.from({ length: 16_000 * 30 }, (_, i) => Math.round(2500 * Math.sin((2 * Math.PI * 220 * i) / 16_000)));

  beforeAll(async () => {
    const inner = chooseVad('silero').factory;
    const counting: VadFactory = async (rate) => {
      const vad = await inner(rate);
      return { ...vad, name: vad.name, sampleRate: vad.sampleRate, frameSamples: vad.frameSamples, frameMs: vad.frameMs, isSpeech: (f) => (state.windows++, vad.isSpeech(f)), reset: () => vad.reset(), close: () => vad.close() };
    };
    // The agent speaking: a 30 s answer to every turn, paced out; barge-in stops it.
    const handler = replyOnPause(
      async function* (turn) {
        state.replies++;
        turn.signal.addEventListener('abort', () => state.abortedAtWindow.push(state.windows), { once: true });
        for (let o = 0; o < tone.length; o += 320) yield createAudioFrame(tone.slice(o, o + 320), 16_000);
      },
      { vad: counting },
    );
    gateway = createGateway({ handler: lossless(handler), port: 0 });
    const { url } = await gateway.listen();
    wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
  });
  afterAll(() => gateway?.close());

  it('20 transients over a reply: 0 clear; 20 spoken interruptions: each a clear, within 300 ms of speech onset', { timeout: 110_000 }, async () => {
    const client = await SpeechTestClient.open(wsUrl, `silero-barge-${process.pid}`, 16_000);
    const quiet = (ms: number) => silence(ms, 16_000);
    // The input is lossless and framed from its first sample: VAD window k is samples [512k, 512k + 512)
    // of everything sent, whatever the machine's load. `sent` counts what was streamed (20 ms frames).
    let sent = 0;
    const send = async (pcm: Int16Array) => {
      await client.stream(pcm, 16_000);
      sent += Math.ceil(pcm.length / 320) * 320;
    };
    // Start the answer with one spoken turn.
    await send(concatPcm(quiet(300), fixtures[0]!.samples, quiet(900)));
    await client.until(() => client.audio().length > 10, 10_000, 'the answer to start');
    // 20 transients: clicks and door slams (bench/vad-noise.ts), about one every 0.6–1.4 s.
    const bangs = Int16Array.from(benchNoise('transients', fixtures, 7, 16_000 * 20, 3000), (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
    await send(bangs);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.json('clear')).toHaveLength(0);
    expect(state.abortedAtWindow).toHaveLength(0);
    // 20 interruptions: each the start of a sentence (1 s), then a pause; each answered again.
    const delaysMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const fixture = fixtures[1 + i]!;
      const words = fixture.samples.subarray(0, 16_000);
      const onsetSample = sent + labelSpeechFrames(words, 160).indexOf(true) * 160;
      const clears = client.json('clear').length;
      await send(concatPcm(words, quiet(900)));
      await client.until(() => client.json('clear').length > clears, 5_000, `clear for interruption ${i}`);
      // Audio time from the interruption's speech onset to the end of the window that stopped the reply.
      delaysMs.push(Math.round((state.abortedAtWindow[i]! * 512 - onsetSample) / 16));
      await client.until(() => state.replies >= i + 2 && client.audio().length > 0, 10_000, 'the next answer');
    }
    await client.stop();
    const sorted = [...delaysMs].sort((a, b) => a - b);
    console.log(`barge-in (silero): clear after ${sorted[10]} ms of speech median, ${sorted[19]} ms max (audio time, onset → deciding window end)`);
    expect(client.json('clear')).toHaveLength(20);
    expect(Math.max(...delaysMs)).toBeLessThanOrEqual(300);
  });
});
