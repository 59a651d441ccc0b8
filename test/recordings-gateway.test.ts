// End to end through real gateway sessions (WS /websocket/offer): what the session taps see is what
// lands on disk; a gateway process killed with SIGKILL leaves a readable file that the next start repairs.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../src/audio/audio-frame.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { parseWavLayout } from '../src/recordings/wav-layout.js';
import { readWav } from '../src/wav/wav-file.js';
import echo from '../handlers/echo.js';
import { rawRequest, tempDir } from './recordings-helpers.js';
import { GatewayProcess } from './signaling-gateway-process.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const L16 = { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 };

let folder: Awaited<ReturnType<typeof tempDir>>;
let gateway: Gateway | undefined;
beforeEach(async () => {
  folder = await tempDir('rec-gateway');
});
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await folder.remove();
});

function payloads(samples: Int16Array, frame = 320): string[] {
  const out: string[] = [];
  for (let i = 0; i < samples.length; i += frame) {
    const chunk = new Int16Array(frame);
    chunk.set(samples.subarray(i, i + frame));
    out.push(Buffer.from(chunk.buffer).toString('base64'));
  }
  return out;
}

function concatSamples(frames: readonly AudioFrame[]): Int16Array {
  const out = new Int16Array(frames.reduce((n, f) => n + f.samples.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f.samples, at);
    at += f.samples.length;
  }
  return out;
}

