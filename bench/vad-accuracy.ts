/**
 * Both voice activity detectors — the WebRTC VAD and Silero — on the 24 speech fixtures padded with
 * 1 s of silence each side, under silence, white and pink noise (30/20/10/5 dB SNR), babble (three
 * other fixtures at −6 and −12 dB), music (a chord sequence, 10 dB SNR) and transients (clicks, door
 * slams). Per detector and condition: frame accuracy against labels from the clean file's own energy
 * (labelSpeechFrames, −40 dB below its peak), speech-onset delay (true onset → `started_talking` of
 * the turn logic at its defaults; median, p95), turns per file (1 is right), CPU per 20 ms of audio.
 * Then false `started_talking` per minute on pure noise (no speech). Writes bench/results/vad-accuracy.json.
 *
 *   npm run build && node dist/bench/vad-accuracy.js [--minutes 10] [--grid]
 *
 * `--grid` adds the WebRTC VAD's mode × frame-length grid on the old conditions (how its defaults were picked).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PauseDetector } from '../src/turn/pause-detector.js';
import { DEFAULT_ALGO_OPTIONS, resolveAlgoOptions } from '../src/turn/turn-options.js';
import { accuracyOf, addScores, EMPTY_SCORE, labelSpeechFrames, padAndMix, scoreVad, type FrameScore } from '../src/vad/vad-evaluation.js';
import { createSileroVad, DEFAULT_SILERO_VAD_OPTIONS } from '../src/vad/silero-vad.js';
import type { VoiceActivityDetector } from '../src/vad/voice-activity-detector.js';
import { createWebRtcVad, DEFAULT_WEBRTC_VAD_OPTIONS, type WebRtcVadOptions } from '../src/vad/webrtc-vad.js';
import { benchNoise, type BenchNoise } from './vad-noise.js';
import { loadSpeechFixtures, type SpeechFixture } from './vad-speech-fixtures.js';

export interface Condition {
  readonly name: string;
  readonly noise: BenchNoise;
  /** Speech-to-noise ratio in dB (speech RMS over its labelled frames); ignored for 'none'. */
  readonly snrDb: number;
}

export const CONDITIONS: readonly Condition[] = [
  { name: 'silence', noise: 'none', snrDb: Infinity },
  ...[30, 20, 10, 5].map((snrDb) => ({ name: `white ${snrDb} dB SNR`, noise: 'white' as const, snrDb })),
  ...[30, 20, 10, 5].map((snrDb) => ({ name: `pink ${snrDb} dB SNR`, noise: 'pink' as const, snrDb })),
  { name: 'babble −6 dB', noise: 'babble', snrDb: 6 },
  { name: 'babble −12 dB', noise: 'babble', snrDb: 12 },
  { name: 'music 10 dB SNR', noise: 'music', snrDb: 10 },
  { name: 'transients', noise: 'transients', snrDb: 0 },
];

/** Pure noise for false `started_talking`: the levels of the mixed conditions, relative to the fixtures' mean speech level. */
export const PURE_NOISES: ReadonlyArray<{ name: string; noise: BenchNoise; snrDb: number }> = [
  { name: 'white (10 dB below speech)', noise: 'white', snrDb: 10 },
  { name: 'pink (10 dB below speech)', noise: 'pink', snrDb: 10 },
  { name: 'babble (6 dB below speech)', noise: 'babble', snrDb: 6 },
  { name: 'music (10 dB below speech)', noise: 'music', snrDb: 10 },
  { name: 'transients (clicks, door slams)', noise: 'transients', snrDb: 0 },
];

export type DetectorName = 'webrtc' | 'silero' | 'silero (no energy floor)';
export const DETECTORS: readonly DetectorName[] = ['webrtc', 'silero', 'silero (no energy floor)'];

export function makeDetector(name: DetectorName, sampleRate: number): Promise<VoiceActivityDetector> {
  if (name === 'webrtc') return createWebRtcVad(sampleRate);
  return createSileroVad(sampleRate, name === 'silero' ? {} : { energyFloorDbfs: -Infinity });
}

export function speechRms(samples: Int16Array, labels: readonly boolean[], frameSamples: number): number {
  let energy = 0;
  let count = 0;
  labels.forEach((speech, f) => {
    if (!speech) return;
    for (let i = f * frameSamples; i < (f + 1) * frameSamples; i++) energy += samples[i]! ** 2;
    count += frameSamples;
  });
  return Math.sqrt(energy / Math.max(1, count));
}

