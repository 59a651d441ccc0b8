/**
 * The asr handler through real sockets: every speech fixture streamed in real time to a gateway
 * (L16 at 16 kHz, and at 48 kHz so the session resamples to 16 kHz), each in its own session with
 * silence around it. Reports the corpus word error rate of the final transcripts beside pocketsphinx
 * on the clean files, and the transcript latency (end of speech sent → final transcript received).
 * Also compares the recogniser strategies (cold process at the pause vs. a warm one fed while talking).
 * Writes bench/results/turn-latency-asr.json.
 *
 *   npm run build && node dist/bench/turn-latency-asr.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import PQueue from 'p-queue';
import asr from '../handlers/asr.js';
import { createGateway } from '../src/gateway.js';
import { transcribePcm } from '../src/speech/pocketsphinx-cli.js';
import { pocketsphinx } from '../src/speech/pocketsphinx-recognizer.js';
import { corpusWordErrors } from '../src/speech/word-error-rate.js';
import { labelSpeechFrames } from '../src/vad/vad-evaluation.js';
import { SpeechTestClient } from './turn-latency-client.js';
import { concatPcm, fixtureAt, loadSpeechFixtures, silence, type SpeechFixture } from './vad-speech-fixtures.js';

export interface FixtureTranscript {
  readonly file: string;
  readonly reference: string;
  readonly hypothesis: string;
  /** End of speech sent → final transcript received (ms). */
  readonly latencyMs: number;
  readonly partials: number;
}

const LEAD_MS = 300;
const TAIL_MS = 1500;

/** Index of the last 10 ms frame of speech in the clean fixture (its own energy labels). */
export function lastSpeechMs(fixture: SpeechFixture): number {
  const labels = labelSpeechFrames(fixture.samples, fixture.sampleRate / 100);
  return (labels.lastIndexOf(true) + 1) * 10;
}

/** Streams one fixture in its own session and returns what the asr handler made of it. */
export async function transcribeThroughGateway(wsUrl: string, fixture: SpeechFixture, rate: number, id: string): Promise<FixtureTranscript> {
  const client = await SpeechTestClient.open(wsUrl, id, rate);
  try {
    const audio = concatPcm(silence(LEAD_MS, rate), fixtureAt(fixture, rate), silence(TAIL_MS, rate));
    const sentAt = await client.stream(audio, rate);
    const endFrame = Math.floor((LEAD_MS + lastSpeechMs(fixture)) / 20);
    const endOfSpeech = sentAt[Math.min(endFrame, sentAt.length - 1)]!;
    const finals = () => client.json('transcript').filter((m) => m.message.data.final === true);
    const pauses = () => client.json('log').filter((m) => m.message.data === 'pause_detected');
    await client.until(() => pauses().length > 0 && finals().length >= pauses().length, 60_000, `final transcripts of ${fixture.file}`);
    const all = finals();
    return {
      file: fixture.file,
      reference: fixture.text,
      hypothesis: all.map((m) => String(m.message.data.text)).filter(Boolean).join(' '),
      latencyMs: all[all.length - 1]!.at - endOfSpeech,
      partials: client.json('transcript').length - all.length,
    };
  } finally {
    await client.stop();
  }
}

export async function transcribeAll(wsUrl: string, fixtures: readonly SpeechFixture[], rate: number, concurrency: number): Promise<FixtureTranscript[]> {
  const queue = new PQueue({ concurrency });
  return Promise.all(fixtures.map((f, i) => queue.add(() => transcribeThroughGateway(wsUrl, f, rate, `asr-${rate}-${i}-${process.pid}`))));
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Recogniser strategies: how long after the end of its audio the text is there. */
async function strategies(fixtures: readonly SpeechFixture[]): Promise<Record<string, number>> {
  const cold: number[] = [];
  const warm: number[] = [];
  for (const fixture of fixtures) {
    let t = performance.now();
    await transcribePcm(fixture.samples);
    cold.push(performance.now() - t);
    const recognizer = pocketsphinx()();
    await new Promise((r) => setTimeout(r, 2000)); // the spare has loaded its model
    const stream = recognizer.startUtterance();
    const step = 320;
    const start = performance.now();
    for (let o = 0, k = 0; o < fixture.samples.length; o += step, k++) {
      const wait = start + k * 20 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      stream.write(fixture.samples.subarray(o, o + step));
    }
    t = performance.now();
    await stream.finish();
    warm.push(performance.now() - t);
    await recognizer.close();
  }
  return {
    coldProcessAtPauseP50Ms: Math.round(percentile(cold, 50)),
    warmProcessFedInRealTimeP50Ms: Math.round(percentile(warm, 50)),
  };
}

async function main(): Promise<void> {
  const fixtures = loadSpeechFixtures();
  const clean: Array<{ reference: string; hypothesis: string }> = [];
  for (const f of fixtures) clean.push({ reference: f.text, hypothesis: await transcribePcm(f.samples) });
  const reference = corpusWordErrors(clean);
  const gateway = createGateway({ handler: asr, port: 0 });
  const { url } = await gateway.listen();
  const wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
  const runs: Record<string, unknown> = {};
  try {
    for (const rate of [16_000, 48_000]) {
      const results = await transcribeAll(wsUrl, fixtures, rate, 2);
      const wer = corpusWordErrors(results.map((r) => ({ reference: r.reference, hypothesis: r.hypothesis })));
      const latencies = results.map((r) => r.latencyMs);
      runs[`l16-${rate}`] = {
        wer: round(wer.wer),
        errors: wer.errors,
        words: wer.referenceWords,
        werPointsAboveClean: round((wer.wer - reference.wer) * 100),
        transcriptLatencyP50Ms: Math.round(percentile(latencies, 50)),
        transcriptLatencyP95Ms: Math.round(percentile(latencies, 95)),
        misrecognised: results.filter((r) => corpusWordErrors([r]).errors > 0).map((r) => `${r.file}: ${r.hypothesis}`),
      };
      console.log(rate, JSON.stringify(runs[`l16-${rate}`]));
    }
  } finally {
    await gateway.close();
  }
  const recognizerStrategies = await strategies(fixtures.slice(0, 6));
  console.log(JSON.stringify(recognizerStrategies));
  const result = {
    benchmark: 'turn-latency-asr',
    handler: 'asr (WebRTC VAD turns, pocketsphinx_continuous warm per utterance)',
    cleanPocketsphinx: { wer: round(reference.wer), errors: reference.errors, words: reference.referenceWords },
    runs,
    recognizerStrategies,
    loadAverage: loadavg().map((l) => round(l)),
    node: process.version,
    date: new Date().toISOString(),
  };
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'turn-latency-asr.json'), JSON.stringify(result, null, 2) + '\n');
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
