// End to end under plain node: `node bin/wavegate.js serve --port 0` in one process, `node
// bin/wavegate.js client …` in others, real sockets, real-time pacing. npm test builds dist/ first.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { readWav } from '../src/wav/wav-file.js';
import { correlationAt, rms } from './support/audio-compare.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const INPUT = 'test/fixtures/speech/s01-slt.wav';
/** The whole test suite shares two cores: give a stalled server time before calling the reply complete. */
const PATIENT = ['--quiet', '1500', '--drain-timeout', '30000'];

function checkBuild(): void {
  for (const file of ['clients/client-command', 'clients/stream-audio', 'clients/echo-alignment', 'src/jitter/jitter-buffer']) {
    const built = `${root}dist/${file}.js`;
    if (!existsSync(built) || statSync(`${root}${file}.ts`).mtimeMs > statSync(built).mtimeMs) {
      throw new Error(`dist/${file}.js is missing or older than its source: run \`npx tsc -p tsconfig.json\` first (npm test does)`);
    }
  }
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [`${root}bin/wavegate.js`, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function startServer(args: readonly string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [`${root}bin/wavegate.js`, 'serve', '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start: ${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = output.match(/wavegate listening on http:\/\/([^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(`ws://${m[1]!}/websocket/offer`);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${output}`)));
  });
  return { child, url };
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function inputAt(rate: number): Promise<Int16Array> {
  const wav = await readWav(INPUT);
  return new StreamingResampler(wav.sampleRate, rate).processAll(wav.samples);
}

/**
 * Share of the input's 100 ms speech windows found in the reply with correlation ≥ 0.9, each at its
 * own lag (searched ±200 ms around the previous window's, the first within 1 s): jitter buffers on
 * both ends conceal and stretch, so the reply drifts against the input. A different sentence of the
 * same voice scores 0; a clean echo 1, one starved by a busy machine about 0.5.
 */
function echoedShare(input: Int16Array, reply: Int16Array, rate: number): number {
  const W = rate / 10;
  const floor = rms(input) / 4;
  let lag = 0;
  let speech = 0;
  let echoed = 0;
  for (let start = 0; start + W <= input.length; start += W) {
    const segment = input.subarray(start, start + W);
    const search = start === 0 ? [0, rate] : [lag - rate / 5, lag + rate / 5];
    let best = { lag, c: -Infinity };
    for (let l = Math.max(-start, search[0]!); l <= search[1]!; l += 2) {
      if (start + l + W > reply.length) break;
      const c = correlationAt(segment, reply.subarray(start + l, start + l + W), 0, 2);
      if (c > best.c) best = { lag: l, c };
    }
    if (best.c === -Infinity) break;
    lag = best.lag;
    if (rms(segment) < floor) continue;
    speech++;
    if (best.c >= 0.9) echoed++;
  }
  return echoed / Math.max(1, speech);
}

/**
 * Loudness-contour fidelity for codecs that do not keep the waveform (Opus): 10 ms dB envelopes,
 * each 400 ms window of the input matched (Pearson) against the reply at its own lag within ±300 ms
 * of the previous window's (concealment and stretching shift the reply); mean over windows with speech.
 */
function envelopeCorrelation(a: Int16Array, b: Int16Array, rate: number): number {
  const block = rate / 100;
  const env = (x: Int16Array) =>
    Array.from({ length: Math.floor(x.length / block) }, (_, k) => 10 * Math.log10(x.subarray(k * block, (k + 1) * block).reduce((s, v) => s + v * v, 0) / block + 1));
  const ea = env(a);
  const eb = env(b);
  const pearson = (x: number[], y: number[]) => {
    const n = x.length;
    const mx = x.reduce((s, v) => s + v, 0) / n;
    const my = y.reduce((s, v) => s + v, 0) / n;
    let xy = 0, xx = 0, yy = 0;
    for (let i = 0; i < n; i++) {
      xy += (x[i]! - mx) * (y[i]! - my);
      xx += (x[i]! - mx) ** 2;
      yy += (y[i]! - my) ** 2;
    }
    return xx === 0 || yy === 0 ? 0 : xy / Math.sqrt(xx * yy);
  };
  const W = 40;
  let lag = 0;
  const scores: number[] = [];
  for (let start = 0; start + W <= ea.length; start += W) {
    const x = ea.slice(start, start + W);
    if (Math.max(...x) - Math.min(...x) < 10) continue; // no speech contour in this window
    let best = { lag, c: -Infinity };
    for (let l = start === 0 ? 0 : lag - 30; l <= lag + (start === 0 ? 100 : 30); l++) {
      if (start + l < 0 || start + l + W > eb.length) continue;
      const c = pearson(x, eb.slice(start + l, start + l + W));
      if (c > best.c) best = { lag: l, c };
    }
    if (best.c === -Infinity) break;
    lag = best.lag;
    scores.push(best.c);
  }
  return scores.reduce((s, v) => s + v, 0) / Math.max(1, scores.length);
}

describe('wavegate client CLI against wavegate serve (plain node, real sockets)', () => {
  let server: { child: ChildProcess; url: string };
  let dir: string;

  beforeAll(async () => {
    checkBuild();
    dir = mkdtempSync(join(tmpdir(), 'wavegate-client-'));
    server = await startServer([]);
  });

  afterAll(async () => {
    if (server) await stopServer(server.child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // One retry: a full suite beside other work once starved the jitter buffers into concealing most of
  // the μ-law echo (27 % sample-exact against the 40 % bound); the bound is about the gateway, not the machine.
  test('μ-law like FastRTC, L16 and Opus: each reply WAV has the input length and echoes it; RTT percentiles printed', { retry: 1 }, async () => {
    const cases = [
      { name: 'mulaw', args: [], rate: 24_000 },
      { name: 'l16', args: ['--encoding', 'l16'], rate: 16_000 },
      { name: 'opus', args: ['--encoding', 'opus', '--rate', '48000'], rate: 48_000 },
    ];
    const runs: Run[] = [];
    for (const c of cases) {
      runs.push(await runCli(['client', '--in', INPUT, '--out', join(dir, `${c.name}.wav`), '--url', server.url, '--id', `cli-${c.name}`, '--summary-json', ...PATIENT, ...c.args]));
    }
    const inputMs = ((await readWav(INPUT)).samples.length * 1000) / 16_000;
    for (const [i, c] of cases.entries()) {
      const run = runs[i]!;
      expect(run.stderr, c.name).toBe('');
      expect(run.code, `${c.name}: ${run.stdout}`).toBe(0);
      const summary = JSON.parse(run.stdout) as Record<string, any>;
      expect(summary.ending).toBe('drained');
      expect(summary.errors).toEqual([]);
      // What was sent came back, within what the server's own jitter buffer may do: drop a few
      // near-silent frames to catch up, or conceal stalls when this machine is busy (echoed too).
      expect(summary.sentMs).toBeGreaterThanOrEqual(inputMs);
      expect(summary.receivedMs, `${c.name}: ${run.stdout}`).toBeGreaterThanOrEqual(inputMs - 200);
      const reply = await readWav(join(dir, `${c.name}.wav`));
      expect(reply.sampleRate).toBe(c.rate);
      expect(reply.channels).toBe(1);
      const replyMs = (reply.samples.length * 1000) / c.rate;
      expect(replyMs).toBe(summary.replyMs);
      // The reply is what was played out: the received audio, give or take jitter-buffer concealment and
      // stretching, and silence where the reply stalled longer than concealment covers.
      const p = summary.playout;
      const stretchMs = ((p.concealedSamples + p.insertedSamplesForDeceleration + p.removedSamplesForAcceleration) * 1000) / c.rate;
      expect(Math.abs(replyMs - summary.receivedMs), `${c.name}: ${run.stdout}`).toBeLessThanOrEqual(stretchMs + summary.gapMs + 20);
      expect(replyMs, c.name).toBeGreaterThanOrEqual(inputMs - 240);
      // Round trips were measured on the content and are plausible.
      expect(summary.echoMatch, c.name).toBeGreaterThanOrEqual(0.8);
      expect(summary.echoRtt.count).toBeGreaterThan(50);
      expect(summary.echoRtt.p50).toBeGreaterThan(0);
      expect(summary.echoRtt.p99).toBeGreaterThanOrEqual(summary.echoRtt.p95);
      expect(summary.echoRtt.p95).toBeGreaterThanOrEqual(summary.echoRtt.p50);
      expect(summary.markRtt.count).toBeGreaterThanOrEqual(1);
      // Content: the waveform for the PCM paths; Opus (a perceptual codec, twice) by its loudness contour.
      const input = await inputAt(c.rate);
      if (c.name === 'opus') {
        expect(envelopeCorrelation(input, reply.samples, c.rate), c.name).toBeGreaterThan(0.85);
      } else {
        // Most speech comes back sample-exact (μ-law: to its quantization); stalls on this shared machine
        // can make the jitter buffers conceal some of it.
        expect(echoedShare(input, reply.samples, c.rate), c.name).toBeGreaterThanOrEqual(0.4);
      }
    }
  });

  test('the text summary has the round-trip percentiles; the progress line shows with --progress', async () => {
    const run = await runCli(['client', '--in', 'test/fixtures/speech/s03-slt.wav', '--out', join(dir, 'text.wav'), '--url', server.url, '--progress']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/round trip \(echo, aligned on content\): p50 [\d.]+ ms {2}p95 [\d.]+ ms {2}p99 [\d.]+ ms/);
    expect(run.stdout).toMatch(/round trip \(marks, output side\): p50/);
    expect(run.stdout).toMatch(/playout: target \d+ ms/);
    expect(run.stderr).toMatch(/\rsent [\d.]+\/[\d.]+ s {2}reply [\d.]+ s {2}buffer \d+\/\d+ ms/);
  });

  test('a refused session (concurrency limit) exits 2, the admitted one 0', async () => {
    const limited = await startServer(['--concurrency-limit', '1']);
    try {
      const runs = await Promise.all(
        ['a', 'b'].map((id) => runCli(['client', '--in', INPUT, '--out', join(dir, `limit-${id}.wav`), '--url', limited.url, '--id', `limit-${id}`])),
      );
      expect(runs.map((r) => r.code).sort()).toEqual([0, 2]);
      expect(runs.find((r) => r.code === 2)!.stdout).toMatch(/refused by the server: concurrency_limit_reached \(limit 1\)/);
    } finally {
      await stopServer(limited.child);
    }
  });

  test("the server's clear (barge-in) reaches the client, which flushes its playout and carries on", async () => {
    const clearing = await startServer(['--handler', 'test/client-clear-handler.mjs']);
    try {
      const run = await runCli(['client', '--in', INPUT, '--out', join(dir, 'clear.wav'), '--url', clearing.url, '--summary-json', ...PATIENT]);
      expect(run.code, run.stdout + run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout) as Record<string, any>;
      expect(summary.clears).toBe(1);
      expect(summary.ending).toBe('drained');
      // Audio kept coming after the clear (sent after one second of input).
      expect(summary.receivedMs).toBeGreaterThan(2000);
    } finally {
      await stopServer(clearing.child);
    }
  });

  test('bad use fails with exit 1 and a clear message', async () => {
    const unreachable = await runCli(['client', '--in', INPUT, '--out', join(dir, 'x.wav'), '--url', 'ws://127.0.0.1:9/websocket/offer']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot connect to ws:\/\/127\.0\.0\.1:9\/websocket\/offer/);
    const missing = await runCli(['client', '--out', join(dir, 'x.wav')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--in and --out are required/);
    const encoding = await runCli(['client', '--in', INPUT, '--out', join(dir, 'x.wav'), '--encoding', 'gsm']);
    expect(encoding.code).toBe(1);
    expect(encoding.stderr).toMatch(/--encoding must be mulaw, l16 or opus, got "gsm"/);
    const noFile = await runCli(['client', '--in', 'nope.wav', '--out', join(dir, 'x.wav'), '--url', server.url]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/nope\.wav/);
    const help = await runCli(['client', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: wavegate client --in speech\.wav --out reply\.wav/);
  });
});
