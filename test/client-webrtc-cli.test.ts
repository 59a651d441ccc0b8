// `wavegate client --transport webrtc` end to end under plain node: `node bin/wavegate.js serve --port 0`
// in one process, `node bin/wavegate.js client --transport webrtc …` in others (the built dist/, as a
// user runs it: werift and @discordjs/opus loaded the way plain ESM loads them), real UDP, real-time pacing.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { readWav } from '../src/wav/wav-file.js';
import { runWavegate, startServe, type CliProcess } from './support/cli-process.js';
import { withoutStallSilence } from './support/reply-without-stalls.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const INPUT = 'test/fixtures/speech/s01-slt.wav';
/** The whole test suite shares two cores: give a stalled server time before calling the reply complete. */
const PATIENT = ['--quiet', '2000', '--drain-timeout', '30000', '--connect-timeout', '90000'];

function checkBuild(): void {
  for (const file of ['clients/client-command', 'clients/stream-audio', 'clients/webrtc-connection', 'clients/webrtc-peer']) {
    const built = `${root}dist/${file}.js`;
    if (!existsSync(built) || statSync(`${root}${file}.ts`).mtimeMs > statSync(built).mtimeMs) {
      throw new Error(`dist/${file}.js is missing or older than its source: run \`npx tsc -p tsconfig.json\` first (npm test does)`);
    }
  }
}

describe('wavegate client --transport webrtc against wavegate serve (plain node)', () => {
  let server: CliProcess;
  let dir: string;

  beforeAll(async () => {
    checkBuild();
    dir = mkdtempSync(join(tmpdir(), 'wavegate-client-webrtc-'));
    // FastRTC closes a peer not connected in 30 s; a starved machine can take longer to set one up.
    server = await startServe(['--webrtc-connect-timeout', '120']);
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('--help documents the transport', async () => {
    const run = await runWavegate(['client', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--transport NAME\s+websocket .* or webrtc/s);
    expect(run.stdout).toMatch(/--no-trickle/);
    expect(run.stdout).toMatch(/--ice-server URL/);
    expect(run.stdout).toMatch(/--connect-timeout MS/);
  });

  // One connection per flow: FastRTC's client flow (trickled candidates) here with the JSON summary, its
  // Next.js demo's (never trickles) in the text-summary test below. Peer setup on a starved machine is slow.
  test.each([
    { name: 'trickled candidates (FastRTC client)', args: [] },
  ])('$name: the reply WAV echoes the input, round trip printed', async ({ name, args }) => {
    const out = join(dir, `${args.length}.wav`);
    const run = await runWavegate(['client', '--transport', 'webrtc', '--url', `${server.url}/webrtc/offer`, '--in', INPUT, '--out', out, '--id', `cli-webrtc-${args.length}`, '--summary-json', ...PATIENT, ...args]);
    expect(run.stderr, name).toBe('');
    expect(run.code, `${name}: ${run.stdout}`).toBe(0);
    const summary = JSON.parse(run.stdout) as Record<string, any>;
    expect(summary.errors).toEqual([]);
    expect(summary.refused).toBeUndefined();
    const inputMs = ((await readWav(INPUT)).samples.length * 1000) / 16_000;
    expect(summary.sentMs).toBeGreaterThanOrEqual(inputMs);
    expect(summary.receivedMs, run.stdout).toBeGreaterThanOrEqual(inputMs - 200);
    expect(summary.echoMatch).toBeGreaterThanOrEqual(0.8);
    expect(summary.echoRtt.count).toBeGreaterThan(50);
    expect(summary.markRtt.count).toBe(0);
    const reply = await readWav(out);
    expect(reply.sampleRate).toBe(48_000);
    expect(reply.channels).toBe(1);
    const wav = await readWav(INPUT);
    const input = new StreamingResampler(wav.sampleRate, 48_000).processAll(wav.samples);
    const { correlation } = envelopeCorrelation(rmsEnvelope(input, 48_000), rmsEnvelope(withoutStallSilence(reply.samples), 48_000), 100);
    expect(correlation, name).toBeGreaterThan(0.85);
  }, 120_000);

  test('no trickle (FastRTC Next.js demo), text summary naming the transport limits; bad flags are refused', async () => {
    const out = join(dir, 'text.wav');
    const run = await runWavegate(['client', '--transport', 'webrtc', '--no-trickle', '--url', `${server.url}/webrtc/offer`, '--in', INPUT, '--out', out, ...PATIENT]);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/round trip \(echo, aligned on content\): p50 [\d.]+ ms/);
    expect(run.stdout).toMatch(/FastRTC has no marks over WebRTC/);
    expect(run.stdout).toMatch(/ended: (drained|end_stream)/);
    expect((await readWav(out)).samples.length).toBeGreaterThan(48_000);
    const l16 = await runWavegate(['client', '--transport', 'webrtc', '--encoding', 'l16', '--in', INPUT, '--out', out]);
    expect(l16.code).toBe(1);
    expect(l16.stderr).toMatch(/--transport webrtc sends Opus, got --encoding l16/);
    const wsUrl = await runWavegate(['client', '--transport', 'webrtc', '--url', 'ws://127.0.0.1:1/websocket/offer', '--in', INPUT, '--out', out]);
    expect(wsUrl.code).toBe(1);
    expect(wsUrl.stderr).toMatch(/`url`.*http:\/\/ or https:\/\//);
    const ice = await runWavegate(['client', '--transport', 'webrtc', '--ice-server', 'nope', '--in', INPUT, '--out', out]);
    expect(ice.code).toBe(1);
    expect(ice.stderr).toMatch(/--ice-server expects/);
  }, 120_000);
});
