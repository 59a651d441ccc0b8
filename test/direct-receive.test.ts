import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer, type ServerOptions } from 'ws';
import { receiveDirectly } from '../src/transport/direct-receive.js';

/**
 * Client frames read straight off a real socket (src/transport/direct-receive.ts) under ws: messages of
 * every length form reach the direct listener only; pings are answered and the close handshake
 * completes as ws does it; a fragmented message, invalid UTF-8 or an oversized frame hands the stream
 * to ws, which reads on or closes with its own codes (1007, 1009).
 */
interface Received {
  direct: string[];
  viaWs: string[];
  /** ws's 'error' events, by code: how its receiver refused what was handed to it. */
  errors: string[];
  taken: boolean;
  closed: Promise<number>;
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

async function serve(options: ServerOptions = {}): Promise<{ url: string; received: Promise<Received> }> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  const received = new Promise<Received>((resolve) => {
    wss.once('connection', (socket) => {
      const r: Received = {
        direct: [],
        viaWs: [],
        errors: [],
        taken: false,
        closed: new Promise((done) => socket.once('close', (code) => done(code))),
      };
      socket.on('message', (data, isBinary) => r.viaWs.push(label(data as Buffer, isBinary)));
      socket.on('error', (err) => r.errors.push((err as Error & { code?: string }).code ?? err.message));
      r.taken = receiveDirectly(socket, (data, isBinary) => r.direct.push(label(data, isBinary)));
      resolve(r);
    });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, received };
}

async function connect(url: string, options: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  const client = new WebSocket(url, { perMessageDeflate: false, ...options });
  await new Promise((r, j) => client.once('open', r).once('error', j));
  return client;
}

const closeCode = (client: WebSocket): Promise<number> => new Promise((r) => client.once('close', (code) => r(code)));
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));
const payload = (n: number, seed: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
const label = (b: Buffer, binary: boolean): string => `${binary ? 'b' : 't'}:${b.length}:${b.subarray(0, 8).toString('hex')}`;

describe('receiveDirectly', () => {
  it('delivers text and binary of every length form to the direct listener, in order, and none through ws', async () => {
    const { url, received } = await serve();
    const client = await connect(url);
    const r = await received;
    expect(r.taken).toBe(true);
    const sent: string[] = [];
    for (const [n, seed] of [[0, 1], [1, 2], [125, 3], [126, 4], [1351, 5], [65535, 6], [65536, 7], [200_000, 8]] as const) {
      const b = payload(n, seed);
      client.send(b, { binary: true });
      sent.push(label(b, true));
      const t = Buffer.from('{"event":"media"}'.repeat(Math.ceil(n / 17)).slice(0, n));
      client.send(t.toString());
      sent.push(label(t, false));
    }
    await settle();
    expect(r.direct).toEqual(sent);
    expect(r.viaWs).toEqual([]);
    // A ping is answered by ws, and messages after it still come directly.
    const pong = new Promise<string>((resolve) => client.once('pong', (d) => resolve(d.toString())));
    client.ping('are you there');
    expect(await pong).toBe('are you there');
    client.send('after the ping');
    await settle();
    expect(r.direct.at(-1)).toBe(label(Buffer.from('after the ping'), false));
    // The close handshake is ws's: both ends see the client's code.
    const clientClosed = closeCode(client);
    client.close(4001, 'bye');
    expect(await r.closed).toBe(4001);
    expect(await clientClosed).toBe(4001);
  });

  it('hands a fragmented message to ws, which reads it and every later message', async () => {
    const { url, received } = await serve();
    const client = await connect(url);
    const r = await received;
    client.send('first');
    client.send('frag', { fin: false });
    client.send('mented', { fin: true });
    client.send('later');
    await settle();
    expect(r.direct).toEqual([label(Buffer.from('first'), false)]);
    expect(r.viaWs).toEqual([label(Buffer.from('fragmented'), false), label(Buffer.from('later'), false)]);
    client.close();
  });

  it('leaves invalid UTF-8 to ws: closed with 1007, nothing delivered', async () => {
    const { url, received } = await serve();
    const client = await connect(url);
    const r = await received;
    const closed = closeCode(client);
    // A masked text frame whose payload is 0xc3 0x28 (a lead byte without its continuation), mask 0.
    (client as unknown as { _socket: Socket })._socket.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0xc3, 0x28]));
    expect(await closed).toBe(1007);
    expect(r.errors).toEqual(['WS_ERR_INVALID_UTF8']);
    expect(r.direct).toEqual([]);
    expect(r.viaWs).toEqual([]);
  });

  it('leaves a frame over maxPayload to ws: closed with 1009', async () => {
    const { url, received } = await serve({ maxPayload: 4096 });
    const client = await connect(url);
    const r = await received;
    const closed = closeCode(client);
    client.send(payload(4096, 1));
    client.send(payload(4097, 2));
    expect(await closed).toBe(1009);
    expect(r.errors).toEqual(['WS_ERR_UNSUPPORTED_MESSAGE_LENGTH']);
    expect(r.direct).toEqual([label(payload(4096, 1), true)]);
  });

  it('is not taken when an extension was negotiated (permessage-deflate): ws reads everything', async () => {
    const { url, received } = await serve({ perMessageDeflate: true });
    const client = await connect(url, { perMessageDeflate: true });
    const r = await received;
    expect(r.taken).toBe(false);
    client.send('compressed');
    await settle();
    expect(r.viaWs).toEqual([label(Buffer.from('compressed'), false)]);
    client.close();
  });
});
