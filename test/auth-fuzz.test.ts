// The access check under hostile headers, through real sockets: seeded random Authorization, ?token=,
// X-Forwarded-For, Origin and Host values on every route and on WebSocket upgrades, against a gateway with
// tokens, per-client limits, a trusted proxy and allowed origins all on. Nothing may answer 5xx or crash;
// every refusal carries its registry code.
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import echo from '../handlers/echo.js';
import { createToken } from '../src/auth/access-token.js';
import { isErrorCode } from '../src/errors/error-codes.js';
import { createGateway, type Gateway } from '../src/gateway.js';

const SECRET = 'fuzz-secret-of-at-least-32-characters';
const PATHS = ['/healthz', '/', '/talk/config.json', '/call/config.json', '/call/stats.json', '/metrics', '/recordings', '/recordings/a.wav', '/input', '/outputs?webrtc_id=a', '/webrtc/offer', '/telephone/incoming', '/nope'];
const WS_PATHS = ['/websocket/offer', '/ws/call/', '/telephone/handler', '/telephone/twilio'];
const valid = await createToken({ secret: SECRET, scope: ['talk', 'input', 'admin', 'call', 'recordings'], ttlS: 600 });

describe('access check under hostile headers', () => {
  let gateway: Gateway;
  let port = 0;
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, authSecret: SECRET, clientRequestsPerSecond: 10_000, clientConnectionsPerSecond: 10_000, clientSessions: 50, trustProxy: 1, allowedOrigins: ['https://app.example.com'] });
    port = (await gateway.listen()).port;
  });
  afterAll(() => gateway.close());

  const tokenLike = () =>
    fc.oneof(
      fc.constant(valid),
      fc.string({ maxLength: 300 }),
      fc.tuple(fc.nat(valid.length - 1), fc.string({ minLength: 1, maxLength: 4 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1)),
      fc.base64String({ maxLength: 200 }).map((b) => `${b}.${b}.${b}`),
    );
  const headerValue = fc.string({ unit: fc.constantFrom(...'abcAZ09 .,:;/=-_[]%"\'\t'.split('')), maxLength: 120 });
  const requestShape = fc.record({
    path: fc.constantFrom(...PATHS),
    method: fc.constantFrom('GET', 'POST', 'HEAD', 'OPTIONS', 'PUT'),
    authorization: fc.option(fc.oneof(tokenLike().map((t) => `Bearer ${t}`), headerValue), { nil: undefined }),
    queryToken: fc.option(tokenLike(), { nil: undefined }),
    forwardedFor: fc.option(fc.oneof(headerValue, fc.ipV4().map((ip) => `${ip}, 10.0.0.1`), fc.ipV6()), { nil: undefined }),
    origin: fc.option(fc.oneof(headerValue, fc.constantFrom('https://app.example.com', 'https://evil.example', 'null', `http://127.0.0.1:1`)), { nil: undefined }),
    host: fc.option(headerValue.filter((h) => h.length > 0 && !/[\t"]/.test(h)), { nil: undefined }),
  });

  type Shape = typeof requestShape extends fc.Arbitrary<infer T> ? T : never;
  const send = (r: Shape) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(r.path, `http://127.0.0.1:${port}`);
      if (r.queryToken !== undefined) url.searchParams.set('token', r.queryToken);
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (r.authorization !== undefined) headers.authorization = r.authorization;
      if (r.forwardedFor !== undefined) headers['x-forwarded-for'] = r.forwardedFor;
      if (r.origin !== undefined) headers.origin = r.origin;
      if (r.host !== undefined) headers.host = r.host;
      const req = httpRequest(url, { method: r.method, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        // /outputs with a valid token streams: the headers are all we need.
        if (res.headers['content-type'] === 'text/event-stream') {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: '' });
        }
      });
      req.on('error', (err) => (String(err.message).includes('socket hang up') ? resolve({ status: 0, body: '' }) : reject(err)));
      req.end(r.method === 'POST' ? JSON.stringify({ webrtc_id: 'a', type: 'offer', sdp: 'v=0' }) : undefined);
    });

  it('HTTP: 1500 seeded requests, no 5xx, every 4xx coded', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestShape, async (r) => {
        const { status, body } = await send(r);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status, JSON.stringify(r)).toBeLessThan(500);
        if (status >= 400 && r.method !== 'HEAD' && body.length > 0 && body.startsWith('{')) expect(isErrorCode(JSON.parse(body).error?.code), body).toBe(true);
      }),
      { numRuns: 1500, seed: 1515 },
    );
    console.log('statuses', Object.fromEntries(statuses));
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  });

  it('WebSocket upgrades: 300 seeded attempts, refused with a coded 4xx or opened, never 5xx', async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...WS_PATHS), fc.option(tokenLike(), { nil: undefined }), fc.option(fc.constantFrom('https://app.example.com', 'https://evil.example', 'null'), { nil: undefined }), async (path, token, origin) => {
        const url = new URL(path, `ws://127.0.0.1:${port}`);
        if (token !== undefined) url.searchParams.set('token', token);
        const outcome = await new Promise<string>((resolve) => {
          const socket = new WebSocket(url, { headers: origin ? { origin } : {} });
          socket.once('open', () => {
            socket.terminate();
            resolve('open');
          });
          socket.once('unexpected-response', (_req, res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve(`${res.statusCode} ${JSON.parse(body).error.code}`));
          });
          socket.once('error', (err) => (String(err.message).includes('Unexpected server response') ? undefined : resolve(`error ${err.message}`)));
        });
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        expect(outcome === 'open' || /^4\d\d WG_ERR_[A-Z_]+$/.test(outcome), outcome).toBe(true);
      }),
      { numRuns: 300, seed: 1516 },
    );
    console.log('upgrades', Object.fromEntries(outcomes));
  });
});
