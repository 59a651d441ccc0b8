/**
 * Turn latency through real sockets, default options: end of the user's speech (the last frame of
 * speech in the fixture, sent in real time) → first frame of the reply received. Every speech fixture
 * in its own session, one session at a time.
 *   - voice-loop: pocketsphinx (warm, fed while talking) → "you said …" → flite → paced audio
 *   - turn-only: replyOnPause answering at once with a short tone (turn detection + transport alone)
 * Also barge-in: user speech over a long answer → `clear` received, measured from the moment the
 * audio that makes the speech detectable (the same VAD and thresholds, offline: detectableAtMs) has
 * been sent; and whether any of the interrupted answer's audio came after it.
 * Writes bench/results/turn-latency.json.
 *
 *   npm run build && node dist/bench/turn-latency.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import voiceLoop, { createVoiceLoopHandler } from '../handlers/voice-loop.js';
import { createAudioFrame } from '../src/audio/audio-frame.js';
import { createGateway } from '../src/gateway.js';
import type { HandlerDefinition } from '../src/handler/handler.js';
import { replyOnPause } from '../src/turn/reply-on-pause.js';
import { PauseDetector } from '../src/turn/pause-detector.js';
import { DEFAULT_ALGO_OPTIONS } from '../src/turn/turn-options.js';
import { chooseVad } from '../src/vad/vad-choice.js';
import { lastSpeechMs, percentile } from './turn-latency-asr.js';
import { SpeechTestClient } from './turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence, type SpeechFixture } from './vad-speech-fixtures.js';

const LEAD_MS = 300;

/**
 * When speech onset becomes detectable: the same detector with default options (DEFAULT_VAD: Silero
 * where installed, else the WebRTC VAD; FastRTC's thresholds), run offline over `samples` (16 kHz) after 1 s of silence, says
 * `started_talking`. Returns the ms into `samples` of the audio that completes that decision.
 */
export async function detectableAtMs(samples: Int16Array): Promise<number> {
  const vad = await chooseVad(undefined).factory(16_000);
  try {
    const detector = new PauseDetector(DEFAULT_ALGO_OPTIONS, vad.frameMs);
    const padded = concatPcm(silence(1000, 16_000), samples);
    for (let f = 0; (f + 1) * vad.frameSamples <= padded.length; f++) {
      const frame = padded.subarray(f * vad.frameSamples, (f + 1) * vad.frameSamples);
      if (detector.push(frame, vad.isSpeech(frame)).type === 'started_talking') return (f + 1) * vad.frameMs - 1000;
    }
    throw new Error('no speech detected');
  } finally {
    vad.close();
  }
}

interface TurnTiming {
  file: string;
  /** End of speech sent → pause_detected received. */
  pauseMs: number;
  /** End of speech sent → first reply audio frame received. */
  firstAudioMs: number;
}

async function withGateway<T>(handler: HandlerDefinition<any>, run: (wsUrl: string) => Promise<T>): Promise<T> {
  const gateway = createGateway({ handler, port: 0 });
  const { url } = await gateway.listen();
  try {
    return await run(`${url.replace('http', 'ws')}/websocket/offer`);
  } finally {
    await gateway.close();
  }
}

async function oneTurn(wsUrl: string, fixture: SpeechFixture, id: string): Promise<TurnTiming> {
  const client = await SpeechTestClient.open(wsUrl, id, 16_000);
  try {
    const sentAt = await client.stream(concatPcm(silence(LEAD_MS, 16_000), fixture.samples, silence(1500, 16_000)), 16_000);
    const endOfSpeech = sentAt[Math.floor((LEAD_MS + lastSpeechMs(fixture)) / 20)]!;
    await client.until(() => client.audio().length > 0, 60_000, `a reply to ${fixture.file}`);
    const pause = client.json('log').find((m) => m.message.data === 'pause_detected')!;
    return { file: fixture.file, pauseMs: pause.at - endOfSpeech, firstAudioMs: client.audio()[0]!.at - endOfSpeech };
  } finally {
    await client.stop();
  }
}

