// Debian's Chromium plays a recording while the session that makes it is still sending audio,
// seeks back into it while it is live, and knows its true duration once the session has ended.
import { connect, createServer, type AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { createSessionRecorder } from '../src/recordings/recorder.js';
import { parseWavLayout, wavDurationS } from '../src/recordings/wav-layout.js';
import { encodeMulaw } from '../src/codecs/g711.js';
import echo from '../handlers/echo.js';
import { startRecordingsServer, tempDir } from './recordings-helpers.js';
import { soxLoad } from './support/sox.js';
import { launchChromiumWith } from './browser-call-helpers.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

const ID = 'browser-live-1';

let folder: Awaited<ReturnType<typeof tempDir>>;
let gateway: Gateway;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  folder = await tempDir('rec-browser');
  gateway = createGateway({ handler: echo, port: 0, recordDir: folder.dir, recordMode: 'both' });
  baseUrl = (await gateway.listen()).url;
  browser = await launchChromiumWith(['--autoplay-policy=no-user-gesture-required']);
});

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await folder?.remove();
});

interface AudioState {
  currentTime: number;
  duration: number | null;
  paused: boolean;
  ended: boolean;
  error: string | null;
  seekable: Array<[number, number | null]>;
}

const audioState = (page: Page): Promise<AudioState> =>
  page.evaluate(() => {
    const a = document.querySelector('audio')!;
    const ranges: Array<[number, number | null]> = [];
    for (let i = 0; i < a.seekable.length; i++) ranges.push([a.seekable.start(i), Number.isFinite(a.seekable.end(i)) ? a.seekable.end(i) : null]);
    return { currentTime: a.currentTime, duration: Number.isFinite(a.duration) ? a.duration : null, paused: a.paused, ended: a.ended, error: a.error?.message ?? null, seekable: ranges };
  });

