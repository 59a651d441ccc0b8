import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { callAndAnswer, expectRemoteVideoPlays, launchChromium, openCallPage, openSeedClient, seedFixtureServer, waitForState } from './browser-call-helpers.js';

let browser: Browser;
let gateway: Gateway;
let url = '';
let seedSite: Awaited<ReturnType<typeof seedFixtureServer>>;
beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  url = (await gateway.listen()).url;
  seedSite = await seedFixtureServer(url);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await seedSite?.close();
  await gateway?.close();
});

describe('call page in Chromium, one gateway process', () => {
  it('two pages log in, call, answer, both connect and play each other\'s video; hang-up returns both to idle', async () => {
    const alice = await openCallPage(browser, url, 'alice');
    const bob = await openCallPage(browser, url, 'bob');
    await callAndAnswer(alice, bob, 'bob');
    const seenByAlice = await expectRemoteVideoPlays(alice);
    const seenByBob = await expectRemoteVideoPlays(bob);
    console.log('one process: remote video at alice', seenByAlice, 'at bob', seenByBob);
    expect(seenByAlice.audioTracks).toBe(1);
    expect(seenByBob.audioTracks).toBe(1);
    await alice.click('#hangup');
    await Promise.all([waitForState(alice, 'idle'), waitForState(bob, 'idle')]);
    for (const page of [alice, bob]) {
      expect(await page.evaluate(() => (window as any).wavegateCall.pc)).toBeNull();
      expect(await page.evaluate(() => (document.querySelector('#remote-video') as HTMLVideoElement).srcObject)).toBeNull();
    }
    expect(await bob.textContent('#status')).toMatch(/alice hung up/);
    // Idle means ready again: bob calls alice this time.
    await callAndAnswer(bob, alice, 'alice');
    await bob.click('#hangup');
    await Promise.all([waitForState(alice, 'idle'), waitForState(bob, 'idle')]);
    await alice.context().close();
    await bob.context().close();
  }, 120_000);

  it('shows busy, declines, and the callee-offline error', async () => {
    const [ann, ben, cat] = await Promise.all([openCallPage(browser, url, 'ann'), openCallPage(browser, url, 'ben'), openCallPage(browser, url, 'cat')]);
    await ann.fill('#callee', 'nobody');
    await ann.click('#call');
    await waitForState(ann, 'idle');
    expect(await ann.textContent('#status')).toMatch(/not online/);
    await ann.fill('#callee', 'ben');
    await ann.click('#call');
    await waitForState(ben, 'ringing');
    await cat.fill('#callee', 'ben');
    await cat.click('#call');
    await waitForState(cat, 'idle');
    expect(await cat.textContent('#status')).toMatch(/ben is busy/);
    await ben.click('#decline');
    await Promise.all([waitForState(ann, 'idle'), waitForState(ben, 'idle')]);
    for (const p of [ann, ben, cat]) await p.context().close();
  }, 120_000);

  it('the seed\'s own client, unchanged, calls another seed client through the relay and media flows', async () => {
    const caller = await openSeedClient(browser, seedSite.url, 'seed-a');
    const callee = await openSeedClient(browser, seedSite.url, 'seed-b');
    await caller.evaluate(() => (window as any).call('seed-b'));
    await callee.waitForFunction(() => (document.getElementById('answer') as HTMLElement).style.display === 'block');
    expect(await callee.textContent('#callerName')).toBe('seed-a');
    await callee.evaluate(() => (window as any).answer());
    await Promise.all([caller, callee].map((p) => p.waitForFunction(() => (window as any).peerConnection?.connectionState === 'connected', null, { timeout: 30_000 })));
    console.log('seed ↔ seed: remote video at caller', await expectRemoteVideoPlays(caller, '#remoteVideo'), 'at callee', await expectRemoteVideoPlays(callee, '#remoteVideo'));
    for (const p of [caller, callee]) await p.context().close();
  }, 120_000);

  it('the seed\'s client calls our call page: they interoperate', async () => {
    const seed = await openSeedClient(browser, seedSite.url, 'seedy');
    const page = await openCallPage(browser, url, 'paige');
    await seed.evaluate(() => (window as any).call('paige'));
    await waitForState(page, 'ringing');
    await page.click('#answer');
    await page.waitForFunction(() => (window as any).wavegateCall.pc?.connectionState === 'connected', null, { timeout: 30_000 });
    await seed.waitForFunction(() => (window as any).peerConnection?.connectionState === 'connected', null, { timeout: 30_000 });
    await expectRemoteVideoPlays(page);
    await expectRemoteVideoPlays(seed, '#remoteVideo');
    for (const p of [seed, page]) await p.context().close();
  }, 120_000);
});
