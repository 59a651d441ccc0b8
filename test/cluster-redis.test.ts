/**
 * Acceptance (docs/scale-out.md): gateway processes (the real CLI) on one real redis-server act as one
 * gateway — one id per cluster, one cluster concurrency limit, POST /input and GET /outputs on any node,
 * ids and slots of a SIGKILLed node free within the lease TTL (measured).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './channel-layer-redis-server.js';
import { startServe, type CliProcess } from './support/cli-process.js';
import { EchoSession, sessionsOf, until } from './cluster-support.js';

const HANDLER = 'test/cluster-input-handler.mjs';

async function kill(node: CliProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill(signal);
  await node.exited;
}

async function nodeId(node: CliProcess): Promise<string> {
  const res = await fetch(`${node.url}/sessions`);
  return ((await res.json()) as { node: string }).node;
}

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  await redis?.kill();
});

describe('two gateway processes on one Redis', () => {
  let a: CliProcess;
  let b: CliProcess;
  const open: EchoSession[] = [];
  beforeAll(async () => {
    [a, b] = await Promise.all([startServe(['--redis', redis.url, '--handler', HANDLER]), startServe(['--redis', redis.url, '--handler', HANDLER])]);
  }, 30_000);
  afterAll(async () => {
    for (const s of open) s.close();
    await Promise.all([kill(a), kill(b)]);
  });

  it('the same id opened on both: the second is refused with WG_ERR_DUPLICATE_SESSION, the first still echoes', async () => {
    const first = await EchoSession.open(a.url, 'dup-1');
    open.push(first);
    await first.echoes(10);
    const second = await EchoSession.open(b.url, 'dup-1');
    open.push(second);
    const { message, closeCode } = await second.refusal();
    expect(message).toMatchObject({ type: 'error', code: 'WG_ERR_DUPLICATE_SESSION' });
    expect(closeCode).toBe(4009);
    await first.echoes(25);
    const listed = await sessionsOf(b.url);
    expect(listed).toEqual([expect.objectContaining({ id: 'dup-1', node: await nodeId(a), transport: 'websocket', carrier: 'fastrtc', handler: 'echo-input', recording: false })]);
  });

  it('POST /input and GET /outputs on the node that does not hold the session reach the one that does', async () => {
    const sse = await fetch(`${b.url}/outputs?webrtc_id=dup-1`);
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    const posted = await fetch(`${b.url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: 'dup-1', text: 'hello from b' }) });
    expect(posted.status).toBe(200);
    expect(await posted.json()).toEqual({ status: 'success' });
    await until(() => text.includes('hello from b'), 10_000, 'the output on the SSE stream of the other node');
    expect(text).toContain(`"pid":${a.child.pid}`);
    // A session no node holds is still not found, on either node.
    const missing = await fetch(`${b.url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: 'nobody', text: 'x' }) });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('WG_ERR_SESSION_NOT_FOUND');
    await reader.cancel().catch(() => undefined);
    await reading.catch(() => undefined);
  });

  it('a session that ends leaves the directory at once (not when its lease lapses), and its id opens on the other node', async () => {
    open.shift()!.close();
    const t0 = Date.now();
    await until(async () => (await sessionsOf(b.url)).length === 0, 5000, 'the directory emptied');
    expect(Date.now() - t0).toBeLessThan(5000); // lease is 10 s
    const again = await EchoSession.open(b.url, 'dup-1');
    open.push(again);
    await again.echoes(10);
  });
});

describe('--cluster-concurrency-limit 2 across two processes', () => {
  let a: CliProcess;
  let b: CliProcess;
  const open: EchoSession[] = [];
  beforeAll(async () => {
    const args = ['--redis', redis.url, '--handler', HANDLER, '--cluster-concurrency-limit', '2'];
    [a, b] = await Promise.all([startServe(args), startServe(args)]);
  }, 30_000);
  afterAll(async () => {
    for (const s of open) s.close();
    await Promise.all([kill(a), kill(b)]);
  });

  it('one session on each: a third on either is refused with FastRTC’s message; a freed slot admits again', async () => {
    const one = await EchoSession.open(a.url, 'lim-1');
    const two = await EchoSession.open(b.url, 'lim-2');
    open.push(one, two);
    await Promise.all([one.echoes(5), two.echoes(5)]);
    for (const node of [a, b]) {
      const third = await EchoSession.open(node.url, `lim-3-${node.child.pid}`);
      open.push(third);
      const { message, closeCode } = await third.refusal();
      expect(message).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 2 } });
      expect(closeCode).toBe(1013);
    }
    one.close();
    await until(async () => (await sessionsOf(b.url)).length === 1, 5000, 'the slot freed');
    const four = await EchoSession.open(b.url, 'lim-4');
    open.push(four);
    await four.echoes(5);
    await two.echoes(5);
  });
});

describe('SIGKILL of a node holding sessions', () => {
  const LEASE_S = 3;
  let a: CliProcess;
  let b: CliProcess;
  const open: EchoSession[] = [];
  beforeAll(async () => {
    const args = ['--redis', redis.url, '--handler', HANDLER, '--cluster-concurrency-limit', '2', '--session-lease-s', String(LEASE_S)];
    [a, b] = await Promise.all([startServe(args), startServe(args)]);
  }, 30_000);
  afterAll(async () => {
    for (const s of open) s.close();
    await Promise.all([kill(a), kill(b)]);
  });

  it(`frees its ids and its slots within the lease TTL (${LEASE_S} s) plus 2 s, measured`, async () => {
    const held = [await EchoSession.open(a.url, 'kill-1'), await EchoSession.open(a.url, 'kill-2')];
    open.push(...held);
    await Promise.all(held.map((s) => s.echoes(5)));
    // Both slots of the cluster are taken: b refuses, and refuses the ids.
    const refused = await EchoSession.open(b.url, 'kill-1');
    open.push(refused);
    expect((await refused.refusal()).message.code).toBe('WG_ERR_DUPLICATE_SESSION');
    // A reader of kill-1's outputs on b: its stream ends once a's lease lapsed (a dies without a word).
    const sse = await fetch(`${b.url}/outputs?webrtc_id=kill-1`);
    expect(sse.status).toBe(200);
    const streamEnded = sse.text().then(() => Date.now());
    const killedAt = Date.now();
    await kill(a, 'SIGKILL');
    // Try every 100 ms until both ids open on b (their slots are the cluster's only two).
    const freed: number[] = [];
    for (const id of ['kill-1', 'kill-2']) {
      for (;;) {
        const attempt = await EchoSession.open(b.url, id);
        open.push(attempt);
        const first = await attempt.client.waitFor((m) => m.event === 'media' || m.type === 'error' || m.status === 'failed', 15_000);
        if (first.event === 'media') {
          freed.push(Date.now() - killedAt);
          break;
        }
        expect(first.code ?? first.meta?.error).toMatch(/WG_ERR_DUPLICATE_SESSION|concurrency_limit_reached/);
        expect(Date.now() - killedAt).toBeLessThan((LEASE_S + 2) * 1000 + 3000);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    console.log(`ids of the SIGKILLed node free after ${freed.map((ms) => `${ms} ms`).join(', ')} (lease ${LEASE_S} s)`);
    for (const ms of freed) expect(ms).toBeLessThanOrEqual((LEASE_S + 2) * 1000);
    expect((await sessionsOf(b.url)).map((s) => s.id).sort()).toEqual(['kill-1', 'kill-2']);
    const endedAfter = (await streamEnded) - killedAt;
    console.log(`the other node's GET /outputs stream of a session on the SIGKILLed node ended after ${endedAfter} ms`);
    expect(endedAfter).toBeLessThan((LEASE_S + 2) * 1000 + 2000 + 2000);
  });
});