async function turns(handler: HandlerDefinition<any>, fixtures: readonly SpeechFixture[], name: string): Promise<Record<string, unknown>> {
  const timings = await withGateway(handler, async (wsUrl) => {
    const out: TurnTiming[] = [];
    for (const [i, f] of fixtures.entries()) out.push(await oneTurn(wsUrl, f, `${name}-${i}-${process.pid}`));
    return out;
  });
  const first = timings.map((t) => t.firstAudioMs);
  const pause = timings.map((t) => t.pauseMs);
  const summary = {
    turns: timings.length,
    firstAudioP50Ms: Math.round(percentile(first, 50)),
    firstAudioP95Ms: Math.round(percentile(first, 95)),
    pauseDetectedP50Ms: Math.round(percentile(pause, 50)),
    pauseDetectedP95Ms: Math.round(percentile(pause, 95)),
    perTurn: timings.map((t) => ({ ...t, pauseMs: Math.round(t.pauseMs), firstAudioMs: Math.round(t.firstAudioMs) })),
  };
  console.log(name, JSON.stringify({ ...summary, perTurn: undefined }));
  return summary;
}

async function bargeIns(fixtures: readonly SpeechFixture[]): Promise<Record<string, unknown>> {
  const longAnswer = 'this is a long answer that goes on for quite a while. '.repeat(6);
  const trials = await withGateway(createVoiceLoopHandler({ replyText: () => longAnswer }), async (wsUrl) => {
    const out: Array<{ stopMs: number; framesAfterClear: number }> = [];
    for (let i = 0; i + 1 < fixtures.length; i += 2) {
      const client = await SpeechTestClient.open(wsUrl, `barge-${i}-${process.pid}`, 16_000);
      try {
        await client.stream(concatPcm(silence(LEAD_MS, 16_000), fixtures[i]!.samples, silence(1000, 16_000)), 16_000);
        await client.until(() => client.audio().length > 0, 60_000, 'the answer');
        await new Promise((r) => setTimeout(r, 800));
        const interrupter = fixtures[i + 1]!;
        const detectableMs = await detectableAtMs(interrupter.samples);
        const sentAt = await client.stream(concatPcm(interrupter.samples, silence(800, 16_000)), 16_000);
        await new Promise((r) => setTimeout(r, 1000));
        const clear = client.json('clear')[0];
        if (!clear) throw new Error(`no clear in trial ${i}`);
        // The interruption is a turn too: its own answer may start later; only audio before that counts.
        const nextAnswer = client.json('log').find((m) => m.at > clear.at && m.message.data === 'response_starting')?.at ?? Infinity;
        const leaked = client.audio().filter((a) => a.at > clear.at && a.at < nextAnswer).length;
        // The frame that completes the deciding audio has been sent: from then on the turn can be known.
        out.push({ stopMs: clear.at - sentAt[Math.ceil(detectableMs / 20) - 1]!, framesAfterClear: leaked });
      } finally {
        await client.stop();
      }
    }
    return out;
  });
  const stops = trials.map((t) => t.stopMs);
  const summary = {
    trials: trials.length,
    clearAfterDetectableP50Ms: Math.round(percentile(stops, 50)),
    clearAfterDetectableP95Ms: Math.round(percentile(stops, 95)),
    framesAfterClear: trials.reduce((n, t) => n + t.framesAfterClear, 0),
    perTrialMs: stops.map(Math.round),
  };
  console.log('barge-in', JSON.stringify(summary));
  return summary;
}

async function main(): Promise<void> {
  const fixtures = loadSpeechFixtures();
  const tone = Int16Array.from({ length: 1600 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * i) / 16_000)));
  const turnOnly = replyOnPause(async function* () {
    for (let o = 0; o < tone.length; o += 320) yield createAudioFrame(tone.slice(o, o + 320), 16_000);
  });
  const result = {
    benchmark: 'turn-latency',
    measured: 'end of user speech sent → first reply audio frame received, real sockets, L16 16 kHz both ways, one session at a time',
    defaults: { audioChunkDuration: 0.6, startedTalkingThreshold: 0.2, speechThreshold: 0.1, vad: 'WebRTC mode 3, 10 ms' },
    turnOnly: await turns(turnOnly, fixtures, 'turn-only'),
    voiceLoop: await turns(voiceLoop, fixtures, 'voice-loop'),
    bargeIn: await bargeIns(fixtures.slice(0, 12)),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    node: process.version,
    date: new Date().toISOString(),
  };
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'turn-latency.json'), JSON.stringify(result, null, 2) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
