import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { launchWithMicrophoneFile } from './support/talk-page-browser.js';
import { openTalkPage } from './support/talk-page-session.js';

let gateway: Gateway;
let url = '';
let browser: Browser;

beforeAll(async () => {
  const mic = join(mkdtempSync(join(tmpdir(), 'wg-room-talk-')), 'tone.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', mic, 'synth', '30', 'sine', '440', 'vol', '0.2']);
  gateway = createGateway({ handler: echo, port: 0 });
  url = (await gateway.listen()).url;
  browser = await launchWithMicrophoneFile(mic);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('talk page ?room=demo', () => {
  it('two tabs (WebRTC and WebSocket) join one room and each sees the other join', { timeout: 90_000 }, async () => {
    const first = await openTalkPage(browser, url, 'room=demo&processing=off');
    await first.click('#start');
    await first.waitForFunction(() => document.querySelector('#events')?.textContent?.includes('joined room demo'), null, { timeout: 30_000 });
    const second = await openTalkPage(browser, url, 'room=demo&processing=off&transport=websocket');
    await second.click('#start');
    await second.waitForFunction(() => document.querySelector('#events')?.textContent?.includes('joined room demo'), null, { timeout: 30_000 });
    await first.waitForFunction(() => /\S+ joined the room/.test(document.querySelector('#events')?.textContent ?? ''), null, { timeout: 10_000 });
    const room = gateway.rooms.get('demo');
    expect(room?.participants().map((p) => p.carrier).sort()).toEqual(['fastrtc', 'webrtc']);
    // Both microphones play a tone: each tab hears the other, so the room names an active speaker.
    await first.waitForFunction(() => document.querySelector('#events')?.textContent?.includes('is speaking'), null, { timeout: 10_000 });
    await first.click('#stop');
    await second.waitForFunction(() => /left the room/.test(document.querySelector('#events')?.textContent ?? ''), null, { timeout: 10_000 });
    await second.click('#stop');
    await first.context().close();
    await second.context().close();
  });
});
