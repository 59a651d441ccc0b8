import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelMessage } from '../src/channel-layer/channel-layer.js';
import { RedisChannelLayer } from '../src/channel-layer/redis-channel-layer.js';
import { channelLayerContract, recorder, until } from './channel-layer-contract.js';
import { RedisServer, freePort } from './channel-layer-redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});

let prefixCounter = 0;
const layers: RedisChannelLayer[] = [];
/** A layer ("process") with its own Redis connections; all layers of one test share a key prefix. */
async function node(prefix: string, options: Partial<ConstructorParameters<typeof RedisChannelLayer>[0]> = {}): Promise<RedisChannelLayer> {
  const l = new RedisChannelLayer({ url: redis.url, keyPrefix: prefix, ...options });
  layers.push(l);
  await l.start();
  return l;
}
afterEach(async () => {
  for (const l of layers.splice(0)) await l.close();
});
const freshPrefix = () => `t${++prefixCounter}:`;

describe('RedisChannelLayer, one process', () => {
  channelLayerContract(() => node(freshPrefix()));
});

describe('RedisChannelLayer, several processes', () => {
  it('groups and sends reach channels of another process', async () => {
    const p = freshPrefix();
    const [a, b] = [await node(p), await node(p)];
    const rb = recorder();
    const chb = b.newChannel(rb.listener);
    expect(await b.groupClaim('bob', chb)).toBe(true);
    expect(await a.groupSend('bob', { type: 'call_received', n: 1 })).toEqual({ recipients: 1, complete: true });
    expect(await a.send(chb, { type: 'direct' })).toBe(true);
    await until(() => rb.messages.length === 2);
    expect(rb.messages.map((m) => m.type)).toEqual(['call_received', 'direct']);
    expect(rb.messages[0]).toEqual({ type: 'call_received', n: 1 });
    const cha = a.newChannel(() => {});
    expect(await a.groupClaim('bob', cha)).toBe(false);
    await b.closeChannel(chb);
    expect(await a.groupClaim('bob', cha)).toBe(true);
  });

  it('a membership of a process that stops renewing lapses within the expiry; PUBLISH to a dead process is counted', async () => {
    const p = freshPrefix();
    const a = await node(p, { groupExpiryMs: 600 });
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      // What a SIGKILLed process leaves behind: a membership nobody renews, on a node nobody listens to.
      const t = await raw.sendCommand<string[]>(['TIME']);
      const now = Number(t[0]) * 1000 + Math.floor(Number(t[1]) / 1000);
      await raw.sendCommand(['ZADD', `${p}group:carol`, String(now + 600), 'deadbeefdeadbeef!1']);
      expect(await a.groupSend('carol', { type: 'x' })).toEqual({ recipients: 0, complete: true });
      expect(a.stats().droppedNoChannel).toBe(1);
      const ch = a.newChannel(() => {});
      expect(await a.groupClaim('carol', ch)).toBe(false);
      await until(() => a.groupClaim('carol', ch), 5_000, 'the dead membership to lapse');
    } finally {
      await raw.close();
    }
  });

  it('renews its own memberships so they outlive the expiry', async () => {
    const p = freshPrefix();
    const [a, b] = [await node(p, { groupExpiryMs: 600 }), await node(p, { groupExpiryMs: 600 })];
    const ch = b.newChannel(() => {});
    await b.groupClaim('dave', ch);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await a.groupSend('dave', { type: 'x' })).recipients).toBe(1);
  });
});

