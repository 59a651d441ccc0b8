// The talk page and the call page with access tokens on (docs/security.md): a page opened with ?token=
// passes it on to every request it makes and works; without one, or with an expired one, it does not.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createToken } from '../src/auth/access-token.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { callAndAnswer, openCallPage, waitForState } from './browser-call-helpers.js';
import { launchWithMicrophoneFile } from './support/talk-page-browser.js';
import { microphoneFile, openTalkPage } from './support/talk-page-session.js';

const SECRET = 'talk-page-secret-of-32-characters!';

/** Every request the page sends to the gateway, as path + whether it carried the token. */
function recordRequests(page: Page, token: string): Map<string, boolean> {
  const seen = new Map<string, boolean>();
  page.on('request', (r) => {
    const url = new URL(r.url());
    const carried = url.searchParams.get('token') === token || r.headers()['authorization'] === `Bearer ${token}`;
    seen.set(url.pathname, (seen.get(url.pathname) ?? true) && carried);
  });
  page.on('websocket', (ws) => {
    const url = new URL(ws.url());
    seen.set(`ws:${url.pathname}`, url.searchParams.get('token') === token);
  });
  return seen;
}

describe('pages with ?token= against a gateway with --auth-secret', () => {
  let browser: Browser;
  let gateway: Gateway;
  let url = '';
  beforeAll(async () => {
    browser = await launchWithMicrophoneFile(microphoneFile(['s01-slt.wav'], 1, 0.5, 30));
    gateway = createGateway({ handler: echo, port: 0, authSecret: SECRET });
    url = (await gateway.listen()).url;
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
  });

  it.each([
    ['webrtc', 'processing=off'],
    ['websocket', 'processing=off&transport=websocket'],
  ])('talk page over %s connects with a token for its session id, and sent it on every request', { timeout: 120_000 }, async (kind, query) => {
    const id = `tok-${kind}`;
    const token = await createToken({ secret: SECRET, scope: ['talk', 'input'], sub: id, ttlS: 600 });
    const page = await openTalkPage(browser, url, `${query}&id=${id}&token=${token}`);
    const seen = recordRequests(page, token);
    await page.click('#start');
    await page.waitForSelector('body[data-state="connected"]', { state: 'attached', timeout: 60_000 });
    expect(gateway.sessions.registry.get(id)).toBeDefined();
    const opened = kind === 'webrtc' ? '/webrtc/offer' : 'ws:/websocket/offer';
    expect(seen.get(opened), [...seen].join(' ')).toBe(true);
    for (const [path, carried] of seen) expect(carried, path).toBe(true);
    await page.click('#stop');
    await page.waitForSelector('body[data-state="idle"]', { state: 'attached', timeout: 30_000 });
    await page.context().close();
  });

  it('talk page with an expired token does not connect; no session opens', { timeout: 90_000 }, async () => {
    const token = await createToken({ secret: SECRET, scope: ['talk', 'input'], ttlS: 60, now: Date.now() - 3_600_000 });
    const page = await openTalkPage(browser, url, `processing=off&transport=websocket&id=tok-expired&token=${token}`);
    await page.waitForSelector('#problem:not([hidden])', { state: 'visible', timeout: 30_000 });
    expect(await page.textContent('#problem')).toBe('The access token of this page was refused (token expired). Ask for a fresh link.');
    await page.click('#start');
    await page.waitForSelector('#problem:not([hidden])', { state: 'visible', timeout: 60_000 });
    expect(gateway.sessions.registry.get('tok-expired')).toBeUndefined();
    await page.context().close();
  });

  it('call page: two pages with call tokens for their names log in, call and connect; without a token it never connects', { timeout: 120_000 }, async () => {
    const tokenFor = (name: string) => createToken({ secret: SECRET, scope: ['call'], name, ttlS: 600 });
    const alice = await openCallPage(browser, url, 'alice', `token=${await tokenFor('alice')}`);
    const bob = await openCallPage(browser, url, 'bob', `token=${await tokenFor('bob')}`);
    await callAndAnswer(alice, bob, 'bob');
    await alice.click('#hangup');
    await Promise.all([waitForState(alice, 'idle'), waitForState(bob, 'idle')]);
    await alice.context().close();
    await bob.context().close();
    const context = await browser.newContext();
    const anonymous = await context.newPage();
    await anonymous.goto(`${url}/call/`);
    // The page loads (it is public) but its WebSocket is refused before the upgrade: never logged-out/idle.
    await anonymous.waitForSelector('body[data-state="disconnected"]', { state: 'attached', timeout: 20_000 });
    await context.close();
  });
});
