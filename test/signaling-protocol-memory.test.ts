import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import WebSocket from 'ws';
import { createGateway, type Gateway } from '../src/gateway.js';
import { HttpServer } from '../src/http/http-server.js';
import { createSignalingComponent } from '../src/signaling/signaling-component.js';
import { CallClient } from './signaling-client.js';
import { names, protocolCases } from './signaling-protocol-cases.js';

let gateway: Gateway;
let url = '';
beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0, maxMessagesPerSecond: 50 });
  url = (await gateway.listen()).url;
});
afterAll(async () => {
  await gateway?.close();
});

describe('WS /ws/call/, one process, in-memory channel layer', () => {
  protocolCases({ a: () => url, b: () => url });

  it('refuses messages over the per-connection rate with WG_ERR_RATE_LIMIT (once per second)', async () => {
    const c = await CallClient.connect(url);
    await c.next('connection');
    for (let i = 0; i < 80; i++) c.send('hangup', {});
    const codes: string[] = [];
    for (let i = 0; i < 51; i++) codes.push((await c.next('error')).code!);
    expect(codes.filter((code) => code === 'WG_ERR_RATE_LIMIT')).toHaveLength(1);
    expect(codes.filter((code) => code === 'WG_ERR_NOT_LOGGED_IN')).toHaveLength(50);
    await c.silent(200);
    await c.close();
  });

  it('reports connections and presence on /call/stats.json', async () => {
    const n = names();
    const a = await CallClient.login(url, n.alice);
    const stats = (await (await fetch(`${url}/call/stats.json`)).json()) as { connections: number; online: number; layer: { kind: string } };
    expect(stats).toMatchObject({ connections: 1, online: 1, layer: { kind: 'memory' } });
    await a.close();
  });

  it('ends open calls when the gateway closes: clients get 1001', async () => {
    const g = createGateway({ handler: echo, port: 0 });
    const u = (await g.listen()).url;
    const n = names();
    const a = await CallClient.login(u, n.alice);
    const b = await CallClient.login(u, n.bob);
    a.send('call', { name: n.bob, rtcMessage: { type: 'offer', sdp: '' } });
    await b.next('call_received');
    await g.close();
    expect(await a.closed).toBe(1001);
    expect(await b.closed).toBe(1001);
  });
});

describe('heartbeat', () => {
  it('terminates a connection that stops answering pings, and frees its name', async () => {
    const component = createSignalingComponent({ heartbeatIntervalMs: 200 });
    const server = new HttpServer([component]);
    await component.start?.();
    const { port } = await server.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${port}`;
    try {
      const n = names();
      const socket = new WebSocket(`ws://127.0.0.1:${port}/ws/call/`, { autoPong: false }); // a peer that went away without closing
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ type: 'login', data: { name: n.bob } }));
      const started = Date.now();
      expect(await closed).toBe(1006);
      expect(Date.now() - started).toBeLessThan(3000);
      const again = await CallClient.login(base, n.bob);
      await again.close();
    } finally {
      await component.close?.();
      await server.close();
    }
  });
});
