import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { TurnWrites } from '../src/transport/turn-writes.js';
import { Socket } from 'node:net';
import { decodeMulaw, encodeMulaw } from '../src/codecs/g711.js';

/**
 * Media writes batched per event-loop turn (src/transport/turn-writes.ts): a connection's replies in one
 * turn are corked and written together at its end. Buffers the socket adapter lends (binary payloads,
 * reused JSON bytes) must then not be written over while the socket holds them.
 */
let gateway: Gateway;
let wsUrl: string;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  const { url } = await gateway.listen();
  wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(() => gateway.close());

/** 20 ms of L16 at 16 kHz (big-endian, as the wire carries it), every frame different. */
function frame(k: number): Buffer {
  const out = Buffer.alloc(640);
  for (let i = 0; i < 320; i++) out.writeInt16BE(Math.round(6000 * Math.sin((k * 320 + i) * 0.07) + 1500 * Math.sin(k + i * 0.9)), 2 * i);
  return out;
}

async function open(id: string): Promise<{ ws: WebSocket; replies: Buffer[] }> {
  const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
  await once(ws, 'open');
  const replies: Buffer[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) replies.push(Buffer.from(data));
  });
  const format = { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 };
  ws.send(JSON.stringify({ event: 'start', websocket_id: id, mediaFormat: format, outputFormat: format }));
  return { ws, replies };
}

describe('media writes batched per turn', () => {
  // Fails when the payload a corked socket still holds is reused: 20 of 60 replies then equal their frame.
  it('replies sent in one turn each keep their own bytes (binary L16 echoed byte for byte)', async () => {
    const { ws, replies } = await open('turn-writes-1');
    const sent: Buffer[] = [];
    // Three frames in one write of the client's socket: the gateway reads them in one turn, the sender
    // is not ahead of real time (60 ms in 60 ms), so all three are released and echoed in that turn.
    for (let group = 0; group < 20; group++) {
      const frames = [0, 1, 2].map((i) => frame(3 * group + i));
      sent.push(...frames);
      const raw = (ws as unknown as { _socket: Socket })._socket;
      raw.cork();
      for (const f of frames) ws.send(f, { binary: true });
      raw.uncork();
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    const deadline = Date.now() + 5000;
    while (replies.length < sent.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    ws.close();
    expect(replies.length).toBe(sent.length);
    // The echo at the same rate passes the samples through: each reply is the frame sent, in order.
    let equal = 0;
    for (let k = 0; k < sent.length; k++) if (replies[k]!.equals(sent[k]!)) equal++;
    expect(equal).toBe(sent.length);
  });
  // Fails when one session's payload, encoded into the memory every session shares, is written over
  // before its socket copied it: each client would then hear the other's audio.
  it('two clients sending in the same turns each get their own audio back (payloads in shared memory)', async () => {
    const clients = await Promise.all([open('turn-writes-a'), open('turn-writes-b')]);
    const sent: Buffer[][] = [[], []];
    for (let k = 0; k < 30; k++) {
      clients.forEach(({ ws }, c) => {
        const f = frame(1000 * (c + 1) + k);
        sent[c]!.push(f);
        ws.send(f, { binary: true });
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const deadline = Date.now() + 5000;
    while (clients.some(({ replies }, c) => replies.length < sent[c]!.length) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    clients.forEach(({ ws, replies }, c) => {
      ws.close();
      expect(replies.length).toBe(sent[c]!.length);
      expect(replies.filter((r, k) => r.equals(sent[c]![k]!)).length).toBe(sent[c]!.length);
    });
  });
  // Fails when the serializer's JSON bytes are reused while a corked socket still holds them.
  it('JSON media replies sent in one turn each keep their own bytes (μ-law 8 kHz echoed sample for sample)', async () => {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    await once(ws, 'open');
    const replies: Int16Array[] = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const message = JSON.parse(data.toString()) as { event: string; media?: { payload: string } };
      if (message.event === 'media') replies.push(decodeMulaw(Buffer.from(message.media!.payload, 'base64')));
    });
    const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };
    ws.send(JSON.stringify({ event: 'start', websocket_id: 'turn-writes-json', mediaFormat: format, outputFormat: format }));
    const sent: Int16Array[] = [];
    for (let group = 0; group < 20; group++) {
      const raw = (ws as unknown as { _socket: Socket })._socket;
      raw.cork();
      for (let i = 0; i < 3; i++) {
        const k = 3 * group + i;
        const pcm = decodeMulaw(encodeMulaw(Int16Array.from({ length: 160 }, (_, j) => Math.round(6000 * Math.sin((k * 160 + j) * 0.11) + 900 * Math.sin(k * 3 + j)))));
        sent.push(pcm);
        ws.send(JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(pcm)).toString('base64') } }));
      }
      raw.uncork();
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    const deadline = Date.now() + 5000;
    while (replies.length < sent.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    ws.close();
    expect(replies.length).toBe(sent.length);
    let equal = 0;
    for (let k = 0; k < sent.length; k++) if (replies[k]!.every((v, j) => v === sent[k]![j])) equal++;
    expect(equal).toBe(sent.length);
  });
});

describe('TurnWrites', () => {
  it('corks a socket once per turn and uncorks every socket corked in the turn together', async () => {
    const writes = new TurnWrites();
    const fake = () => {
      const s = new Socket();
      return s;
    };
    const a = fake();
    const b = fake();
    writes.cork(a);
    writes.cork(a);
    writes.cork(b);
    expect(a.writableCorked).toBe(1);
    expect(b.writableCorked).toBe(1);
    expect(writes.holds(a)).toBe(true);
    await new Promise(setImmediate);
    expect(a.writableCorked).toBe(0);
    expect(b.writableCorked).toBe(0);
    expect(writes.holds(a)).toBe(false);
    a.destroy();
    b.destroy();
  });
  it('writes a batch held for maxHoldMs at the next cork, synchronously, and batches on', async () => {
    let now = 100;
    const writes = new TurnWrites(2, () => now);
    const [a, b, c] = [new Socket(), new Socket(), new Socket()];
    writes.cork(a);
    now += 1.9;
    writes.cork(b); // 1.9 ms into the batch: same batch
    expect([a.writableCorked, b.writableCorked]).toEqual([1, 1]);
    now += 0.1;
    writes.cork(c); // 2 ms: a and b are written now, c opens the next batch
    expect([a.writableCorked, b.writableCorked, c.writableCorked]).toEqual([0, 0, 1]);
    writes.cork(a); // a joins the new batch, opened at the time c was corked
    expect(a.writableCorked).toBe(1);
    await new Promise(setImmediate);
    expect([a.writableCorked, b.writableCorked, c.writableCorked]).toEqual([0, 0, 0]);
    for (const s of [a, b, c]) s.destroy();
  });
});
