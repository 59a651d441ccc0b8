/**
 * The scale-out pieces on their own (docs/scale-out.md): the box directory and restart backoff (pure), and
 * the Redis session directory's scripts against a real redis-server (admission, renewal and the conflict
 * rule, release by the holder only, listing, lapsed leases).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisChannelLayer } from '../src/channel-layer/redis-channel-layer.js';
import { BoxDirectory } from '../src/cluster/box-directory.js';
import { RedisSessionDirectory } from '../src/cluster/redis-session-directory.js';
import { RestartBackoff } from '../src/cluster/restart-backoff.js';
import type { DirectoryEntry } from '../src/cluster/session-directory.js';
import { RedisServer } from './channel-layer-redis-server.js';
import { createGateway } from '../src/gateway.js';
import echo from '../handlers/echo.js';
import { EchoSession } from './cluster-support.js';

const entry = (id: string, node: string, started = 1000): DirectoryEntry => ({ id, node, channel: `${node}!1`, url: 'http://127.0.0.1:1', transport: 'websocket', carrier: 'fastrtc', handler: 'echo', started, recording: false });

describe('BoxDirectory', () => {
  it('one id per box, one limit, release by the holder only, a dead worker frees everything it held', () => {
    const box = new BoxDirectory(3);
    expect(box.admit(entry('a', 'n1'), 1)).toEqual({ ok: true, degraded: false });
    expect(box.admit(entry('a', 'n2'), 2)).toEqual({ ok: false, reason: 'duplicate', limit: 3 });
    box.admit(entry('b', 'n1'), 1);
    box.admit(entry('c', 'n2'), 2);
    expect(box.admit(entry('d', 'n2'), 2)).toEqual({ ok: false, reason: 'limit', limit: 3 });
    box.release('c', 1);
    expect(box.size).toBe(3);
    box.release('c', 2);
    expect(box.size).toBe(2);
    expect(box.dropWorker(1)).toBe(2);
    expect(box.list()).toEqual([]);
    expect(box.admit(entry('a', 'n2'), 2).ok).toBe(true);
  });
});

describe('RestartBackoff', () => {
  it('doubles from 100 ms for workers that die young, up to the cap; a worker that lived resets it', () => {
    const b = new RestartBackoff(100, 1000, 10_000);
    expect([b.next(0, 50), b.next(0, 50), b.next(0, 50), b.next(0, 50), b.next(0, 50)]).toEqual([100, 200, 400, 800, 1000]);
    expect(b.next(0, 20_000)).toBe(100);
  });
});

describe('RedisSessionDirectory on a real redis-server', () => {
  let redis: RedisServer;
  const layers: RedisChannelLayer[] = [];
  const lost: string[][] = [[], []];
  const directories: RedisSessionDirectory[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    for (let i = 0; i < 2; i++) {
      const layer = new RedisChannelLayer({ url: redis.url, keyPrefix: 'units:' });
      await layer.start();
      layers.push(layer);
      const directory = new RedisSessionDirectory(layer, { leaseMs: 600, clusterLimit: 3, timeoutMs: 1000, onLost: (id) => lost[i]!.push(id) });
      directories.push(directory);
    }
  });
  afterAll(async () => {
    for (const d of directories) await d.close();
    for (const l of layers) await l.close();
    await redis?.kill();
  });

  it('admits atomically: duplicates and the cluster limit refused, release only by the holder', async () => {
    const [a, b] = directories as [RedisSessionDirectory, RedisSessionDirectory];
    const results = await Promise.all([a.admit(entry('x', a.nodeId)), b.admit(entry('x', b.nodeId))]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toEqual({ ok: false, reason: 'duplicate', limit: 3 });
    const holder = results[0]!.ok ? a : b;
    const other = holder === a ? b : a;
    expect(await other.admit(entry('y', other.nodeId))).toMatchObject({ ok: true });
    expect(await other.admit(entry('z', other.nodeId))).toMatchObject({ ok: true });
    expect(await holder.admit(entry('w', holder.nodeId))).toEqual({ ok: false, reason: 'limit', limit: 3 });
    expect((await other.remoteOwner('x'))?.node).toBe(holder.nodeId);
    expect(await holder.remoteOwner('x')).toBeUndefined();
    other.release('x'); // not its own: nothing happens
    await new Promise((r) => setTimeout(r, 100));
    expect(((await a.list()) ?? []).map((e) => e.id).sort()).toEqual(['x', 'y', 'z']);
    for (const id of ['x']) holder.release(id);
    for (const id of ['y', 'z']) other.release(id);
    await new Promise((r) => setTimeout(r, 100));
    expect(await a.list()).toEqual([]);
  });

  it('a lease not renewed lapses (a node that died); renewed leases stay', async () => {
    const [a, b] = directories as [RedisSessionDirectory, RedisSessionDirectory];
    await a.start(); // renews every 200 ms
    expect(await a.admit(entry('kept', a.nodeId))).toMatchObject({ ok: true });
    expect(await b.admit(entry('lapses', b.nodeId))).toMatchObject({ ok: true }); // b never renews
    await new Promise((r) => setTimeout(r, 1200));
    expect(((await a.list()) ?? []).map((e) => e.id)).toEqual(['kept']);
    expect(await a.admit(entry('lapses', a.nodeId))).toMatchObject({ ok: true });
    a.release('kept');
    a.release('lapses');
    b.release('lapses'); // b stands for a dead node: forget it here too (it would register it again when renewing)
    await new Promise((r) => setTimeout(r, 100));
  });

  it('resync after Redis restarts: the earlier session keeps a conflicting id, the later node is told', async () => {
    const [a, b] = directories as [RedisSessionDirectory, RedisSessionDirectory];
    await b.start();
    await redis.kill();
    await new Promise((r) => setTimeout(r, 400));
    expect(a.stats().degraded && b.stats().degraded).toBe(true);
    // Both admitted locally while Redis was away; b's session is the earlier one.
    expect(await a.admit(entry('both', a.nodeId, 2000))).toEqual({ ok: true, degraded: true });
    expect(await b.admit(entry('both', b.nodeId, 1000))).toEqual({ ok: true, degraded: true });
    await redis.restart();
    const deadline = Date.now() + 10_000;
    while ((a.stats().degraded || b.stats().degraded || lost[0]!.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(lost).toEqual([['both'], []]);
    expect(((await a.list()) ?? []).map((e) => [e.id, e.node])).toEqual([['both', b.nodeId]]);
    expect(a.stats()).toMatchObject({ degraded: false, conflictsLost: 1, admittedDegraded: 1 });
    expect(b.stats().resyncs).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /sessions of a lone process', () => {
  it('lists this process’s sessions (node "local") with transport, carrier, handler, started, recording', async () => {
    const gateway = createGateway({ handler: echo, port: 0 });
    const { url } = await gateway.listen();
    const session = await EchoSession.open(url, 'lone-1');
    try {
      await session.echoes(3);
      const body = (await (await fetch(`${url}/sessions`)).json()) as { node: string; sessions: Array<Record<string, unknown>> };
      expect(body.node).toBe('local');
      expect(body.sessions).toEqual([{ id: 'lone-1', node: 'local', transport: 'websocket', carrier: 'fastrtc', handler: 'echo', started: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), recording: false }]);
      expect(Math.abs(Date.parse(body.sessions[0]!.started as string) - Date.now())).toBeLessThan(60_000);
    } finally {
      session.close();
      await gateway.close();
    }
  });
});