async function recordedSamples(path: string) {
  const bytes = await readFile(path);
  const layout = parseWavLayout(bytes, bytes.length);
  const data = bytes.subarray(layout.dataOffset, layout.dataOffset + layout.dataBytes);
  return { layout, samples: new Int16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

const bytesOf = (s: Int16Array) => Buffer.from(s.buffer, s.byteOffset, s.byteLength);

function ffprobeDuration(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], (error, stdout, stderr) => {
      if (error) reject(new Error(`ffprobe failed (.ci/run installs ffmpeg): ${error.message} ${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

describe('recording real gateway sessions', () => {
  it('sample-exact: every input sample the session received is in the recording, in order', async () => {
    gateway = createGateway({ handler: echo, port: 0, recordDir: folder.dir, recordMode: 'input' });
    const received: AudioFrame[] = [];
    gateway.sessions.addTapFactory((info) => (info.id === 'exact-e2e' ? { onInput: (f) => void received.push(f), onOutput: () => undefined, close: async () => undefined } : undefined));
    const { url } = await gateway.listen();
    const fixture = await readWav('test/fixtures/speech/s02-slt.wav');
    const client = await WsTestClient.connect(`${url.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: 'exact-e2e', mediaFormat: L16, outputFormat: L16 });
    await sendPaced(payloads(fixture.samples), (payload) => client.send({ event: 'media', media: { payload } }));
    await new Promise((r) => setTimeout(r, 500)); // the jitter buffer plays out its tail
    const jitter = gateway.sessions.registry.get('exact-e2e')!.stats().jitterBuffer;
    client.send({ event: 'stop' });
    expect(await client.waitClose()).toBe(1000); // the session closes its taps before the socket
    const got = concatSamples(received);
    const { layout, samples } = await recordedSamples(join(folder.dir, 'exact-e2e.wav'));
    expect(layout.format).toMatchObject({ sampleRate: 16_000, channels: 1 });
    expect(layout.declaredDataBytes).toBe(got.length * 2); // header patched on close
    expect(samples.length).toBe(got.length); // samples recorded == samples received
    expect(bytesOf(samples).equals(bytesOf(got))).toBe(true);
    expect(gateway.recordings?.totals).toEqual({ closed: 1, failed: 0, writeErrors: 0, droppedFrames: 0, frames: got.length });
    // and what was received is the fixture (padded to whole 20 ms frames) when the jitter buffer did
    // not have to conceal, stretch or drop anything (on a loaded machine it may; that is its business)
    const padded = new Int16Array(Math.ceil(fixture.samples.length / 320) * 320);
    padded.set(fixture.samples);
    const untouched = ['concealedSamples', 'insertedSamplesForDeceleration', 'removedSamplesForAcceleration', 'packetsDiscarded', 'packetsLate', 'packetsFlushed', 'packetsOverflow'].every(
      (k) => (jitter as unknown as Record<string, number>)[k] === 0,
    );
    if (untouched) expect(bytesOf(samples).equals(bytesOf(padded))).toBe(true);
    const listing = JSON.parse((await rawRequest(Number(new URL(url).port), '/recordings')).body.toString()) as { recordings: Array<{ id: string; live: boolean }> };
    expect(listing.recordings).toEqual([expect.objectContaining({ id: 'exact-e2e', live: false })]);
  });

  it('both: stereo, left = what the handler received, right = what the client was sent (resampled to the file rate)', async () => {
    gateway = createGateway({ handler: echo, port: 0, recordDir: folder.dir, recordMode: 'both' });
    const received: AudioFrame[] = [];
    const sent: AudioFrame[] = [];
    gateway.sessions.addTapFactory(() => ({ onInput: (f) => void received.push(f), onOutput: (f) => void sent.push(f), close: async () => undefined }));
    const { url } = await gateway.listen();
    const fixture = await readWav('test/fixtures/speech/s03-slt.wav');
    const client = await WsTestClient.connect(`${url.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: 'stereo-e2e', mediaFormat: L16, outputFormat: { ...L16, sampleRate: 24_000 } });
    await sendPaced(payloads(fixture.samples), (payload) => client.send({ event: 'media', media: { payload } }));
    await new Promise((r) => setTimeout(r, 600));
    client.send({ event: 'stop' });
    await client.waitClose();
    const { layout, samples } = await recordedSamples(join(folder.dir, 'stereo-e2e.wav'));
    expect(layout.format).toMatchObject({ sampleRate: 16_000, channels: 2 });
    const left = samples.filter((_, i) => i % 2 === 0);
    const right = samples.filter((_, i) => i % 2 === 1);
    const got = concatSamples(received);
    expect(bytesOf(left.subarray(0, got.length)).equals(bytesOf(got))).toBe(true);
    expect(left.subarray(got.length).every((v) => v === 0)).toBe(true); // only end padding after it
    expect(sent.length).toBeGreaterThan(0);
    expect(sent[0]!.sampleRate).toBe(24_000);
    // The echo on the right carries the caller's energy, a little later than on the left.
    const energy = (s: Int16Array) => s.reduce((a, v) => a + v * v, 0);
    expect(energy(right)).toBeGreaterThan(0.5 * energy(left));
    const firstLoud = (s: Int16Array) => s.findIndex((v) => Math.abs(v) > 1000);
    expect(firstLoud(right)).toBeGreaterThanOrEqual(firstLoud(left));
    expect(firstLoud(right) - firstLoud(left)).toBeLessThan(16_000 * 0.5);
  });
});

describe('a gateway process killed mid-recording', () => {
  it('leaves a file that is readable at once and repaired at the next start', async () => {
    const built = `${root}dist/src/recordings/recordings.js`;
    if (!existsSync(built) || statSync(`${root}src/recordings/recordings.ts`).mtimeMs > statSync(built).mtimeMs) {
      throw new Error('dist/ is missing or older than src/recordings: run `npx tsc -p tsconfig.json` first (npm test does)');
    }
    const proc = await GatewayProcess.start(['--record-dir', folder.dir, '--record', 'input']);
    const path = join(folder.dir, 'killed-1.wav');
    try {
      const client = await WsTestClient.connect(`${proc.url.replace('http', 'ws')}/websocket/offer`);
      client.send({ event: 'start', websocket_id: 'killed-1', mediaFormat: L16, outputFormat: L16 });
      const fixture = await readWav('test/fixtures/speech/s04-slt.wav');
      await sendPaced(payloads(fixture.samples.subarray(0, 16_000 * 1.5)), (payload) => client.send({ event: 'media', media: { payload } }));
      const deadline = Date.now() + 5000;
      while (((await stat(path).catch(() => undefined))?.size ?? 0) < 44 + 16_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const live = await rawRequest(Number(new URL(proc.url).port), '/recordings/killed-1.wav', {}, 'HEAD');
      expect(live.headers['x-recording-state']).toBe('live');
    } finally {
      await proc.stop('SIGKILL');
    }
    const left = await readFile(path);
    expect(left.readUInt32LE(40)).toBe(0xffffffff); // nobody patched it
    expect(existsSync(`${path}.owner`)).toBe(true);
    const present = Math.floor((left.length - 44) / 2);
    expect(present).toBeGreaterThan(16_000 * 0.5);
    // Readable as it is: ffprobe takes the placeholder as "to the end of the file".
    expect(Number(await ffprobeDuration(path))).toBeCloseTo(present / 16_000, 3);

    gateway = createGateway({ handler: echo, port: 0, recordDir: folder.dir });
    const { url } = await gateway.listen();
    expect(gateway.recordings?.lastRepair?.repaired).toEqual([{ id: 'killed-1', dataBytes: present * 2, truncatedBytes: (left.length - 44) % 2 }]);
    const repaired = await readFile(path);
    expect(repaired.readUInt32LE(40)).toBe(present * 2);
    expect(repaired.readUInt32LE(4)).toBe(36 + present * 2);
    expect(existsSync(`${path}.owner`)).toBe(false);
    expect(await ffprobeDuration(path)).toBe((present / 16_000).toFixed(6));
    const served = await rawRequest(Number(new URL(url).port), '/recordings/killed-1.wav', {}, 'HEAD');
    expect([served.status, served.headers['content-length'], served.headers['x-recording-state']]).toEqual([200, String(44 + present * 2), 'finished']);
  });
});
