/**
 * Acceptance of the Silero VAD through the real gateway over WebSockets (docs/handlers.md, "Which
 * detector"): replyOnPause echoing each turn, at 10 dB white SNR, frame accuracy ≥ 0.93 and turns per
 * file no worse than the WebRTC VAD; false `started_talking` on pink noise and music ≤ 1 per minute
 * (babble reported); barge-in: transients over a reply never `clear`, spoken interruptions do, within
 * 300 ms of speech onset in audio time (test/vad-silero-barge-in.test.ts). The handler's input is
 * lossless, so the audio is sent 5–6× faster than real time.
 */
import { describe, expect, it } from 'vitest';
import { mixCondition, CONDITIONS, meanSpeechRms } from '../bench/vad-accuracy.js';
import { benchNoise } from '../bench/vad-noise.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures } from '../bench/vad-speech-fixtures.js';
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
