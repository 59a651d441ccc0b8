import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import type { GatewayEventMap } from '../src/gateway-events.js';
import echo from '../handlers/echo.js';
import { fastRtcEchoSamples } from './support/fastrtc-echo-check.js';
import { WsTestClient } from './support/ws-test-client.js';

/** Every event the gateway emits, in order, as [name, payload]. */
function recordEvents(gateway: Gateway): Array<[keyof GatewayEventMap, any]> {
  const seen: Array<[keyof GatewayEventMap, any]> = [];
  for (const name of ['session-opened', 'session-closed', 'session-refused', 'recording-finished', 'call-started', 'call-ended'] as const) {
    gateway.on(name, (payload: any) => void seen.push([name, payload]));
  }
  return seen;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

const of = (seen: Array<[string, any]>, name: string) => seen.filter(([n]) => n === name).map(([, p]) => p);

describe('typed gateway events', () => {
  it('session-opened, session-closed (reason, duration, final stats) and recording-finished, once each per session', { timeout: 30_000 }, async () => {
    const recordDir = mkdtempSync(join(tmpdir(), 'wavegate-events-'));
    gateway = createGateway({ handler: echo, port: 0, recordDir });
    const seen = recordEvents(gateway);
    const { url } = await gateway.listen();
    await fastRtcEchoSamples(`${url.replace('http', 'ws')}/websocket/offer`, 'events-one');
    await until(() => of(seen, 'session-closed').length === 1 && of(seen, 'recording-finished').length === 1, 'session-closed and recording-finished');
    await new Promise((r) => setTimeout(r, 300)); // nothing fires twice
    expect(of(seen, 'session-opened')).toEqual([{ id: 'events-one', carrier: 'fastrtc', handler: 'echo', startedAt: expect.any(Number) }]);
    const [closed] = of(seen, 'session-closed');
    expect(closed).toMatchObject({ id: 'events-one', carrier: 'fastrtc', reason: 'client_stop' });
    expect(closed.durationMs).toBeGreaterThan(500);
    expect(closed.stats.framesIn).toBe(30);
    expect(closed.stats.framesOut).toBeGreaterThan(20);
    const [recording] = of(seen, 'recording-finished');
    expect(recording).toMatchObject({ id: 'events-one', state: 'closed', droppedFrames: 0 });
    expect(recording.durationMs).toBeGreaterThan(500);
    expect(existsSync(recording.path) && statSync(recording.path).size).toBeGreaterThan(44);
    expect(seen.map(([n]) => n)).toEqual(['session-opened', 'recording-finished', 'session-closed']);
    expect(of(seen, 'session-refused')).toEqual([]);
  });

  it('session-refused with the code: concurrency limit and duplicate id; the open session is untouched', { timeout: 30_000 }, async () => {
    gateway = createGateway({ handler: echo, port: 0, concurrencyLimit: 1 });
    const seen = recordEvents(gateway);
    const ws = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
    const first = await WsTestClient.connect(ws);
    first.send({ event: 'start', websocket_id: 'holder' });
    await until(() => of(seen, 'session-opened').length === 1, 'the first session');
    const again = await WsTestClient.connect(ws);
    again.send({ event: 'start', websocket_id: 'holder' });
    await again.waitClose();
    const over = await WsTestClient.connect(ws);
    over.send({ event: 'start', websocket_id: 'another' });
    await over.waitClose();
    expect(of(seen, 'session-refused')).toEqual([
      // client and route: who asked, where (the refusal log writes them too, docs/security.md#what-is-logged)
      { id: 'holder', carrier: 'fastrtc', code: 'WG_ERR_DUPLICATE_SESSION', message: expect.stringContaining('already open'), client: '127.0.0.1', route: '/websocket/offer' },
      { id: 'another', carrier: 'fastrtc', code: 'WG_ERR_CONCURRENCY_LIMIT', message: expect.stringContaining('limit of 1'), client: '127.0.0.1', route: '/websocket/offer' },
    ]);
    expect(of(seen, 'session-opened')).toHaveLength(1);
    expect(of(seen, 'session-closed')).toHaveLength(0);
    expect(first.closeCode).toBeUndefined();
    first.close();
    await until(() => of(seen, 'session-closed').length === 1, 'the holder to close');
    expect(of(seen, 'session-closed')[0]).toMatchObject({ id: 'holder', reason: 'socket_closed' });
  });

  it('call-started once when the callee answers, call-ended once by whoever ends it (hangup, disconnect)', { timeout: 30_000 }, async () => {
    gateway = createGateway({ handler: echo, port: 0 });
    const seen = recordEvents(gateway);
    const callUrl = `${(await gateway.listen()).url.replace('http', 'ws')}/ws/call/`;
    const login = async (name: string) => {
      const c = await WsTestClient.connect(callUrl);
      c.send({ type: 'login', data: { name } });
      await c.waitFor((m) => m.type === 'logged_in');
      return c;
    };
    const [alice, bob] = await Promise.all([login('alice'), login('bob')]);
    const call = async () => {
      alice.send({ type: 'call', data: { name: 'bob', rtcMessage: { type: 'offer', sdp: 'v=0' } } });
      await bob.waitFor((m) => m.type === 'call_received' && !bob.json().some((x) => x.type === 'call_answered'));
      bob.send({ type: 'answer_call', data: { caller: 'alice', rtcMessage: { type: 'answer', sdp: 'v=0' } } });
    };
    await call();
    await until(() => of(seen, 'call-started').length === 1, 'call-started');
    // A renegotiating answer is not a new call.
    bob.send({ type: 'answer_call', data: { caller: 'alice', rtcMessage: { type: 'answer', sdp: 'v=0 again' } } });
    await new Promise((r) => setTimeout(r, 200));
    alice.send({ type: 'hangup', data: { name: 'bob' } });
    await until(() => of(seen, 'call-ended').length === 1, 'call-ended by hangup');
    expect(of(seen, 'call-started')).toEqual([{ caller: 'alice', callee: 'bob', startedAt: expect.any(Number) }]);
    expect(of(seen, 'call-ended')[0]).toEqual({ caller: 'alice', callee: 'bob', endedBy: 'alice', reason: 'hangup', durationMs: expect.any(Number) });

    // Second call: bob's connection drops.
    await new Promise((r) => setTimeout(r, 100));
    bob.messages.length = 0;
    await call();
    await until(() => of(seen, 'call-started').length === 2, 'the second call-started');
    bob.socket.terminate();
    await until(() => of(seen, 'call-ended').length === 2, 'call-ended by disconnect');
    await new Promise((r) => setTimeout(r, 300));
    expect(of(seen, 'call-ended')[1]).toMatchObject({ caller: 'alice', callee: 'bob', endedBy: 'bob', reason: 'disconnected' });
    expect(of(seen, 'call-ended')).toHaveLength(2);
    alice.close();
  });

  it('a listener that throws or rejects is logged and breaks nothing: the session echoes, other listeners run', { timeout: 30_000 }, async () => {
    gateway = createGateway({ handler: echo, port: 0 });
    gateway.on('session-opened', () => {
      throw new Error('billing is down');
    });
    gateway.on('session-closed', async () => {
      throw new Error('dashboard is down');
    });
    const seen = recordEvents(gateway);
    const errors: unknown[][] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const { url } = await gateway.listen();
      expect(await fastRtcEchoSamples(`${url.replace('http', 'ws')}/websocket/offer`, 'events-throwing')).toBeGreaterThanOrEqual(12_000);
      await until(() => of(seen, 'session-closed').length === 1, 'session-closed');
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      console.error = original;
    }
    expect(of(seen, 'session-opened')).toHaveLength(1);
    expect(errors.map((e) => String(e[0]))).toEqual([
      expect.stringContaining("a 'session-opened' listener failed"),
      expect.stringContaining("a 'session-closed' listener failed"),
    ]);
  });
});
