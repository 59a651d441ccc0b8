/**
 * What the turn-taking core costs per session, and so how many sessions a core holds: `sessions`
 * detectors (one model shared, as in the gateway) fed round-robin 20 ms frames of a call-like
 * signal — the user talking half the time (the fixtures), and between turns either digital silence
 * or pink noise 20 dB below the speech (so the energy floor never skips) — each through FrameSplitter
 * → VAD → PauseDetector, as ReplyOnPauseHandler runs them. CPU is process.cpuUsage() over the loop.
 * Writes bench/results/vad-sessions.json.
 *
 *   npm run build && node dist/bench/vad-sessions.js [--sessions 150] [--seconds 20]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { FrameSplitter } from '../src/audio/frame-splitter.js';
import { PauseDetector } from '../src/turn/pause-detector.js';
import { DEFAULT_ALGO_OPTIONS } from '../src/turn/turn-options.js';
import { makeNoise } from '../src/vad/vad-evaluation.js';
import { chooseVad, type VadName } from '../src/vad/vad-choice.js';
import type { VoiceActivityDetector } from '../src/vad/voice-activity-detector.js';
import { meanSpeechRms } from './vad-accuracy.js';
import { loadSpeechFixtures } from './vad-speech-fixtures.js';

type Background = 'silence' | 'pink noise';

function callSignal(seconds: number, background: Background, seed: number): Int16Array {
  const fixtures = loadSpeechFixtures();
  const out = new Int16Array(seconds * 16_000);
  const noise = background === 'silence' ? new Float64Array(out.length) : makeNoise('pink', out.length, meanSpeechRms(fixtures) / 10, seed);
  let at = 0;
  for (let k = seed; at < out.length; k++) {
    const speech = fixtures[k % fixtures.length]!.samples;
    for (let i = 0; i < speech.length && at + i < out.length; i++) out[at + i] = speech[i]!;
    at += speech.length * 2; // as long again listening
  }
  for (let i = 0; i < out.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(out[i]! + noise[i]!)));
  return out;
}

async function measure(vadName: VadName, background: Background, sessions: number, seconds: number) {
  const signals = [0, 1, 2, 3].map((s) => callSignal(seconds, background, s + 1));
  const lanes: Array<{ vad: VoiceActivityDetector; framer: FrameSplitter; turns: PauseDetector; signal: Int16Array }> = [];
  const factory = chooseVad(vadName).factory;
  for (let s = 0; s < sessions; s++) {
    const vad = await factory(16_000);
    lanes.push({ vad, framer: new FrameSplitter(vad.frameSamples), turns: new PauseDetector(DEFAULT_ALGO_OPTIONS, vad.frameMs), signal: signals[s % signals.length]! });
  }
  const frames = seconds * 50;
  let starts = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let f = 0; f < frames; f++) {
    for (const lane of lanes) {
      for (const chunk of lane.framer.push(lane.signal.subarray(f * 320, (f + 1) * 320))) {
        if (lane.turns.push(chunk, lane.vad.isSpeech(chunk)).type === 'started_talking') starts++;
      }
    }
  }
  const c1 = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  for (const lane of lanes) lane.vad.close();
  const usPer20ms = (c1.user + c1.system) / (frames * sessions);
  return { vad: vadName, background, sessions, audioSecondsPerSession: seconds, usPer20msPerSession: round(usPer20ms), sessionsPerCoreTurnTakingAlone: Math.floor(20_000 / usPer20ms), wallMs: Math.round(wallMs), turnsStarted: starts };
}

const round = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const sessions = arg('--sessions', 150);
  const seconds = arg('--seconds', 20);
  const loadBefore = loadavg();
  const rows = [];
  for (const background of ['silence', 'pink noise'] as const) {
    for (const vad of ['webrtc', 'silero'] as const) {
      const row = await measure(vad, background, sessions, seconds);
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
  const result = { benchmark: 'vad-sessions', what: 'FrameSplitter → VAD → PauseDetector per session, sessions round-robin, one shared Silero model', rows, loadAverageBefore: loadBefore, loadAverageAfter: loadavg(), node: process.version, date: new Date().toISOString() };
  const dir = join(process.cwd(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'vad-sessions.json'), JSON.stringify(result, null, 2) + '\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
