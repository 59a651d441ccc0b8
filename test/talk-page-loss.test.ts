import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { launchWithMicrophoneFile } from './support/talk-page-browser.js';
import { microphoneFile, openTalkPage, stopAndWaitForEnd, talkToEcho } from './support/talk-page-session.js';

const LEAD_IN_S = 8;
const FILES = ['s01-slt.wav', 's02-rms.wav', 's03-slt.wav'];

let gateway: Gateway;
let url = '';
let browser: Browser;
let microphone = '';
beforeAll(async () => {
  microphone = microphoneFile(FILES, LEAD_IN_S);
  // 5 % of the browser's RTP packets are dropped on arrival (seeded), before the gateway's jitter buffer.
  gateway = createGateway({ handler: probeHandler, port: 0, webrtcInboundLossPercent: 5, webrtcLossSeed: 7 });
  url = (await gateway.listen()).url;
  browser = await launchWithMicrophoneFile(microphone);
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

describe('talk page over WebRTC with 5 % of inbound RTP lost', () => {
  it('conceals the loss (counted in the stats) and the echo still matches the microphone', { timeout: 180_000 }, async () => {
    const page = await openTalkPage(browser, url, 'processing=off');
    const run = await talkToEcho(page, microphone, gateway);
    const peer = [...gateway.webrtc.peers.values()][0];
    const injected = peer?.injectedLosses ?? 0;
    const jitter = (run.session as { jitterBuffer: { packetsLost: number; concealedSamples: number; concealmentEvents: number } }).jitterBuffer;
    console.log(`talk page, 5 % loss: correlation ${run.correlation.toFixed(3)} (one lag: ${run.globalCorrelation.toFixed(3)}), speech sent ${run.sentMs} ms, heard ${run.receivedMs} ms; dropped ${injected} packets; gateway jitter buffer lost ${jitter.packetsLost}, concealed ${jitter.concealedSamples} samples in ${jitter.concealmentEvents} events; page stats ${JSON.stringify(run.stats)}`);
    expect(injected).toBeGreaterThan(0);
    expect(jitter.packetsLost).toBeGreaterThan(0);
    expect(jitter.concealedSamples).toBeGreaterThan(0);
    expect(run.correlation).toBeGreaterThanOrEqual(0.9);
    // The gateway's counters (its jitter buffer conceals what the browser's packets lost) in /metrics,
    // which the page links to; the page's own stats (the browser's inbound audio) are filled in.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const concealed = Number(/^wavegate_jitter_concealed_samples_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
    expect(concealed).toBeGreaterThan(0);
    expect(await page.textContent('#stat-lost')).toMatch(/\d+ of \d+ in/);
    expect(await page.textContent('#stat-concealed')).toMatch(/ms/);
    await stopAndWaitForEnd(page, gateway, run.id);
    expect(probes.get(run.id)?.shutdowns).toHaveLength(1);
  });
});
