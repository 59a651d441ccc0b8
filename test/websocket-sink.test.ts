import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';
import { WebSocketSink } from '../src/transport/websocket-sink.js';

/**
 * The socket adapter's sink (src/transport/websocket-sink.ts) over real sockets, on both of its media
 * paths: frames written by the adapter itself (a plain socket, no extension) and ws's `send` (an
 * extension negotiated: permessage-deflate). A turn's messages stay in order and each keeps its own
 * bytes, though both paths reuse their Buffers from one message to the next.
 */
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

async function pair(deflate: boolean): Promise<{ server: WebSocket; raw: Socket; client: WebSocket; got: Array<{ data: Buffer; isBinary: boolean }> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate ? { threshold: 0 } : false });
  servers.push(wss);
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const accepted = once(wss, 'connection') as Promise<[WebSocket, { socket: Socket }]>;
  const client = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: deflate });
  const got: Array<{ data: Buffer; isBinary: boolean }> = [];
  client.on('message', (data: Buffer, isBinary: boolean) => got.push({ data: Buffer.from(data), isBinary }));
  const [[server, req]] = await Promise.all([accepted, once(client, 'open')]);
  return { server, raw: req.socket, client, got };
}

const payload = (k: number): Uint8Array => Uint8Array.from({ length: 480 }, (_, i) => (i * 7 + k * 13) & 0xff);

describe.each([
  ['frames written by the adapter (no extension)', false],
  ['ws send (permessage-deflate negotiated)', true],
] as const)('WebSocketSink: %s', (_name, deflate) => {
  it('three media messages in one turn and a mark arrive in order, each with its own bytes', async () => {
    const { server, raw, client, got } = await pair(deflate);
    expect(server.extensions !== '').toBe(deflate);
    const serializer = new FastRtcSerializer();
    const sink = new WebSocketSink(server, serializer, raw);
    for (let k = 0; k < 3; k++) expect(sink.sendMedia(payload(k))).toBe(true);
    expect(sink.send({ type: 'mark', name: 'after-three' })).toBe(true);
    while (got.length < 4) await once(client, 'message');
    for (let k = 0; k < 3; k++) {
      expect(got[k]!.isBinary).toBe(false);
      expect(got[k]!.data.toString()).toBe(serializer.serialize({ type: 'media', payload: payload(k) }));
    }
    expect(JSON.parse(got[3]!.data.toString())).toMatchObject({ event: 'mark', mark: { name: 'after-three' } });
    expect(sink.holdsMedia()).toBe(false);
    sink.close(1000, 'done');
    await once(client, 'close');
    expect(sink.sendMedia(payload(9))).toBe(false);
  });
});
