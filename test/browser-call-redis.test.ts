import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './channel-layer-contract.js';
import { RedisServer } from './channel-layer-redis-server.js';
import { callAndAnswer, expectRemoteVideoPlays, launchChromium, openCallPage, waitForState } from './browser-call-helpers.js';
import { GatewayProcess } from './signaling-gateway-process.js';

let browser: Browser;
let redis: RedisServer;
let p1: GatewayProcess;
let p2: GatewayProcess;
beforeAll(async () => {
  redis = await RedisServer.start();
  [p1, p2, browser] = await Promise.all([
    GatewayProcess.start(['--redis', redis.url]),
    GatewayProcess.start(['--redis', redis.url]),
    launchChromium(),
  ]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([p1?.stop(), p2?.stop()]);
  await redis?.kill();
});

const connectedBoth = async () => {
  const [s1, s2] = await Promise.all([p1.stats(), p2.stats()]);
  return s1.layer['connected'] === true && s2.layer['connected'] === true;
};

describe('call page in Chromium, two gateway processes joined by Redis', () => {
  it('pages on different processes call, connect, play each other\'s video, and hang up to idle', async () => {
    const alice = await openCallPage(browser, p1.url, 'alice');
    const bob = await openCallPage(browser, p2.url, 'bob');
    await callAndAnswer(alice, bob, 'bob');
    const seen = [await expectRemoteVideoPlays(alice), await expectRemoteVideoPlays(bob)];
    console.log('two processes: remote video at alice/bob', seen);
    await bob.click('#hangup');
    await Promise.all([waitForState(alice, 'idle'), waitForState(bob, 'idle')]);
    expect(await alice.textContent('#status')).toMatch(/bob hung up/);
    await alice.context().close();
    await bob.context().close();
  }, 150_000);

  it('Redis killed mid-session: the call goes on, local calls work; after Redis restarts, cross-process calls work again', async () => {
    const ann = await openCallPage(browser, p1.url, 'ann');
    const cat = await openCallPage(browser, p1.url, 'cat');
    const ben = await openCallPage(browser, p2.url, 'ben');
    await callAndAnswer(ann, ben, 'ben');
    await expectRemoteVideoPlays(ben);

    await redis.kill();
    await until(async () => !(await p1.stats()).layer['connected'], 15_000, 'p1 to notice Redis is gone');
    // The call set up across processes carries on: media is peer to peer.
    await expectRemoteVideoPlays(ann);
    expect(await ann.evaluate(() => (window as any).wavegateCall.pc.connectionState)).toBe('connected');
    // cat cannot reach ben's process now, and is told so.
    await cat.fill('#callee', 'ben');
    await cat.click('#call');
    await waitForState(cat, 'idle');
    expect(await cat.textContent('#status')).toMatch(/Redis unreachable/);
    // A new call between two pages of the same process works without Redis.
    await ann.click('#hangup');
    await waitForState(ann, 'idle');
    await callAndAnswer(cat, ann, 'ann');
    await expectRemoteVideoPlays(ann);
    await cat.click('#hangup');
    await Promise.all([waitForState(ann, 'idle'), waitForState(cat, 'idle')]);

    await redis.restart();
    await until(connectedBoth, 20_000, 'both processes to reconnect');
    // ann's hangup was lost while Redis was down (at most once): ben's page may still show the call
    // if its peer connection has not failed yet; ben hangs up by hand then.
    const benState = await ben.evaluate(() => document.body.dataset['state']);
    console.log(`ben after the outage: ${benState}, peer connection ${await ben.evaluate(() => (window as any).wavegateCall.pc?.connectionState ?? 'none')}`);
    if (benState !== 'idle') {
      await ben.click('#hangup');
      await waitForState(ben, 'idle');
    }
    // ben (on p2) is registered again by the resync: cat on p1 reaches it.
    await until(async () => {
      await cat.fill('#callee', 'ben');
      await cat.click('#call');
      return Promise.race([
        waitForState(ben, 'ringing', 3000).then(() => true),
        waitForState(cat, 'idle', 3000).then(() => false),
      ]).catch(() => false);
    }, 20_000, 'ben to be reachable from p1 again');
    await ben.click('#answer');
    await Promise.all([cat, ben].map((p) => p.waitForFunction(() => (window as any).wavegateCall.pc?.connectionState === 'connected', null, { timeout: 30_000 })));
    await expectRemoteVideoPlays(cat);
    await expectRemoteVideoPlays(ben);
    for (const p of [ann, ben, cat]) await p.context().close();
  }, 240_000);
});