async function recordedSeconds(): Promise<number> {
  const list = (await (await fetch(`${baseUrl}/recordings`)).json()) as { recordings: Array<{ id: string; durationS: number; live: boolean }> };
  return list.recordings.find((r) => r.id === ID)?.durationS ?? 0;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('<audio> on a live recording (Chromium)', () => {
  it('plays while the session sends, seeks back while live, and gets the true duration after the end', async () => {
    // ~12 s of speech sent in real time by a FastRTC client with FastRTC's defaults (μ-law 48 kHz in,
    // 24 kHz out); recorded as 48 kHz stereo (caller left, echo right).
    const parts = ['s01-slt', 's02-rms', 's03-slt', 's04-rms', 's05-slt'].map((n) => soxLoad(`test/fixtures/speech/${n}.wav`, 48_000));
    const speech = concatSamples(parts);
    const payloads: string[] = [];
    for (let i = 0; i < speech.length; i += 960) {
      const frame = new Int16Array(960);
      frame.set(speech.subarray(i, i + 960));
      payloads.push(Buffer.from(encodeMulaw(frame)).toString('base64'));
    }
    const client = await WsTestClient.connect(`${baseUrl.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: ID });
    let sending = true;
    const sendingDone = sendPaced(payloads, (payload) => client.send({ event: 'media', media: { payload } })).then(() => (sending = false));

    await until('2 s recorded', async () => (await recordedSeconds()) >= 2, 15_000);
    const page = await browser.newPage();
    page.on('pageerror', (err) => console.error('page error:', err));
    await page.setContent('<audio preload="auto"></audio>');
    const lengthAtStart = await recordedSeconds();
    await page.evaluate((src) => {
      const a = document.querySelector('audio')!;
      a.src = src;
      void a.play();
    }, `${baseUrl}/recordings/${ID}.wav`);

    // 1. It plays past the length the file had when playback began, while the session still sends.
    await page.waitForFunction((t) => document.querySelector('audio')!.currentTime > t, lengthAtStart + 1, { timeout: 20_000, polling: 100 });
    const passed = await audioState(page);
    expect(sending).toBe(true);
    expect(gateway.recordings?.store.liveSignal(ID)).toBeDefined();
    expect(passed.error).toBeNull();
    expect(passed.currentTime).toBeGreaterThan(lengthAtStart + 1);

    // 2. Seeking back into the recorded part works while live.
    await page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const a = document.querySelector('audio')!;
          a.addEventListener('seeked', () => resolve(), { once: true });
          a.currentTime = 0.5;
        }),
    );
    const sought = await audioState(page);
    expect(sending).toBe(true);
    expect(sought.currentTime).toBeGreaterThanOrEqual(0.5);
    expect(sought.currentTime).toBeLessThan(1.5);
    await new Promise((r) => setTimeout(r, 700));
    const after = await audioState(page);
    expect(after.paused).toBe(false);
    expect(after.currentTime).toBeGreaterThan(sought.currentTime + 0.3);
    expect(after.currentTime).toBeLessThan(lengthAtStart);

    // 3. The session ends; the element learns the true duration.
    await sendingDone;
    await new Promise((r) => setTimeout(r, 400));
    client.send({ event: 'stop' });
    await client.waitClose();
    const file = await readFile(join(folder.dir, `${ID}.wav`));
    const recorded = wavDurationS(parseWavLayout(file, file.length));
    expect(recorded).toBeGreaterThan(speech.length / 48_000 - 0.1);
    await page.waitForFunction(() => Number.isFinite(document.querySelector('audio')!.duration), null, { timeout: 30_000, polling: 200 });
    const sameElement = await audioState(page);
    console.info(`browser-recording: length at start ${lengthAtStart.toFixed(3)} s, passed at ${passed.currentTime.toFixed(3)} s, sought to ${sought.currentTime.toFixed(3)} s, recorded ${recorded.toFixed(3)} s, same element duration ${sameElement.duration}`);
    expect(Math.abs(sameElement.duration! - recorded)).toBeLessThan(0.05);

    // A player opening the finished recording reads the patched header: exact duration, seekable to the end.
    await page.setContent('<audio preload="auto"></audio>');
    await page.evaluate((src) => {
      document.querySelector('audio')!.src = src;
    }, `${baseUrl}/recordings/${ID}.wav`);
    await page.waitForFunction(() => document.querySelector('audio')!.readyState >= 1, null, { timeout: 20_000 });
    const reopened = await audioState(page);
    expect(Math.abs(reopened.duration! - recorded)).toBeLessThan(0.001);
    expect(reopened.seekable).toEqual([[0, reopened.duration]]);
  });

  it('a connection dropped mid-playback: Chromium asks for bytes=N- on the live file, gets the growing body again, keeps playing', async () => {
    const dir = await tempDir('rec-browser-drop');
    const server = await startRecordingsServer(dir.dir, { liveWaitMs: 5000 });
    const recorder = createSessionRecorder({ dir: server.store.realDir, id: 'drop-1', mode: 'input', sampleRate: 48_000, flushIntervalMs: 50, store: server.store });
    await recorder.ready;
    let at = 0;
    const speak = (ms: number) => {
      for (let t = 0; t < ms; t += 20) {
        const samples = new Int16Array(960);
        for (let i = 0; i < 960; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * 440 * (at + i)) / 48_000));
        recorder.writeInput({ samples, sampleRate: 48_000, channels: 1, timestamp: at / 48 });
        at += 960;
      }
    };
    speak(2000);
    const timer = setInterval(() => speak(20), 20);
    // A TCP proxy that cuts the first connection after 2.5 s, like a network blip.
    let connections = 0;
    const proxy = createServer((downstream) => {
      const n = ++connections;
      const upstream = connect(server.port, '127.0.0.1');
      downstream.pipe(upstream).pipe(downstream);
      downstream.on('error', () => undefined);
      upstream.on('error', () => undefined);
      if (n === 1) setTimeout(() => (downstream.destroy(), upstream.destroy()), 2500);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage();
    try {
      await page.setContent('<audio preload="auto"></audio>');
      await page.evaluate((src) => {
        const a = document.querySelector('audio')!;
        a.src = src;
        void a.play();
      }, `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/recordings/drop-1.wav`);
      await page.waitForFunction(() => document.querySelector('audio')!.currentTime > 5, null, { timeout: 20_000, polling: 100 });
      const state = await audioState(page);
      expect(state.error).toBeNull();
      expect(state.paused).toBe(false);
      const ranges = server.requests.map((r) => r.range);
      expect(ranges[0]).toBe('bytes=0-');
      expect(ranges.slice(1).some((r) => r !== undefined && /^bytes=[1-9][0-9]*-$/.test(r))).toBe(true);
    } finally {
      clearInterval(timer);
      await page.close();
      await recorder.close();
      proxy.close();
      await server.close();
      await dir.remove();
    }
  });
});
