/**
 * Whole sessions for `bench:paths`: the real Session (input pipeline, handler runner, output pipeline)
 * with the echo handler and the FastRTC serializer, in two set-ups.
 *
 * - In memory (in-memory-session.ts, which loads no gateway or sockets): a sink that serializes every
 *   outbound message (as the socket adapter does) and keeps only its length; a virtual clock advanced 20 ms per inbound message, and the session's clock tick
 *   called after each one, as the shared pacer would. Each message is its own turn of the event loop
 *   (a setImmediate), as a socket read is, so work the session left to promises runs before the next
 *   one. No sockets, no timers: the cost of the layers.
 * - Over loopback WebSockets: a real gateway (`createGateway`, echo handler, real pacer) and `sessions`
 *   clients in this process, each sending one message per 20 ms of real time (one shared timer, on the
 *   `start + k·frameMs` grid) and counting the echoed media. CPU per frame then includes both ends of
 *   the `ws` pair; the bare-relay row (`ws` server echoing every message) is the floor to compare with.
 */
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import echo from '../../handlers/echo.js';
import { createGateway } from '../../src/gateway.js';

export { inMemorySession, type InMemorySession } from './in-memory-session.js';

export interface LoopbackResult {
  readonly framesEchoed: number;
  readonly framesSent: number;
  readonly wallMs: number;
}

export interface Loopback {
  /** Streams for `seconds` of real time from every client; returns what came back. */
  run(seconds: number): Promise<LoopbackResult>;
  close(): Promise<void>;
}

/**
 * `target`: 'gateway' (the real gateway, echo handler) or 'relay' (a bare `ws` server that sends every
 * message straight back). Clients speak FastRTC: `start`, then the given media messages in a loop.
 */
export async function loopback(target: 'gateway' | 'relay', sessions: number, messages: readonly Buffer[], binary: boolean, start: (id: string) => string): Promise<Loopback> {
  let url: string;
  let stopServer: () => Promise<void>;
  if (target === 'gateway') {
    const gateway = createGateway({ handler: echo, port: 0, idleTimeoutS: 3600, maxMessagesPerSecond: 10_000 });
    url = `${(await gateway.listen()).url.replace(/^http/, 'ws')}/websocket/offer`;
    stopServer = () => gateway.close();
  } else {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await once(wss, 'listening');
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    const address = wss.address();
    url = `ws://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
    stopServer = () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      });
  }
  let echoed = 0;
  const clients: WebSocket[] = [];
  for (let i = 0; i < sessions; i++) {
    const ws = new WebSocket(url);
    await once(ws, 'open');
    ws.on('message', (data, isBinary) => {
      if (isBinary || (data as Buffer).includes('"media"')) echoed++;
    });
    ws.send(start(`bench-${target}-${i}`));
    clients.push(ws);
  }
  return {
    async run(seconds) {
      const t0 = performance.now();
      const ticks = Math.round((seconds * 1000) / 20);
      const before = echoed;
      let sent = 0;
      for (let k = 0; k < ticks; k++) {
        const wait = t0 + k * 20 - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const message = messages[k % messages.length]!;
        for (const ws of clients) ws.send(message, { binary });
        sent += clients.length;
      }
      // The echo trails by the jitter buffer and the output lead: wait for it (bounded).
      const deadline = performance.now() + 2000;
      while (echoed - before < sent * 0.98 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      return { framesEchoed: echoed - before, framesSent: sent, wallMs: performance.now() - t0 };
    },
    async close() {
      for (const ws of clients) ws.terminate();
      await stopServer();
    },
  };
}
