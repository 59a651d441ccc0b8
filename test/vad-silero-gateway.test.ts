/**
 * Acceptance of the Silero VAD through the real gateway over WebSockets (docs/handlers.md, "Which
 * detector"): replyOnPause echoing each turn, at 10 dB white SNR, frame accuracy ≥ 0.93 and turns per
 * file no worse than the WebRTC VAD; false `started_talking` on pink noise and music ≤ 1 per minute
 * (babble reported); barge-in: transients over a reply never `clear`, spoken interruptions do, within
 * 300 ms of speech onset in audio time. The handler's input is lossless, so the accuracy and noise
 * parts are sent 5× faster than real time; the barge-in part is sent in real time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixCondition, CONDITIONS, meanSpeechRms } from '../bench/vad-accuracy.js';
import { benchNoise } from '../bench/vad-noise.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createAudioFrame } from '../src/audio/audio-frame.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { HandlerDefinition } from '../src/handler/handler.js';
import { replyOnPause } from '../src/turn/reply-on-pause.js';
import { labelSpeechFrames } from '../src/vad/vad-evaluation.js';
import { chooseVad, type VadName } from '../src/vad/vad-choice.js';
import type { VadFactory, VoiceActivityDetector } from '../src/vad/voice-activity-detector.js';

const fixtures = loadSpeechFixtures();

/** A detector that records every verdict (and the frame) the gateway's session gave it. */
function recording(name: VadName, log: { frames: Int16Array[]; verdicts: boolean[] }): VadFactory {
  const inner = chooseVad(name).factory;
  return async (rate) => {
    const vad: VoiceActivityDetector = await inner(rate);
    return {
      ...vad,
      name: vad.name,
      sampleRate: vad.sampleRate,
      frameSamples: vad.frameSamples,
      frameMs: vad.frameMs,
      isSpeech(frame) {
        const said = vad.isSpeech(frame);
        log.frames.push(frame.slice());
        log.verdicts.push(said);
        return said;
      },
      reset: () => vad.reset(),
      close: () => vad.close(),
    };
  };
}

function lossless<O>(definition: HandlerDefinition<O>): HandlerDefinition<O> {
  return { ...definition, inputTiming: 'lossless' };
}

/** Sends 20 ms frames `speed` times faster than real time. */
async function sendFast(client: SpeechTestClient, samples: Int16Array, speed: number): Promise<void> {
  const start = performance.now();
  for (let k = 0, o = 0; o < samples.length; k++, o += 320) {
    const wait = start + (k * 20) / speed - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const frame = new Int16Array(320);
    frame.set(samples.subarray(o, o + 320));
    client.socket.send(new Uint8Array(frame.buffer));
  }
}

async function withGateway<T>(handler: HandlerDefinition<any>, run: (wsUrl: string) => Promise<T>): Promise<T> {
  const gateway: Gateway = createGateway({ handler, port: 0 });
  const { url } = await gateway.listen();
  try {
    return await run(`${url.replace('http', 'ws')}/websocket/offer`);
  } finally {
    await gateway.close();
  }
}

const logs = (client: SpeechTestClient, what: string) => client.json('log').filter((m) => m.message.data === what).length;

