import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { until } from './channel-layer-contract.js';
import { RedisServer } from './channel-layer-redis-server.js';
import { CallClient } from './signaling-client.js';
import { GatewayProcess } from './signaling-gateway-process.js';
import { names, protocolCases } from './signaling-protocol-cases.js';

const OFFER = { type: 'offer', sdp: 'v=0\r\n' };
const ANSWER = { type: 'answer', sdp: 'v=0\r\n' };

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});

describe('WS /ws/call/, one process, Redis channel layer', () => {
  let gateway: Gateway;
  let url = '';
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, redisUrl: redis.url });
    url = (await gateway.listen()).url;
  });
  afterAll(async () => {
    await gateway?.close();
  });
  protocolCases({ a: () => url, b: () => url });
});

describe('WS /ws/call/, two gateway processes joined by Redis', () => {
  let p1: GatewayProcess;
  let p2: GatewayProcess;
  beforeAll(async () => {
    [p1, p2] = await Promise.all([GatewayProcess.start(['--redis', redis.url]), GatewayProcess.start(['--redis', redis.url])]);
  });
  afterAll(async () => {
    await Promise.all([p1?.stop(), p2?.stop()]);
  });
  protocolCases({ a: () => p1.url, b: () => p2.url });

  it('each process reports its own users; the layer is Redis and connected', async () => {
    const n = names();
    const a = await CallClient.login(p1.url, n.alice);
    const s1 = await p1.stats();
    expect(s1).toMatchObject({ online: 1, layer: { kind: 'redis', connected: true } });
    expect((await p2.stats()).online).toBe(0);
    await a.close();
  });
});

describe('presence of a process that dies', () => {
  it('a SIGKILLed process stops owning its users within the presence TTL', async () => {
    const [survivor, doomed] = await Promise.all([
      GatewayProcess.start(['--redis', redis.url, '--presence-ttl', '2']),
      GatewayProcess.start(['--redis', redis.url, '--presence-ttl', '2']),
    ]);
    try {
      const n = names();
      const dave = await CallClient.login(doomed.url, n.bob);
      const alice = await CallClient.login(survivor.url, n.alice);
      alice.send('call', { name: n.bob, rtcMessage: OFFER });
      await dave.next('call_received');
      alice.send('hangup', {});
      await dave.next('hangup');
      await doomed.stop('SIGKILL');
      const killedAt = Date.now();
      // Nobody listens for the dead process any more: a call reaches no one.
      alice.send('call', { name: n.bob, rtcMessage: OFFER });
      await alice.error('WG_ERR_PEER_OFFLINE');
      // Its name is still leased until the TTL runs out, then free.
      const again = await CallClient.connect(survivor.url, 'again');
      await again.next('connection');
      let releasedAfter = -1;
      await until(
        async () => {
          again.send('login', { name: n.bob });
          const reply = await again.next();
          if (reply.type === 'logged_in') releasedAfter = Date.now() - killedAt;
          return reply.type === 'logged_in';
        },
        15_000,
        'the dead process to lose its user',
      );
      console.log(`presence of a SIGKILLed process released after ${releasedAfter} ms (TTL 2000 ms)`);
      expect(releasedAfter).toBeLessThan(2000 + 3000);
      await again.close();
      await alice.close();
    } finally {
      await Promise.all([survivor.stop(), doomed.stop('SIGKILL')]);
    }
  });
});

describe('losing Redis', () => {
  it('local calls keep working while Redis is down; cross-process calls work again after it restarts', async () => {
    const own = await RedisServer.start();
    const [p1, p2] = await Promise.all([GatewayProcess.start(['--redis', own.url]), GatewayProcess.start(['--redis', own.url])]);
    const clients: CallClient[] = [];
    try {
      const n = names();
      const alice = await CallClient.login(p1.url, n.alice);
      const carol = await CallClient.login(p1.url, n.carol);
      const bob = await CallClient.login(p2.url, n.bob);
      clients.push(alice, carol, bob);
      // A cross-process call in progress when Redis dies.
      alice.send('call', { name: n.bob, rtcMessage: OFFER });
      await bob.next('call_received');
      bob.send('answer_call', { caller: n.alice, rtcMessage: ANSWER });
      await alice.next('call_answered');

      await own.kill();
      await until(async () => (await p1.stats()).layer['connected'] === false, 10_000, 'p1 to notice Redis is gone');
      // Local relaying goes on: carol calls… alice is in a call (busy, answered locally), so alice hangs up first.
      alice.send('hangup', {});
      carol.send('call', { name: n.alice, rtcMessage: OFFER });
      expect((await alice.next('call_received')).data).toEqual({ caller: n.carol, rtcMessage: OFFER });
      alice.send('ICEcandidate', { user: n.carol, rtcMessage: { label: 0, id: '0', candidate: 'c' } });
      await carol.next('ICEcandidate');
      alice.send('answer_call', { caller: n.carol, rtcMessage: ANSWER });
      expect((await carol.next('call_answered')).data).toEqual({ rtcMessage: ANSWER });
      carol.send('hangup', {});
      await alice.next('hangup');
      // Across processes: an explicit error instead of silence.
      alice.send('call', { name: n.bob, rtcMessage: OFFER });
      expect(await alice.error('WG_ERR_RELAY_UNAVAILABLE')).toMatchObject({ data: { request: 'call', name: n.bob } });

      // The same name taken on both processes while they cannot see each other.
      const twin1 = await CallClient.login(p1.url, `twin-${n.alice}`);
      const twin2 = await CallClient.login(p2.url, `twin-${n.alice}`);
      clients.push(twin1, twin2);

      const resyncs = Number((await p2.stats()).layer['resyncs']);
      await own.restart(); // an empty Redis: presence must be registered again
      await until(
        async () => {
          const [s1, s2] = await Promise.all([p1.stats(), p2.stats()]);
          return s1.layer['connected'] === true && s2.layer['connected'] === true && Number(s2.layer['resyncs']) > resyncs;
        },
        20_000,
        'both processes to reconnect and resync',
      );
      // Exactly one twin keeps the name; the other is logged out and told why.
      await until(() => twin1.hasMessage || twin2.hasMessage, 15_000, 'one twin to lose its name');
      const [loser, winner] = twin1.hasMessage ? [twin1, twin2] : [twin2, twin1];
      expect(await loser.next()).toMatchObject({ type: 'error', code: 'WG_ERR_NAME_TAKEN', data: { request: null, name: `twin-${n.alice}` } });
      await winner.silent(500);
      loser.send('call', { name: n.alice, rtcMessage: OFFER });
      await loser.error('WG_ERR_NOT_LOGGED_IN');
      // bob (on p2) still holds its name, and a new cross-process call goes through both ways.
      const impostor = await CallClient.connect(p1.url, 'impostor');
      clients.push(impostor);
      await impostor.next('connection');
      await until(async () => {
        impostor.send('login', { name: n.bob });
        const r = await impostor.next();
        return r.type === 'error' && r.code === 'WG_ERR_NAME_TAKEN';
      }, 5_000, 'bob to be registered again');
      // alice's hangup while Redis was down was lost (at most once): bob still thinks it talks to alice, and
      // alice's new offer reaches it as a renegotiation.
      alice.send('call', { name: n.bob, rtcMessage: OFFER });
      expect((await bob.next('call_received')).data).toEqual({ caller: n.alice, rtcMessage: OFFER });
      bob.send('answer_call', { caller: n.alice, rtcMessage: ANSWER });
      await alice.next('call_answered');
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all([p1.stop(), p2.stop()]);
      await own.kill();
    }
  });
});
