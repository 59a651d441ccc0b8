import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { captured, joinRoom, leave, openRoomPage, restartCapture, sendText, waitConnected } from './rooms-browser.js';
import { db, goertzel, tone, WsParticipant } from './rooms-support.js';
import { launchChromiumWithAudio } from './support/webrtc-browser.js';

const F = { browser: 500, phone: 1300, socket: 2100 } as const;

let gateway: Gateway;
let url: string;
let browser: Browser;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  ({ url } = await gateway.listen());
  // The fake microphone: half a second of silence, then the browser's tone for 20 s.
  const mic = join(mkdtempSync(join(tmpdir(), 'wg-room-mic-')), 'tone.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', mic, 'synth', '20', 'sine', String(F.browser), 'vol', '0.2', 'pad', '0.5', '0']);
  browser = await launchChromiumWithAudio(mic);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('a room of three transports: WebRTC from Chromium (Opus 48 kHz), FastRTC WS μ-law 8 kHz, Twilio μ-law 8 kHz', () => {
  it('each hears the other two and not itself: own tone ≥ 40 dB below each other tone', async () => {
    const page = await openRoomPage(browser, url);
    expect(await joinRoom(page, 'acc-browser', 'acc')).toEqual({ type: 'answer' });
    await waitConnected(page);
    const socket = await WsParticipant.join(url, 'fastrtc-mulaw', 'acc-socket', 'acc');
    const phone = await WsParticipant.join(url, 'twilio', 'acc-phone', 'acc');
    await socket.waitRoomEvent((e) => e.event === 'joined');
    await socket.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'acc-phone');
    await restartCapture(page);
    await Promise.all([socket.say(tone(F.socket, 8000, 4)), phone.say(tone(F.phone, 8000, 4))]);
    // A room control on the data channel: the browser mutes itself, everyone is told.
    await sendText(page, JSON.stringify({ type: 'room', action: 'mute' }));
    await socket.waitRoomEvent((e) => e.event === 'muted' && e.participant === 'acc-browser' && e.muted === true);
    const got = await captured(page);
    await leave(page);
    await socket.waitRoomEvent((e) => e.event === 'participant_left' && e.participant === 'acc-browser');

    const margins: Record<string, number> = {};
    const check = (who: string, samples: ArrayLike<number>, rate: number, own: number, others: number[]) => {
      const ownPower = goertzel(samples, rate, own);
      for (const f of others) {
        const margin = db(goertzel(samples, rate, f) / ownPower);
        margins[`${who} ${f} Hz over own`] = Math.round(margin);
        expect(margin, `${who}: ${f} Hz over its own ${own} Hz`).toBeGreaterThanOrEqual(40);
      }
    };
    // The steady middle of each received stream (joins and priming before, tails after).
    const browserMiddle = got.samples.slice(Math.round(got.sampleRate * 1), Math.round(got.sampleRate * 3.5));
    expect(browserMiddle.length).toBeGreaterThan(got.sampleRate * 2);
    check('browser', browserMiddle, got.sampleRate, F.browser, [F.phone, F.socket]);
    check('socket', socket.heard().subarray(8000, 8000 * 3.5), 8000, F.socket, [F.browser, F.phone]);
    check('phone', phone.heard().subarray(8000, 8000 * 3.5), 8000, F.phone, [F.browser, F.socket]);
    console.log('rooms acceptance margins (dB):', JSON.stringify(margins));
    // The browser got room events on its data channel.
    expect(got.messages.some((m) => m.includes('"participant_joined"') && m.includes('acc-socket'))).toBe(true);
    socket.client.close();
    phone.client.close();
  }, 90_000);
});
