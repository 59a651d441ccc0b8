import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { launchChromium, launchWithMicrophoneFile } from './support/talk-page-browser.js';
import { microphoneFile, openTalkPage } from './support/talk-page-session.js';

const problem = async (page: Page) => {
  await page.waitForSelector('#problem:not([hidden])', { state: 'visible', timeout: 60_000 });
  return (await page.textContent('#problem')) ?? '';
};

describe('talk page errors, in plain words', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchWithMicrophoneFile(microphoneFile(['s01-slt.wav'], 1, 0.5, 30));
  });
  afterAll(() => browser?.close());

  it('concurrency limit reached, with the limit, over WebRTC and over the WebSocket', { timeout: 120_000 }, async () => {
    const gateway = createGateway({ handler: echo, port: 0, concurrencyLimit: 1 });
    const { url } = await gateway.listen();
    try {
      const first = await openTalkPage(browser, url, 'processing=off');
      await first.click('#start');
      await first.waitForSelector('body[data-state="connected"]', { state: 'attached', timeout: 60_000 });
      for (const query of ['processing=off', 'processing=off&transport=websocket']) {
        const second = await openTalkPage(browser, url, query);
        await second.click('#start');
        expect(await problem(second)).toBe('The server is busy: it takes at most 1 conversation at once, and it is in use. Try again in a moment.');
        await second.waitForSelector('body[data-state="idle"]', { state: 'attached' });
        await second.context().close();
      }
      expect(await first.getAttribute('body', 'data-state')).toBe('connected');
      await first.context().close();
    } finally {
      await gateway.close();
    }
  });

  it.each([['webrtc', 'processing=off', /cannot be reached|shutting down/], ['websocket', 'processing=off&transport=websocket', /cannot be reached|shutting down/]])(
    'server gone mid-conversation (%s)',
    { timeout: 120_000 },
    async (_name, query, expected) => {
      const gateway = createGateway({ handler: echo, port: 0 });
      const { url } = await gateway.listen();
      const page = await openTalkPage(browser, url, query);
      await page.click('#start');
      await page.waitForSelector('body[data-state="connected"]', { state: 'attached', timeout: 60_000 });
      await gateway.close();
      expect(await problem(page)).toMatch(expected);
      await page.waitForSelector('body[data-state="idle"]', { state: 'attached' });
      await page.context().close();
    },
  );

  it('server gone before Start', { timeout: 60_000 }, async () => {
    const gateway = createGateway({ handler: echo, port: 0 });
    const { url } = await gateway.listen();
    const page = await openTalkPage(browser, url, 'processing=off');
    await gateway.close();
    await page.click('#start');
    expect(await problem(page)).toBe('The server cannot be reached: it may have stopped, or the network is down. Press Start to try again.');
    await page.context().close();
  });
});

describe('talk page microphone problems', () => {
  let gateway: Gateway;
  let url = '';
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0 });
    url = (await gateway.listen()).url;
  });
  afterAll(() => gateway?.close());

  it.each([
    // No fake device on a machine without sound hardware: there is no microphone at all.
    ['missing', ['--use-fake-ui-for-media-stream'], /^No microphone was found/],
    // The permission prompt answered "block".
    ['denied', ['--use-fake-device-for-media-stream', '--deny-permission-prompts'], /^Microphone access is blocked/],
  ])('microphone %s', { timeout: 60_000 }, async (_name, flags, expected) => {
    const browser = await launchChromium(flags);
    try {
      const page = await openTalkPage(browser, url, '');
      await page.click('#start');
      expect(await problem(page)).toMatch(expected);
      expect(await page.getAttribute('body', 'data-state')).toBe('idle');
      expect(gateway.sessions.registry.size).toBe(0);
    } finally {
      await browser.close();
    }
  });
});
