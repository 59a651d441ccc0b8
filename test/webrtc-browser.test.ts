import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { soxLoad } from './support/sox.js';
import { captureThenStop, fakeMicFile, launchChromiumWithAudio, openFastRtcPage, startFastRtc, waitFastRtcConnected } from './support/webrtc-browser.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';
import { waitFor } from './support/webrtc-node-peer.js';

const FIXTURE = new URL('./fixtures/speech/s02-slt.wav', import.meta.url).pathname;
const LEAD_IN_S = 2;
const TAIL_S = 1;

let gateway: Gateway;
let url: string;
let browser: Browser;
const speech = soxLoad(FIXTURE, 48_000);

beforeAll(async () => {
  gateway = createGateway({ handler: probeHandler, port: 0 });
  ({ url } = await gateway.listen());
  browser = await launchChromiumWithAudio(fakeMicFile(FIXTURE, LEAD_IN_S, TAIL_S));
});
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
});

async function talk(webrtcId: string, trickle: boolean) {
  const page = await openFastRtcPage(browser, url);
  const answer = await startFastRtc(page, { webrtcId, trickle });
  expect(answer).toEqual({ type: 'answer' });
  await waitFastRtcConnected(page);
  // Capture until the fixture has played through the fake microphone, plus the echo's way back.
  const playMs = (LEAD_IN_S + speech.length / 48_000 + TAIL_S) * 1000;
  const result = await captureThenStop(page, playMs);
  await waitFor(() => (probes.get(webrtcId)?.shutdowns.length ?? 0) > 0, 15_000, 'handler shutdown');
  await new Promise((r) => setTimeout(r, 200)); // a second shutdown, if any, would come now
  await page.context().close();
  const reference = rmsEnvelope(speech, 48_000);
  const received = Float64Array.from(result.envelope);
  const fit = envelopeCorrelation(reference, received, Math.max(0, received.length - Math.floor(reference.length / 2)));
  return { result, fit, probe: probes.get(webrtcId)! };
}

// Retried: on 2026-12-03 the envelope correlation fell below 0.95 (0.88-0.94) in 3 of 8 runs of this
// file on the quiet 2-core VM, the same on the code before that day's changes (2 of 4) and after them
// (1 of 4), sometimes with no concealment on Chromium's side: a flake of the browser path under
// investigation, not a property of the echo. Each attempt uses a fresh id, so a retry never sees an
// earlier attempt's shutdowns.
let attempt = 0;

describe('Chromium, FastRTC webrtc_utils.ts flow, echo over WebRTC', { retry: 2 }, () => {
  it('trickling candidates while the offer is in flight: connects, echoes (envelope ≥ 0.95), shuts down once', async () => {
    const { result, fit, probe } = await talk(`chromium-trickle-${++attempt}`, true);
    console.log('chromium trickle', fit, 'candidates', result.candidateAnswers.length, 'concealed', result.inbound.concealedSamples, 'of', result.inbound.totalSamplesReceived);
    expect(JSON.parse(result.messages[0]!)).toEqual({ type: 'log', data: 'Server received: handshake' });
    expect(result.candidateAnswers.length).toBeGreaterThan(0);
    for (const a of result.candidateAnswers) expect(a).toEqual({ status: 'success' });
    expect(fit.correlation).toBeGreaterThanOrEqual(0.95);
    expect(probe.shutdowns).toEqual(['socket_closed']);
  }, 60_000);

  it('never trickling (server learns the address from the checks, mDNS names and all): connects and echoes', async () => {
    const { result, fit, probe } = await talk(`chromium-no-trickle-${++attempt}`, false);
    console.log('chromium no trickle', fit, 'concealed', result.inbound.concealedSamples, 'of', result.inbound.totalSamplesReceived);
    expect(result.candidateAnswers).toEqual([]);
    expect(fit.correlation).toBeGreaterThanOrEqual(0.95);
    expect(probe.shutdowns).toEqual(['socket_closed']);
  }, 60_000);
});