/** The fixture padded and mixed with a condition's noise (the same noise for every detector). */
export function mixCondition(fixtures: readonly SpeechFixture[], index: number, condition: Condition): { mixed: Int16Array; speech: Int16Array } {
  const fixture = fixtures[index]!;
  const pad = fixture.sampleRate;
  const level = speechRms(fixture.samples, labelSpeechFrames(fixture.samples, 160), 160) / 10 ** (condition.snrDb / 20);
  const noise = benchNoise(condition.noise, fixtures, index, fixture.samples.length + 2 * pad, condition.noise === 'none' ? 0 : level);
  return padAndMix(fixture.samples, pad, noise);
}

export interface ConditionResult {
  accuracy: number;
  score: FrameScore;
  onsetMs: number[];
  falseEarlyStarts: number;
  turnsPerFile: number[];
  cpuUsPer20ms: number;
}

const percentile = (xs: readonly number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

/** One detector on every fixture under one condition. */
export async function measure(fixtures: readonly SpeechFixture[], condition: Condition, detector: DetectorName): Promise<ConditionResult> {
  let score = EMPTY_SCORE;
  const onsetMs: number[] = [];
  const turnsPerFile: number[] = [];
  let falseEarlyStarts = 0;
  let cpuUs = 0;
  let audioMs = 0;
  for (let index = 0; index < fixtures.length; index++) {
    const { mixed, speech } = mixCondition(fixtures, index, condition);
    const vad = await makeDetector(detector, fixtures[index]!.sampleRate);
    const n = vad.frameSamples;
    const labels = labelSpeechFrames(speech, n);
    const onsetFrame = labels.indexOf(true);
    const turns = new PauseDetector(DEFAULT_ALGO_OPTIONS, vad.frameMs);
    const verdicts: boolean[] = [];
    const c0 = process.cpuUsage();
    for (let f = 0; (f + 1) * n <= mixed.length; f++) verdicts.push(vad.isSpeech(mixed.subarray(f * n, (f + 1) * n)));
    const c1 = process.cpuUsage(c0);
    cpuUs += c1.user + c1.system;
    audioMs += (verdicts.length * n * 1000) / vad.sampleRate;
    vad.reset();
    score = addScores(score, scoreVad(vad, mixed, labels));
    vad.close();
    let started = 0;
    let onsetSeen = false;
    verdicts.forEach((v, f) => {
      if (turns.push(mixed.subarray(f * n, (f + 1) * n), v).type !== 'started_talking') return;
      started++;
      if (f < onsetFrame) falseEarlyStarts++;
      else if (!onsetSeen) {
        onsetSeen = true;
        onsetMs.push((f + 1 - onsetFrame) * vad.frameMs);
      }
    });
    turnsPerFile.push(started);
  }
  return { accuracy: accuracyOf(score), score, onsetMs, falseEarlyStarts, turnsPerFile, cpuUsPer20ms: (cpuUs / audioMs) * 20 };
}

/** `minutes` of one noise alone: `started_talking` per minute at the defaults (and without minSpeechS, the old logic). */
export async function falseStarts(fixtures: readonly SpeechFixture[], noise: BenchNoise, snrDb: number, detector: DetectorName, minutes: number): Promise<{ perMinute: number; perMinuteWithoutMinSpeech: number; shareInFalseTurn: number; cpuUsPer20ms: number }> {
  const vad = await makeDetector(detector, 16_000);
  const n = vad.frameSamples;
  const level = meanSpeechRms(fixtures) / 10 ** (snrDb / 20);
  const turns = new PauseDetector(DEFAULT_ALGO_OPTIONS, vad.frameMs);
  const oldTurns = new PauseDetector(resolveAlgoOptions({ minSpeechS: 0 }), vad.frameMs);
  let starts = 0;
  let oldStarts = 0;
  let cpuUs = 0;
  let inTurn = 0;
  let total = 0;
  for (let m = 0; m < minutes; m++) {
    const samples = benchNoise(noise, fixtures, 100 + m, 60 * 16_000, level);
    const pcm = Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v))));
    for (let f = 0; (f + 1) * n <= pcm.length; f++) {
      const frame = pcm.subarray(f * n, (f + 1) * n);
      const c0 = process.cpuUsage();
      const v = vad.isSpeech(frame);
      const c1 = process.cpuUsage(c0);
      cpuUs += c1.user + c1.system;
      if (turns.push(frame, v).type === 'started_talking') starts++;
      if (oldTurns.push(frame, v).type === 'started_talking') oldStarts++;
      total++;
      if (turns.isTalking) inTurn++;
    }
  }
  vad.close();
  return { perMinute: starts / minutes, perMinuteWithoutMinSpeech: oldStarts / minutes, shareInFalseTurn: round(inTurn / total), cpuUsPer20ms: (cpuUs / (minutes * 60_000)) * 20 };
}