describe('RedisChannelLayer when Redis goes away', () => {
  it('keeps relaying locally, resyncs presence when Redis returns, and resolves presence conflicts', async () => {
    const own = await RedisServer.start();
    const p = freshPrefix();
    // Long expiry: renewal (every 20 s) cannot be what brings presence back; the resync on reconnect must.
    const opts = { url: own.url, keyPrefix: p, maxReconnectDelayMs: 200, groupExpiryMs: 60_000 };
    const a = new RedisChannelLayer(opts);
    const b = new RedisChannelLayer(opts);
    layers.push(a, b);
    const warn = console.warn;
    console.warn = () => {};
    try {
      await a.start();
      await b.start();
      const [ra, rb] = [recorder(), recorder()];
      const cha = a.newChannel(ra.listener);
      const lost: string[] = [];
      const chb = b.newChannel(rb.listener, { onMembershipLost: (g) => lost.push(`b:${g}`) });
      const cha2 = a.newChannel(() => {}, { onMembershipLost: (g) => lost.push(`a:${g}`) });
      await a.groupClaim('alice', cha);
      await b.groupClaim('bob', chb);
      expect((await a.groupSend('bob', { type: 'before' })).recipients).toBe(1);

      await own.kill();
      await until(() => !a.connected && !b.connected, 10_000, 'both layers to notice');
      // Local relaying goes on: a name held here needs no lookup; a shared group reaches its local
      // members and is reported incomplete; messages for other processes are dropped and counted.
      expect(await a.groupSend('alice', { type: 'local' })).toEqual({ recipients: 1, complete: true });
      await a.groupAdd('room', cha);
      expect(await a.groupSend('room', { type: 'local' })).toEqual({ recipients: 1, complete: false });
      expect(await a.groupSend('bob', { type: 'lost' })).toEqual({ recipients: 0, complete: false });
      expect(await a.send(chb, { type: 'lost' })).toBe(false);
      expect(a.stats().droppedUnavailable).toBe(1);
      // Both take the same name while they cannot see each other.
      expect(await a.groupClaim('carol', cha2)).toBe(true);
      const chb2 = b.newChannel(() => {}, { onMembershipLost: (g) => lost.push(`b:${g}`) });
      expect(await b.groupClaim('carol', chb2)).toBe(true);

      const resyncs = [a.stats().resyncs ?? 0, b.stats().resyncs ?? 0];
      await own.restart(); // empty: everything must be registered again
      await until(() => a.connected && b.connected && (a.stats().resyncs ?? 0) > resyncs[0]! && (b.stats().resyncs ?? 0) > resyncs[1]!, 15_000, 'resync');
      await until(async () => (await a.groupSend('bob', { type: 'after' })).recipients === 1, 5_000, 'bob reachable again');
      expect((await b.groupSend('alice', { type: 'after' })).recipients).toBe(1);
      await until(() => rb.messages.some((m: ChannelMessage) => m.type === 'after'));
      expect(rb.messages.map((m) => m.type)).not.toContain('lost');
      // Exactly one of the two carols lost the name, and was told.
      await until(() => lost.length === 1, 5_000, 'the conflict to be resolved');
      expect(['a:carol', 'b:carol']).toContain(lost[0]);
      expect((await a.groupSend('carol', { type: 'x' })).recipients).toBe(1);
    } finally {
      console.warn = warn;
      await a.close();
      await b.close();
      await own.kill();
    }
  });

  it('starts without Redis, relays locally, and joins when Redis appears', async () => {
    const port = await freePort();
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (msg: string) => void warnings.push(String(msg));
    const l = new RedisChannelLayer({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300, maxReconnectDelayMs: 200, groupExpiryMs: 60_000 });
    let late: RedisServer | undefined;
    layers.push(l);
    try {
      const started = Date.now();
      await l.start();
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(warnings.join('\n')).toMatch(/unreachable; relaying locally/);
      const r = recorder();
      const ch = l.newChannel(r.listener);
      expect(await l.groupClaim('solo', ch)).toBe(true);
      expect(await l.groupSend('solo', { type: 'x' })).toEqual({ recipients: 1, complete: true });
      expect(await l.groupSend('elsewhere', { type: 'x' })).toEqual({ recipients: 0, complete: false });
      late = await RedisServer.start(port);
      await until(() => l.connected, 10_000, 'the layer to connect');
      const other = new RedisChannelLayer({ url: late.url });
      layers.push(other);
      await other.start();
      await until(async () => (await other.groupSend('solo', { type: 'y' })).recipients === 1, 5_000, 'solo registered in Redis');
      await until(() => r.messages.length === 2, 5_000, 'y to arrive over pub/sub');
      expect(await l.groupSend('solo', { type: 'z' })).toEqual({ recipients: 1, complete: true });
      await until(() => r.messages.length === 3);
      expect(r.messages.map((m) => m.type)).toEqual(['x', 'y', 'z']);
    } finally {
      console.warn = warn;
      for (const open of layers.splice(0)) await open.close();
      await late?.kill();
    }
  });

  it('validates options', () => {
    expect(() => new RedisChannelLayer({ url: 'http://x' })).toThrow(/url.*http:\/\/x/);
    expect(() => new RedisChannelLayer({ url: 'redis://x', commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs.*`0`/);
  });
});
