import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AudioFrame } from '../src/audio/audio-frame.js';
import { createSessionRecorder, type SessionRecorder } from '../src/recordings/recorder.js';
import { rampSamples, rawRequest, startRecordingsServer, tempDir, type RecordingsServer } from './recordings-helpers.js';

const RATE = 16_000;
const FRAME = 320; // 20 ms
const WAIT_MS = 2000;

let folder: Awaited<ReturnType<typeof tempDir>>;
let server: RecordingsServer;
let recorder: SessionRecorder;
let sent = 0;

/** Pushes `ms` of ramp audio in 20 ms frames and waits until it is on disk. */
async function speak(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 20) {
    const frame: AudioFrame = { samples: rampSamples(FRAME, sent), sampleRate: RATE, channels: 1, timestamp: (sent / RATE) * 1000 };
    recorder.writeInput(frame);
    sent += FRAME;
  }
  await waitForSize(44 + sent * 2);
}

/** Resolves once `check()` holds; fails after `timeoutMs` (generous: the machine is shared). */
async function eventually(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function waitForSize(size: number): Promise<void> {
  const signal = server.store.liveSignal('live-1');
  while (signal !== undefined && signal.size < size) await signal.waitBeyond(signal.size, 1000);
}

beforeEach(async () => {
  folder = await tempDir('rec-live');
  server = await startRecordingsServer(folder.dir, { liveWaitMs: WAIT_MS });
  sent = 0;
  recorder = createSessionRecorder({ dir: server.store.realDir, id: 'live-1', mode: 'input', sampleRate: RATE, flushIntervalMs: 20, store: server.store });
  await recorder.ready;
  await speak(1000);
});

afterEach(async () => {
  await recorder.close();
  await server.close();
  await folder.remove();
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(server.port, path, headers, method);

/** Streams a response, calling `onData` with the bytes so far. */
function stream(path: string, onData: (received: number) => void): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        received += chunk.length;
        onData(received);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('live recordings over HTTP', () => {
  it('GET follows the growing file (200, chunked, no length) and ends when the recording finishes', async () => {
    let seen = 0;
    const response = stream('/recordings/live-1.wav', (n) => (seen = n));
    await eventually('the first second', () => seen === 44 + 1000 * 32);
    await speak(500);
    await eventually('the new audio on the open response', () => seen === 44 + 1500 * 32);
    await speak(500);
    await recorder.close();
    const res = await response;
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['x-recording-state']).toBe('live');
    expect(res.headers.etag).toBeUndefined();
    const file = await readFile(recorder.path);
    expect(res.body.length).toBe(file.length);
    expect(res.body.readUInt32LE(40)).toBe(0xffffffff); // the header as it was when sent: placeholder sizes
    expect(res.body.subarray(44).equals(file.subarray(44))).toBe(true);
    expect(file.readUInt32LE(40)).toBe(2000 * 32); // patched on close
  });

  it('HEAD on a live file: 200, Accept-Ranges, no length, no validators', async () => {
    const res = await get('/recordings/live-1.wav', {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.headers['content-length']).toBeUndefined();
    expect(res.headers.etag).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('closed and suffix ranges are answered from what exists with Content-Range bytes A-B/*; an open range follows', async () => {
    const size = 44 + sent * 2;
    const closed = await get('/recordings/live-1.wav', { range: 'bytes=44-143' });
    expect([closed.status, closed.headers['content-range']]).toEqual([206, 'bytes 44-143/*']);
    const past = await get('/recordings/live-1.wav', { range: `bytes=${size - 10}-${size + 5000}` });
    expect([past.status, past.headers['content-range'], past.body.length]).toEqual([206, `bytes ${size - 10}-${size - 1}/*`, 10]);
    const suffix = await get('/recordings/live-1.wav', { range: 'bytes=-100' });
    expect([suffix.status, suffix.headers['content-range']]).toEqual([206, `bytes ${size - 100}-${size - 1}/*`]);
    const open = stream('/recordings/live-1.wav', () => undefined);
    const ranged = new Promise<number>((resolve) => {
      request({ host: '127.0.0.1', port: server.port, path: '/recordings/live-1.wav', headers: { range: 'bytes=1000-' }, agent: false }, (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
      }).end();
    });
    expect(await ranged).toBe(200);
    await recorder.close();
    expect((await open).status).toBe(200);
  });

  it('a range starting at the live end waits for the audio (event-driven), then answers it', async () => {
    const size = 44 + sent * 2;
    const started = performance.now();
    const pending = get('/recordings/live-1.wav', { range: `bytes=${size}-${size + 639}` });
    await eventually('the request to reach the server', () => server.requests.length > 0);
    await new Promise((r) => setTimeout(r, 250));
    await speak(20);
    const res = await pending;
    const ms = performance.now() - started;
    // 206 (not 416) proves it was answered by the new audio, after waiting for it
    expect(res.status).toBe(206);
    expect(res.headers['content-range']).toBe(`bytes ${size}-${size + 639}/*`);
    expect(ms).toBeGreaterThanOrEqual(240);
  });

  it('the wait is bounded: no audio within liveWaitMs → 416 with the current length, without burning CPU', async () => {
    const size = 44 + sent * 2;
    const cpu = process.cpuUsage();
    const res = await get('/recordings/live-1.wav', { range: `bytes=${size + 1000}-${size + 2000}` });
    const used = process.cpuUsage(cpu);
    expect(res.status).toBe(416);
    expect(res.headers['content-range']).toBe(`bytes */${size}`);
    expect(res.ms).toBeGreaterThanOrEqual(WAIT_MS - 20);
    expect(res.ms).toBeLessThan(WAIT_MS + 5000);
    console.info(`recordings-live: waited ${res.ms.toFixed(0)} ms at the live end using ${((used.user + used.system) / 1000).toFixed(1)} ms of CPU (whole test process)`);
    // a busy wait would use ~WAIT_MS of CPU; an event-driven one almost none
    expect((used.user + used.system) / 1000).toBeLessThan(WAIT_MS / 3);
  });

  it('a following body that gets no audio for liveWaitMs ends with what exists', async () => {
    const res = await get('/recordings/live-1.wav');
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(44 + sent * 2);
    expect(res.ms).toBeGreaterThanOrEqual(WAIT_MS - 20);
  });

  it('?pos= on a live file: a fresh header with placeholder sizes, then the audio from that time on, following', async () => {
    let received = 0;
    const response = stream('/recordings/live-1.wav?pos=0.5', (n) => (received = n));
    await eventually('the live body to start', () => received > 0);
    await speak(200);
    await recorder.close();
    const res = await response;
    expect(res.status).toBe(200);
    expect(res.body.readUInt32LE(40)).toBe(0xffffffff);
    const file = await readFile(recorder.path);
    expect(res.body.subarray(44).equals(file.subarray(44 + RATE))).toBe(true);
  });

  it('?pos= past the live end waits for the audio to get there, else 400', async () => {
    const farLive = get('/recordings/live-1.wav?pos=30');
    const pending = get('/recordings/live-1.wav?pos=1.1');
    await eventually('both requests to reach the server', () => server.requests.length === 2);
    await new Promise((r) => setTimeout(r, 100));
    await speak(200);
    await recorder.close();
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.length).toBe(44 + 0.1 * RATE * 2);
    const far = await farLive;
    expect(far.status).toBe(400);
    expect(far.body.toString()).toContain('WG_ERR_BAD_SEEK_POSITION');
  });

  it('once finished: Content-Length, strong ETag, patched header; the listing shows live, then finished', async () => {
    const listLive = JSON.parse((await get('/recordings')).body.toString()) as { recordings: Array<{ live: boolean; durationS: number }> };
    expect(listLive.recordings[0]).toMatchObject({ live: true, durationS: 1 });
    await recorder.close();
    const res = await get('/recordings/live-1.wav');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(44 + sent * 2));
    expect(res.headers.etag).toMatch(/^"/);
    expect(res.body.readUInt32LE(40)).toBe(sent * 2);
    const listDone = JSON.parse((await get('/recordings')).body.toString()) as { recordings: Array<{ live: boolean; durationS: number }> };
    expect(listDone.recordings[0]).toMatchObject({ live: false, durationS: 1 });
  });
});