export function meanSpeechRms(fixtures: readonly SpeechFixture[]): number {
  let e = 0;
  for (const f of fixtures) e += speechRms(f.samples, labelSpeechFrames(f.samples, 160), 160) ** 2;
  return Math.sqrt(e / fixtures.length);
}

async function webrtcGrid(fixtures: readonly SpeechFixture[]): Promise<Array<Record<string, unknown>>> {
  const rows: Array<Record<string, unknown>> = [];
  const old = CONDITIONS.filter((c) => ['silence', 'white 30 dB SNR', 'white 20 dB SNR', 'pink 20 dB SNR', 'white 10 dB SNR'].includes(c.name));
  for (const mode of [0, 1, 2, 3] as const) {
    for (const frameMs of [10, 20, 30] as const) {
      const row: Record<string, unknown> = { mode, frameMs };
      for (const condition of old) {
        let score = EMPTY_SCORE;
        for (let i = 0; i < fixtures.length; i++) {
          const { mixed, speech } = mixCondition(fixtures, i, condition);
          const vad = await createWebRtcVad(16_000, { mode, frameMs } as WebRtcVadOptions);
          score = addScores(score, scoreVad(vad, mixed, labelSpeechFrames(speech, vad.frameSamples)));
          vad.close();
        }
        row[condition.name] = round(accuracyOf(score));
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const minutes = Number(args[args.indexOf('--minutes') + 1]) || 10;
  const fixtures = loadSpeechFixtures();
  const started = Date.now();
  const conditions: Record<string, Record<string, unknown>> = {};
  for (const condition of CONDITIONS) {
    const row: Record<string, unknown> = {};
    for (const detector of DETECTORS) {
      const r = await measure(fixtures, condition, detector);
      row[detector] = {
        accuracy: round(r.accuracy),
        onsetMedianMs: Math.round(percentile(r.onsetMs, 50)),
        onsetP95Ms: Math.round(percentile(r.onsetMs, 95)),
        filesWithoutTurn: fixtures.length - r.onsetMs.length,
        falseStartsBeforeSpeech: r.falseEarlyStarts,
        filesWithOneTurn: r.turnsPerFile.filter((t) => t === 1).length,
        filesSplit: r.turnsPerFile.filter((t) => t > 1).length,
        turns: r.turnsPerFile.reduce((a, b) => a + b, 0),
        cpuUsPer20ms: round(r.cpuUsPer20ms),
      };
    }
    conditions[condition.name] = row;
    console.log(condition.name, JSON.stringify(row));
  }
  const pureNoise: Record<string, Record<string, unknown>> = {};
  for (const pure of PURE_NOISES) {
    const row: Record<string, unknown> = {};
    for (const detector of DETECTORS.slice(0, 2)) row[detector] = await falseStarts(fixtures, pure.noise, pure.snrDb, detector, minutes);
    pureNoise[pure.name] = row;
    console.log(pure.name, JSON.stringify(row));
  }
  const result = {
    benchmark: 'vad-accuracy',
    detectors: {
      webrtc: { what: 'WebRTC VAD (libfvad via @echogarden/fvad-wasm)', options: DEFAULT_WEBRTC_VAD_OPTIONS },
      silero: { what: 'Silero VAD v6 (@ricky0123/vad-web silero_vad_v6.onnx, onnxruntime-node, 1 thread)', options: DEFAULT_SILERO_VAD_OPTIONS },
      'silero (no energy floor)': { what: 'the same, model run on every window', options: { ...DEFAULT_SILERO_VAD_OPTIONS, energyFloorDbfs: '-Infinity' } },
    },
    turnLogic: DEFAULT_ALGO_OPTIONS,
    fixtures: fixtures.length,
    padding: '1 s silence before and after each file',
    groundTruth: 'frame RMS of the clean file above its peak sample −40 dB',
    onset: 'true speech onset → started_talking of the turn logic at its defaults (ms); median and p95 over files',
    pureNoiseMinutes: minutes,
    pureNoiseLevels: `relative to the fixtures' mean speech RMS (${Math.round(meanSpeechRms(fixtures))} int16 units, ${(20 * Math.log10(meanSpeechRms(fixtures) / 32768)).toFixed(1)} dBFS)`,
    conditions,
    pureNoise,
    ...(args.includes('--grid') && { webrtcGrid: await webrtcGrid(fixtures) }),
    seconds: Math.round((Date.now() - started) / 1000),
    node: process.version,
    date: new Date().toISOString(),
  };
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vad-accuracy.json'), JSON.stringify(result, null, 2) + '\n');
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
