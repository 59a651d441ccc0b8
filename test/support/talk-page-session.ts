// Test helper (not a test): one conversation on the talk page in Chromium against an in-process
// gateway with the probe echo, measured end to end.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { Gateway } from '../../src/gateway.js';
import { captureRemoteEnvelope, compareEnvelopes, envelopeOfFile, readRemoteEnvelope, waitForQuietAfterSpeech, writeMicrophoneFile } from './talk-page-browser.js';

export const SPEECH = new URL('../fixtures/speech/', import.meta.url).pathname;

/** A microphone file in a fresh temporary folder: lead-in, the speech fixtures, a quiet tail. */
export function microphoneFile(files: readonly string[], leadInS: number, gapS = 0.5, tailS = 2): string {
  const dir = mkdtempSync(join(tmpdir(), 'wavegate-talk-'));
  const path = join(dir, 'microphone.wav');
  writeMicrophoneFile(path, files.map((f) => `${SPEECH}${f}`), { leadInS, gapS, tailS });
  return path;
}

export async function openTalkPage(browser: Browser, url: string, query: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('[talk page] page error:', err));
  page.on('response', (r) => {
    if (r.status() >= 400) console.error(`[talk page] ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  await page.goto(`${url}/?${query}`);
  await page.waitForSelector('body[data-state="idle"]', { state: 'attached' });
  return page;
}

export interface EchoRun {
  page: Page;
  id: string;
  correlation: number;
  globalCorrelation: number;
  lagMs: number;
  sentMs: number;
  receivedMs: number;
  inputPeak: number;
  outputPeak: number;
  stats: Record<string, any>;
  /** The gateway's view of the session just before Stop. */
  session: unknown;
}

/** Clicks Start, waits for connected, records what comes back until the echo is over; leaves the conversation running. */
export async function talkToEcho(page: Page, microphone: string, gateway?: Gateway, onMidway?: (page: Page) => Promise<void>): Promise<EchoRun> {
  await page.click('#start');
  await page.waitForSelector('body[data-state="connected"]', { state: 'attached', timeout: 60_000 });
  await captureRemoteEnvelope(page);
  const id = (await page.evaluate(() => (window as any).wavegateTalk.id)) as string;
  // Mid-conversation: levels move and stats are filled in.
  await page.waitForFunction(() => {
    const t = (window as any).wavegateTalk;
    return t.meters.input?.peak > 0.3 && t.meters.output?.peak > 0.3 && t.lastStats?.packetsReceived > 20 && t.lastStats?.rttMs != null;
  }, null, { timeout: 60_000, polling: 100 });
  await onMidway?.(page);
  await waitForQuietAfterSpeech(page, 1000, 90_000);
  const heard = await readRemoteEnvelope(page);
  const sent = envelopeOfFile(microphone);
  const result = compareEnvelopes(sent, heard.envelope);
  if (process.env['TALK_DUMP']) (await import('node:fs')).writeFileSync(process.env['TALK_DUMP'], JSON.stringify({ sent: [...sent], heard: [...heard.envelope] }));
  const peaks = await page.evaluate(() => {
    const t = (window as any).wavegateTalk;
    return { inputPeak: t.meters.input.peak as number, outputPeak: t.meters.output.peak as number, stats: t.lastStats };
  });
  const session = gateway?.sessions.registry.get(id)?.stats();
  return { page, id, ...result, ...peaks, session };
}

/** Stop, then wait until the gateway has let go of the session. */
export async function stopAndWaitForEnd(page: Page, gateway: Gateway, id: string): Promise<void> {
  await page.click('#stop');
  await page.waitForSelector('body[data-state="idle"]', { state: 'attached' });
  const deadline = Date.now() + 30_000;
  while (gateway.sessions.registry.get(id)) {
    if (Date.now() > deadline) throw new Error(`session ${id} still open 30 s after Stop`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