describe('Silero VAD through the gateway', () => {
  const subset = fixtures.filter((_, i) => i % 3 === 0); // 8 files
  const white10 = CONDITIONS.find((c) => c.name === 'white 10 dB SNR')!;

  async function noisyTurns(name: VadName) {
    const log = { frames: [] as Int16Array[], verdicts: [] as boolean[] };
    const handler = lossless(replyOnPause(async function* (turn) { yield turn.audio; }, { vad: recording(name, log) }));
    return withGateway(handler, async (wsUrl) => {
      const client = await SpeechTestClient.open(wsUrl, `silero-accuracy-${name}-${process.pid}`, 16_000);
      const turnsPerFile: number[] = [];
      const mixedAll: Int16Array[] = [];
      const speechAll: Int16Array[] = [];
      for (const fixture of subset) {
        const { mixed, speech } = mixCondition(fixtures, fixtures.indexOf(fixture), white10);
        // Whole 512-sample windows per file, so windows line up with the files.
        const length = Math.floor(mixed.length / 1536) * 1536;
        mixedAll.push(mixed.subarray(0, length));
        speechAll.push(speech.subarray(0, length));
        const before = logs(client, 'started_talking');
        await sendFast(client, mixed.subarray(0, length), 5);
        await client.until(() => log.frames.length * log.frames[0]!.length >= mixedAll.reduce((n, m) => n + m.length, 0) - 1536, 20_000, 'the file processed');
        turnsPerFile.push(logs(client, 'started_talking') - before);
      }
      await client.until(() => logs(client, 'pause_detected') >= logs(client, 'started_talking'), 10_000, 'the last turn to end');
      const echoed = client.audio().length;
      await client.stop();
      const n = log.frames[0]!.length;
      // Labels per file (each against its own peak, as bench/vad-accuracy.ts does).
      const labels = speechAll.flatMap((speech) => labelSpeechFrames(speech, n)).slice(0, log.verdicts.length);
      // The verdicts were given to exactly the audio sent: check, then score them.
      const sent = concatPcm(...mixedAll);
      expect(Array.from(log.frames[3]!)).toEqual(Array.from(sent.subarray(3 * n, 4 * n)));
      let right = 0;
      labels.forEach((truth, f) => (right += truth === log.verdicts[f] ? 1 : 0));
      return { accuracy: right / labels.length, turnsPerFile, echoed };
    });
  }

  it('10 dB white SNR: frame accuracy ≥ 0.93, one turn per file, each echoed; no more split or merged turns than the WebRTC VAD', { timeout: 90_000 }, async () => {
    const silero = await noisyTurns('silero');
    const webrtc = await noisyTurns('webrtc');
    const wrong = (turns: number[]) => turns.filter((t) => t !== 1).length;
    console.log(`through the gateway at 10 dB white SNR: silero accuracy ${silero.accuracy.toFixed(4)}, turns per file ${silero.turnsPerFile.join(',')}; webrtc ${webrtc.accuracy.toFixed(4)}, ${webrtc.turnsPerFile.join(',')}`);
    expect(silero.accuracy).toBeGreaterThanOrEqual(0.93);
    expect(silero.accuracy).toBeGreaterThan(webrtc.accuracy);
    expect(wrong(silero.turnsPerFile)).toBeLessThanOrEqual(wrong(webrtc.turnsPerFile));
    expect(silero.echoed).toBeGreaterThan(0);
  });

  it('pure noise at the defaults: pink and music ≤ 1 false started_talking per minute (babble reported)', { timeout: 90_000 }, async () => {
    const level = meanSpeechRms(fixtures);
    const perMinute: Record<string, number> = {};
    const handler = lossless(replyOnPause(async function* (turn) { yield turn.audio; }, { vad: 'silero' }));
    await withGateway(handler, async (wsUrl) => {
      for (const [kind, snrDb] of [['pink', 10], ['music', 10], ['babble', 6]] as const) {
        const client = await SpeechTestClient.open(wsUrl, `silero-noise-${kind}-${process.pid}`, 16_000);
        const noise = Int16Array.from(benchNoise(kind, fixtures, 300, 60 * 16_000, level / 10 ** (snrDb / 20)), (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
        await sendFast(client, noise, 6);
        await new Promise((r) => setTimeout(r, 500));
        perMinute[kind] = logs(client, 'started_talking');
        await client.stop();
      }
    });
    console.log(`false started_talking per minute through the gateway (silero): ${JSON.stringify(perMinute)}`);
    expect(perMinute.pink).toBeLessThanOrEqual(1);
    expect(perMinute.music).toBeLessThanOrEqual(1);
  });
});

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
    // Start the answer with one spoken turn.
    await client.stream(concatPcm(quiet(300), fixtures[0]!.samples, quiet(900)), 16_000);
    await client.until(() => client.audio().length > 10, 10_000, 'the answer to start');
    // 20 transients: clicks and door slams (bench/vad-noise.ts), about one every 0.6–1.4 s.
    const bangs = Int16Array.from(benchNoise('transients', fixtures, 7, 16_000 * 20, 3000), (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
    await client.stream(bangs, 16_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(client.json('clear')).toHaveLength(0);
    expect(state.abortedAtWindow).toHaveLength(0);
    // 20 interruptions: each the start of a sentence (1 s), then a pause; each answered again.
    const delaysMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const fixture = fixtures[1 + i]!;
      const words = fixture.samples.subarray(0, 16_000);
      const onsetWindow = labelSpeechFrames(words, 512).indexOf(true);
      const clears = client.json('clear').length;
      const windowsBefore = state.windows;
      await client.stream(concatPcm(words, quiet(900)), 16_000);
      await client.until(() => client.json('clear').length > clears, 5_000, `clear for interruption ${i}`);
      // Audio time from the interruption's speech onset to the window that stopped the reply.
      const at = state.abortedAtWindow[i]!;
      delaysMs.push((at - windowsBefore - onsetWindow) * 32);
      await client.until(() => state.replies >= i + 2 && client.audio().length > 0, 10_000, 'the next answer');
    }
    await client.stop();
    const sorted = [...delaysMs].sort((a, b) => a - b);
    console.log(`barge-in (silero): clear after ${sorted[10]} ms of speech median, ${sorted[19]} ms max (audio time, onset → deciding window end)`);
    expect(client.json('clear')).toHaveLength(20);
    expect(Math.max(...delaysMs)).toBeLessThanOrEqual(300);
  });
});
