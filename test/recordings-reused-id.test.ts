// A session id used again after its first session ended (legal: ids are freed when a session ends), through
// real sockets: `/recordings/{id}.wav` is the latest session's recording — live with Range while it grows,
// finished after — and the earlier one is kept beside it as `{id}@{time}.wav` (docs/recordings.md, "An id
// used again"). Before, the second recorder failed with EEXIST reported as "disk full or I/O error".
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AudioFrame } from '../src/audio/audio-frame.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { RecordingFinishedEvent } from '../src/gateway-events.js';
import { parseWavLayout } from '../src/recordings/wav-layout.js';
import echo from '../handlers/echo.js';
import { rawRequest, tempDir } from './recordings-helpers.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

const L16 = { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 };

let folder: Awaited<ReturnType<typeof tempDir>>;
let gateway: Gateway | undefined;
beforeEach(async () => {
  folder = await tempDir('rec-reused');
});
afterEach(async () => {
  vi.restoreAllMocks();
  await gateway?.close();
  gateway = undefined;
  await folder.remove();
});

/** 20 ms L16 payloads of a tone of `amplitude` (each session its own, so the files tell them apart). */
function tone(seconds: number, amplitude: number): string[] {
  const out: string[] = [];
  for (let f = 0; f < seconds * 50; f++) {
    const chunk = new Int16Array(320);
    for (let i = 0; i < 320; i++) chunk[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * (f * 320 + i)) / 16_000));
    out.push(Buffer.from(chunk.buffer).toString('base64'));
  }
  return out;
}

function bytesOf(frames: readonly AudioFrame[]): Buffer {
  return Buffer.concat(frames.map((f) => Buffer.from(f.samples.buffer, f.samples.byteOffset, f.samples.byteLength)));
}

function dataOf(file: Buffer): Buffer {
  const layout = parseWavLayout(file, file.length);
  return file.subarray(layout.dataOffset, layout.dataOffset + (layout.declaredDataBytes ?? file.length - layout.dataOffset));
}

describe('a session id used again', () => {
  it('GET /recordings/{id}.wav serves the latest session (live with Range, then finished); the earlier one is kept as {id}@{time}.wav', { timeout: 30_000 }, async () => {
    const warnings: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
    gateway = createGateway({ handler: echo, port: 0, recordDir: folder.dir, recordMode: 'input' });
    const received: AudioFrame[][] = [];
    gateway.sessions.addTapFactory((info) => {
      if (info.id !== 'again') return undefined;
      const mine: AudioFrame[] = [];
      received.push(mine);
      return { onInput: (f) => void mine.push(f), onOutput: () => undefined, close: async () => undefined };
    });
    const finished: RecordingFinishedEvent[] = [];
    gateway.on('recording-finished', (e) => void finished.push(e));
    const { url } = await gateway.listen();
    const port = Number(new URL(url).port);
    const ws = `${url.replace('http', 'ws')}/websocket/offer`;

    // First session of the id: 1 s of a quiet tone, then it ends.
    const first = await WsTestClient.connect(ws);
    first.send({ event: 'start', websocket_id: 'again', mediaFormat: L16, outputFormat: L16 });
    await sendPaced(tone(1, 1000), (payload) => first.send({ event: 'media', media: { payload } }));
    await new Promise((r) => setTimeout(r, 400));
    first.send({ event: 'stop' });
    expect(await first.waitClose()).toBe(1000);
    const firstFile = await readFile(join(folder.dir, 'again.wav'));

    // Second session of the same id at once: a loud tone, 2 s.
    const second = await WsTestClient.connect(ws);
    second.send({ event: 'start', websocket_id: 'again', mediaFormat: L16, outputFormat: L16 });
    const sending = sendPaced(tone(2, 8000), (payload) => second.send({ event: 'media', media: { payload } }));
    await new Promise((r) => setTimeout(r, 1000));
    // While it grows: the id's URL is the new session's live file, and a bounded Range works on it.
    const live = await rawRequest(port, '/recordings/again.wav', { range: 'bytes=0-1043' });
    expect(live.status).toBe(206);
    expect(live.headers['x-recording-state']).toBe('live');
    expect(live.headers['content-range']).toBe('bytes 0-1043/*');
    const liveAudio = new Int16Array(live.body.buffer.slice(live.body.byteOffset + 44, live.body.byteOffset + live.body.length));
    expect(Math.max(...liveAudio.map(Math.abs))).toBeGreaterThan(4000); // the loud session, not the quiet one
    const listedLive = JSON.parse((await rawRequest(port, '/recordings')).body.toString()) as { recordings: Array<{ id: string; live: boolean }> };
    expect(listedLive.recordings.map((r) => [r.id, r.live])).toEqual([['again', true]]);
    await sending;
    await new Promise((r) => setTimeout(r, 400));
    second.send({ event: 'stop' });
    expect(await second.waitClose()).toBe(1000);
    await vi.waitFor(() => expect(finished).toHaveLength(2), { timeout: 5000 });

    // Both recordings complete and sample-exact: the latest under the id, the earlier one moved aside.
    expect(received).toHaveLength(2);
    const names = (await readdir(folder.dir)).sort();
    expect(names).toHaveLength(2);
    const archived = names.find((n) => n !== 'again.wav')!;
    expect(archived).toMatch(/^again@\d{8}T\d{9}Z\.wav$/);
    expect((await readFile(join(folder.dir, archived))).equals(firstFile)).toBe(true);
    expect(dataOf(firstFile).equals(bytesOf(received[0]!))).toBe(true);
    const latest = await rawRequest(port, '/recordings/again.wav');
    expect(latest.status).toBe(200);
    expect(latest.headers['x-recording-state']).toBe('finished');
    expect(Number(latest.headers['content-length'])).toBe(latest.body.length);
    expect(dataOf(latest.body).equals(bytesOf(received[1]!))).toBe(true);
    expect(parseWavLayout(latest.body, latest.body.length).declaredDataBytes).toBe(bytesOf(received[1]!).length);
    const ranged = await rawRequest(port, '/recordings/again.wav', { range: 'bytes=44-1067' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers['content-range']).toBe(`bytes 44-1067/${latest.body.length}`);
    expect(ranged.body.equals(latest.body.subarray(44, 1068))).toBe(true);

    // The earlier file is kept, not published: not listed, and its name is no recording id.
    const listed = JSON.parse((await rawRequest(port, '/recordings')).body.toString()) as { recordings: Array<{ id: string; durationS: number }> };
    expect(listed.recordings.map((r) => r.id)).toEqual(['again']);
    expect(listed.recordings[0]!.durationS).toBeGreaterThan(1.5);
    expect((await rawRequest(port, `/recordings/${encodeURIComponent(archived)}`)).status).toBe(400);

    // Told, not failed: no write error, the event names where the earlier file went, the log says so.
    expect(gateway.recordings?.totals).toMatchObject({ closed: 2, failed: 0, writeErrors: 0, droppedFrames: 0 });
    expect(finished.map((e) => e.state)).toEqual(['closed', 'closed']);
    expect(finished[0]!.previousPath).toBeUndefined();
    expect(finished[1]).toMatchObject({ id: 'again', path: join(gateway.recordings!.store.realDir, 'again.wav'), previousPath: join(gateway.recordings!.store.realDir, archived) });
    expect(warnings.filter((w) => w.includes('ended early'))).toEqual([]);
    expect(warnings.filter((w) => w.includes('used again'))).toEqual([expect.stringContaining(`moved to ${archived}`)]);
  });
});
