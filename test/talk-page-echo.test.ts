import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { launchWithMicrophoneFile } from './support/talk-page-browser.js';
import { microphoneFile, openTalkPage, stopAndWaitForEnd, talkToEcho } from './support/talk-page-session.js';

// Three sentences (about 8 s of speech) after a lead-in long enough for the page to connect on a
// busy machine: the fake microphone starts playing when the page opens it, before connecting.
const LEAD_IN_S = 12;
const FILES = ['s01-slt.wav', 's02-rms.wav', 's03-slt.wav'];

let gateway: Gateway;
let url = '';
let browser: Browser;
let microphone = '';
beforeAll(async () => {
  microphone = microphoneFile(FILES, LEAD_IN_S);
  gateway = createGateway({ handler: probeHandler, port: 0, ...(process.env['TALK_REC'] && { recordDir: process.env['TALK_REC'], recordMode: 'input' as const }) });
  url = (await gateway.listen()).url;
  browser = await launchWithMicrophoneFile(microphone);
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe.each([
  ['webrtc', 'processing=off&token=t0k3n'],
  ['websocket', 'transport=websocket&processing=off&token=t0k3n'],
])('talk page, echo over %s', (transport, query) => {
  // The fake microphone plays from the moment the page opens it; a page that took longer than the lead-in
  // to connect (a full suite on 2 cores: > 8 s seen once) loses speech, not quality, so one retry.
  it('echoes the microphone: envelope, duration, levels, stats; Stop ends the session once', { timeout: 180_000, retry: 1 }, async () => {
    const page = await openTalkPage(browser, url, query);
    const asked: string[] = [];
    page.on('request', (r) => asked.push(r.url()));
    page.on('websocket', (ws) => asked.push(ws.url()));
    const run = await talkToEcho(page, microphone, gateway);
    console.log(`talk page ${transport}: correlation ${run.correlation.toFixed(3)} (one lag: ${run.globalCorrelation.toFixed(3)}), lag ${run.lagMs} ms, speech sent ${run.sentMs} ms, heard ${run.receivedMs} ms, levels in ${run.inputPeak.toFixed(2)} out ${run.outputPeak.toFixed(2)}, stats ${JSON.stringify(run.stats)}, gateway ${JSON.stringify(run.session)}`);
    expect(run.correlation).toBeGreaterThanOrEqual(0.95);
    expect(Math.abs(run.receivedMs - run.sentMs)).toBeLessThanOrEqual(100);
    expect(await page.textContent('#stat-state')).toBe('connected');
    expect(await page.textContent('#stat-transport')).toBe(transport === 'webrtc' ? 'WebRTC, Opus' : 'WebSocket, L16');
    expect(await page.textContent('#stat-rtt')).toMatch(/\d+(\.\d)? ms/);
    await stopAndWaitForEnd(page, gateway, run.id);
    expect(probes.get(run.id)?.shutdowns).toHaveLength(1);
    // `?token=` is passed on to every request the page makes of the gateway (not to its own files).
    const made = asked.filter((u) => /^(http|ws)/.test(u) && !/\/talk\/[\w-]+\.(js|css)$/.test(new URL(u).pathname));
    expect(made.some((u) => new URL(u).pathname === (transport === 'webrtc' ? '/webrtc/offer' : '/websocket/offer'))).toBe(true);
    expect(made.some((u) => new URL(u).pathname === '/outputs')).toBe(true);
    for (const u of made) expect(new URL(u).searchParams.get('token'), u).toBe('t0k3n');
    await page.context().close();
  });
});
