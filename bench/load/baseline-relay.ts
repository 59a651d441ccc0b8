/**
 * The benchmark's baseline: a bare `ws` echo relay. No decoding, no handler, no pacing: every message
 * goes back as it came (text as text, binary as binary), on any path. `POST /webrtc/offer` answers with a
 * bare werift echo peer (webrtc-echo-relay.ts), the baseline of the WebRTC variant. It serves
 * `GET /metrics` with the same event-loop delay gauge as the gateway so both are measured the same way.
 *
 *   node dist/bench/load/baseline-relay.js [--port N] [--host H]   → prints "baseline relay listening on URL"
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import { readJsonBody } from '../../src/http/read-json-body.js';
import { EventLoopDelayMetric } from '../../src/metrics/event-loop-delay.js';
import { WebRtcEchoRelay } from './webrtc-echo-relay.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, host: { type: 'string', default: '127.0.0.1' } },
  strict: true,
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new TypeError(`--port expects 0–65535, got ${values.port}`);

const registry = new Registry();
const eventLoop = new EventLoopDelayMetric(registry);
eventLoop.start();

const webrtc = new WebRtcEchoRelay();
/** Offers and candidates are a few KiB; the gateway's own limit is larger, this is only a guard. */
const MAX_BODY = 256 * 1024;

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/webrtc/offer') {
    readJsonBody(req, res, MAX_BODY)
      .then(async (body) => {
        if (body !== undefined) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(await webrtc.handle(body)));
      })
      .catch(() => res.destroy());
    return;
  }
  if (req.method === 'GET' && req.url === '/metrics') {
    registry.metrics().then((text) => {
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(text);
    });
    return;
  }
  res.writeHead(404).end();
});
// Same limits as the gateway's default route: 256 KiB messages, no compression.
const wss = new WebSocketServer({ server, maxPayload: 256 * 1024, perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  socket.on('error', () => socket.terminate());
});

server.listen(port, values.host, () => {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  process.stdout.write(`baseline relay listening on http://${values.host}:${address.port}\n`);
});

const stop = (): void => {
  eventLoop.stop();
  for (const client of wss.clients) client.terminate();
  wss.close();
  webrtc.close().finally(() => server.close(() => process.exit(0)));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
