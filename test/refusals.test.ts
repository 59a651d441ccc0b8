// Refusals as an operator of an internet-facing gateway sees them (docs/security.md#what-is-logged and
// #refusals), through real HTTP requests and WebSockets: every coded refusal writes one structured line
// (code, route, client, reason; never the token), a flood writes a bounded number of lines plus the count
// of the ones held back, everything is counted on /metrics; and a page of an allowed origin can read the
// body of a 401/429 from the routes that answer it CORS.
import { request as httpRequest } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import echo from '../handlers/echo.js';
import { createToken } from '../src/auth/access-token.js';
import { RefusalLogWindow, refusalLine } from '../src/auth/refusal-log.js';
import { createGateway, type Gateway, type CreateGatewayOptions } from '../src/gateway.js';
import { offerSdp } from './support/offer-sdp.js';
import { WsTestClient } from './support/ws-test-client.js';

const SECRET = 'refusals-secret-of-at-least-32-chars';
const L16 = { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 };

let gateway: Gateway | undefined;
let lines: string[] = [];
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  vi.restoreAllMocks();
});

async function start(options: Partial<CreateGatewayOptions>): Promise<{ base: string; port: number }> {
  lines = [];
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')));
  gateway = createGateway({ handler: echo, port: 0, ...options });
  const { url } = await gateway.listen();
  return { base: url, port: Number(new URL(url).port) };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with exactly these headers (Origin included: a browser's cross-origin fetch, as sent). */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body !== undefined && { 'content-length': String(Buffer.byteLength(body)) }) }, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const refusedLines = () => lines.filter((l) => l.startsWith('wavegate: refused ')).map((l) => JSON.parse(l.slice('wavegate: refused '.length)) as Record<string, unknown>);
const summaries = () => lines.filter((l) => l.startsWith('wavegate: refusals suppressed ')).map((l) => JSON.parse(l.slice('wavegate: refusals suppressed '.length)) as { suppressed: number; byCode: Record<string, number> });

function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    socket.once('error', (err) => {
      if (!String(err.message).includes('Unexpected server response')) reject(err);
    });
  });
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? 0 : Number(line.slice(name.length).trim());
}

describe('the refusal log (pure core)', () => {
  it('at most N lines per one-second window; the rest counted by code and handed back once the window is over', () => {
    const window = new RefusalLogWindow(3);
    const verdicts = Array.from({ length: 10 }, (_, i) => window.offer(i % 2 ? 'WG_ERR_UNAUTHORIZED' : 'WG_ERR_CLIENT_RATE_LIMIT', 1000 + i));
    expect(verdicts.map((v) => v.verdict)).toEqual(['write', 'write', 'write', ...Array(7).fill('suppress')]);
    expect(verdicts.every((v) => v.closed === undefined)).toBe(true);
    const next = window.offer('WG_ERR_FORBIDDEN', 2000); // the next window
    expect(next.verdict).toBe('write');
    expect(next.closed).toEqual({ suppressed: 7, byCode: { WG_ERR_UNAUTHORIZED: 4, WG_ERR_CLIENT_RATE_LIMIT: 3 }, windowStartMs: 1000 });
    expect(window.close()).toBeUndefined(); // nothing held back in this one
  });

  it('a line is one line of JSON, bounded, and never carries a token, whatever field it hides in', async () => {
    const token = await createToken({ secret: SECRET, scope: ['talk'], ttlS: 60 });
    const line = refusalLine({ code: 'WG_ERR_ORIGIN_NOT_ALLOWED', route: '/x', client: '10.0.0.1', reason: `https://evil.example\n${token}${'x'.repeat(5000)}` });
    expect(line).not.toContain(token);
    expect(line).not.toContain('\n');
    expect(line.length).toBeLessThan(600);
    expect(JSON.parse(line.slice('wavegate: refused '.length))).toMatchObject({ code: 'WG_ERR_ORIGIN_NOT_ALLOWED', status: 403, route: '/x', client: '10.0.0.1', reason: expect.stringContaining('<token>') });
  });
});

describe('every coded refusal writes one structured line', () => {
  it('401, 403 scope, 403 origin, 429, 403 sub, duplicate session and concurrency: code, route, client, reason; never the token', { timeout: 30_000 }, async () => {
    const { base, port } = await start({ authSecret: SECRET, allowedOrigins: ['https://app.example'], clientConnectionsPerSecond: 50, clientRequestsPerSecond: 1000, concurrencyLimit: 1 });
    const expired = await createToken({ secret: SECRET, scope: ['recordings'], ttlS: 60, now: Date.now() - 3_600_000 });
    expect((await send(port, 'GET', `/talk/config.json?token=${expired}`)).status).toBe(401);
    expect((await send(port, 'GET', '/talk/config.json')).status).toBe(401);
    const inputOnly = await createToken({ secret: SECRET, scope: ['input'], ttlS: 60 });
    expect((await send(port, 'GET', '/talk/config.json', { authorization: `Bearer ${inputOnly}` })).status).toBe(403);
    expect((await send(port, 'GET', '/talk/config.json', { origin: 'https://evil.example' })).status).toBe(403);
    const forOne = await createToken({ secret: SECRET, scope: ['input'], sub: 'one', ttlS: 60 });
    expect((await send(port, 'POST', '/input', { authorization: `Bearer ${forOne}`, 'content-type': 'application/json' }, JSON.stringify({ webrtc_id: 'two' }))).status).toBe(403);
    // Sessions: the first holds the one slot; the same id again is a duplicate, another id over the limit.
    const talk = await createToken({ secret: SECRET, scope: ['talk'], ttlS: 60 });
    const ws = `${base.replace('http', 'ws')}/websocket/offer?token=${talk}`;
    const first = await WsTestClient.connect(ws);
    first.send({ event: 'start', websocket_id: 'held', mediaFormat: L16, outputFormat: L16 });
    await vi.waitFor(() => expect(gateway!.sessions.registry.get('held')).toBeDefined());
    const again = await WsTestClient.connect(ws);
    again.send({ event: 'start', websocket_id: 'held', mediaFormat: L16, outputFormat: L16 });
    expect(await again.waitClose()).toBe(4009);
    const over = await WsTestClient.connect(ws);
    over.send({ event: 'start', websocket_id: 'another', mediaFormat: L16, outputFormat: L16 });
    expect(await over.waitClose()).toBe(1013);
    first.close();
    await vi.waitFor(() => expect(refusedLines()).toHaveLength(7));

    const seen = refusedLines();
    expect(seen).toEqual([
      { code: 'WG_ERR_UNAUTHORIZED', status: 401, route: '/talk/config.json', client: '127.0.0.1', reason: 'token expired' },
      { code: 'WG_ERR_UNAUTHORIZED', status: 401, route: '/talk/config.json', client: '127.0.0.1', reason: expect.stringContaining('no access token') },
      { code: 'WG_ERR_FORBIDDEN', status: 403, route: '/talk/config.json', client: '127.0.0.1', reason: 'token scope ["input"] lacks talk' },
      { code: 'WG_ERR_ORIGIN_NOT_ALLOWED', status: 403, route: '/talk/config.json', client: '127.0.0.1', reason: 'https://evil.example' },
      { code: 'WG_ERR_FORBIDDEN', status: 403, route: '/input', client: '127.0.0.1', reason: 'the token is for another session than "two"' },
      { code: 'WG_ERR_DUPLICATE_SESSION', status: 409, route: '/websocket/offer', client: '127.0.0.1', reason: expect.stringContaining('"held"') },
      { code: 'WG_ERR_CONCURRENCY_LIMIT', status: 503, route: '/websocket/offer', client: '127.0.0.1', reason: expect.stringContaining('concurrency limit of 1') },
    ]);
    for (const secret of [expired, inputOnly, forOne, talk]) expect(lines.join('\n')).not.toContain(secret);

    // 429s, HTTP and on the upgrade, are lines too.
    await gateway!.close();
    const limited = await start({ clientRequestsPerSecond: 1, clientConnectionsPerSecond: 1 });
    expect((await send(limited.port, 'GET', '/talk/config.json')).status).toBe(200);
    expect((await send(limited.port, 'GET', '/talk/config.json')).status).toBe(429);
    const wsUrl = `${limited.base.replace('http', 'ws')}/websocket/offer`;
    expect(await upgradeStatus(wsUrl)).toBe(101);
    expect(await upgradeStatus(wsUrl)).toBe(429);
    await vi.waitFor(() => expect(refusedLines()).toHaveLength(2));
    expect(refusedLines()).toEqual([
      { code: 'WG_ERR_CLIENT_RATE_LIMIT', status: 429, route: '/talk/config.json', client: '127.0.0.1', reason: 'more than 1 requests per second from 127.0.0.1' },
      { code: 'WG_ERR_CLIENT_RATE_LIMIT', status: 429, route: '/websocket/offer', client: '127.0.0.1', reason: 'more than 1 connection attempts per second from 127.0.0.1' },
    ]);
  });

  it('the per-client session limit (upgrade and WebRTC offer) and a carrier signature refusal are lines too', { timeout: 30_000 }, async () => {
    const { base, port } = await start({ clientSessions: 1, twilioAuthToken: 'twilio-auth-token-for-tests' });
    const ws = `${base.replace('http', 'ws')}/websocket/offer`;
    const holder = await WsTestClient.connect(ws);
    expect(await upgradeStatus(ws)).toBe(429);
    const offer = JSON.parse((await send(port, 'POST', '/webrtc/offer', { 'content-type': 'application/json' }, JSON.stringify({ webrtc_id: 'over', type: 'offer', sdp: await offerSdp() }))).body);
    expect(offer).toMatchObject({ status: 'failed', meta: { code: 'WG_ERR_CLIENT_SESSION_LIMIT' } });
    const form = 'CallSid=CA1&From=%2B15550001';
    expect((await send(port, 'POST', '/telephone/incoming', { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': 'd3Jvbmc=' }, form)).status).toBe(403);
    holder.close();
    await vi.waitFor(() => expect(refusedLines()).toHaveLength(3));
    expect(refusedLines()).toEqual([
      { code: 'WG_ERR_CLIENT_SESSION_LIMIT', status: 429, route: '/websocket/offer', client: '127.0.0.1', reason: '1 sessions already open from 127.0.0.1' },
      { code: 'WG_ERR_CLIENT_SESSION_LIMIT', status: 429, route: '/webrtc/offer', client: '127.0.0.1', reason: '1 sessions already open from 127.0.0.1' },
      { code: 'WG_ERR_TWILIO_SIGNATURE', status: 403, route: '/telephone/incoming', client: '127.0.0.1', reason: expect.stringContaining('/telephone/incoming') },
    ]);
  });

  it('a call-signaling login under another name than the token\'s is a line too (the connection stays)', { timeout: 30_000 }, async () => {
    const { base } = await start({ authSecret: SECRET });
    const alice = await createToken({ secret: SECRET, scope: ['call'], name: 'alice', ttlS: 60 });
    const client = await WsTestClient.connect(`${base.replace('http', 'ws')}/ws/call/?token=${alice}`);
    client.send({ type: 'login', data: { name: 'mallory' } });
    await client.waitFor((m) => m.type === 'error' && m.code === 'WG_ERR_FORBIDDEN');
    client.close();
    await vi.waitFor(() => expect(refusedLines()).toHaveLength(1));
    expect(refusedLines()[0]).toEqual({ code: 'WG_ERR_FORBIDDEN', status: 403, route: '/ws/call/', client: '127.0.0.1', reason: 'login as "mallory": the token is for the name "alice"' });
  });

  it('a flood of 1000 refusals writes a bounded number of lines plus the count of those held back; /metrics counts every one', { timeout: 60_000 }, async () => {
    const { port } = await start({ authSecret: SECRET, refusalLogPerSecond: 10 });
    const t0 = Date.now();
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < 1000) {
          next++;
          statuses.push((await send(port, 'GET', '/talk/config.json')).status);
        }
      }),
    );
    const seconds = (Date.now() - t0) / 1000;
    expect(statuses.filter((s) => s === 401)).toHaveLength(1000);
    // The window that was open when the flood stopped writes its summary when it ends.
    await vi.waitFor(() => expect(refusedLines().length + summaries().reduce((n, s) => n + s.suppressed, 0)).toBe(1000), { timeout: 3000 });
    const written = refusedLines().length;
    const suppressed = summaries().reduce((n, s) => n + s.suppressed, 0);
    const windows = Math.ceil(seconds) + 1;
    expect(written).toBeLessThanOrEqual(10 * windows);
    expect(summaries().length).toBeLessThanOrEqual(windows);
    expect(lines.length).toBeLessThanOrEqual(11 * windows); // nothing else was logged per refusal
    expect(suppressed).toBe(1000 - written);
    expect(summaries().every((s) => Object.keys(s.byCode).join() === 'WG_ERR_UNAUTHORIZED')).toBe(true);
    const admin = await createToken({ secret: SECRET, scope: ['admin'], ttlS: 60 });
    const text = (await send(port, 'GET', '/metrics', { authorization: `Bearer ${admin}` })).body;
    expect(metric(text, 'wavegate_refusals_total{code="WG_ERR_UNAUTHORIZED"}')).toBe(1000);
    expect(metric(text, 'wavegate_refusal_log_suppressed_total')).toBe(suppressed);
    expect(metric(text, 'wavegate_access_refused_total{code="WG_ERR_UNAUTHORIZED"}')).toBe(1000);
    console.info(`refusal flood: 1000 refusals in ${seconds.toFixed(2)} s → ${written} lines + ${summaries().length} summary lines (${suppressed} held back)`);
  });
});

describe('CORS on refusals', () => {
  const PAGE = 'https://talk.example';

  it('a page of an allowed origin reads the 401 and 429 bodies of /webrtc/offer and /input; other origins get no CORS', { timeout: 30_000 }, async () => {
    const { port } = await start({ authSecret: SECRET, webrtcAllowedOrigins: [PAGE], clientRequestsPerSecond: 6 });
    const json = { 'content-type': 'application/json' };
    const offer = JSON.stringify({ webrtc_id: 'cors-1', type: 'offer', sdp: 'v=0' });
    const input = JSON.stringify({ webrtc_id: 'cors-1' });

    const unauthorizedOffer = await send(port, 'POST', '/webrtc/offer', { ...json, origin: PAGE }, offer);
    expect(unauthorizedOffer.status).toBe(401);
    expect(unauthorizedOffer.headers['access-control-allow-origin']).toBe(PAGE);
    expect(unauthorizedOffer.headers.vary).toBe('Origin');
    expect(unauthorizedOffer.headers['access-control-expose-headers']).toBe('retry-after, www-authenticate');
    expect(JSON.parse(unauthorizedOffer.body).error.code).toBe('WG_ERR_UNAUTHORIZED');

    const unauthorizedInput = await send(port, 'POST', '/input', { ...json, origin: PAGE }, input);
    expect([unauthorizedInput.status, unauthorizedInput.headers['access-control-allow-origin']]).toEqual([401, PAGE]);
    // The preflight a browser sends first for a JSON /input (no token on it: Fetch standard).
    const preflight = await send(port, 'OPTIONS', '/input', { origin: PAGE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(PAGE);
    expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
    // Past the access check, the route's own answers carry it as before (and now /input's too).
    const input2 = await createToken({ secret: SECRET, scope: ['input'], ttlS: 60 });
    const notFound = await send(port, 'POST', '/input', { ...json, origin: PAGE, authorization: `Bearer ${input2}` }, input);
    expect([notFound.status, notFound.headers['access-control-allow-origin'], JSON.parse(notFound.body).error.code]).toEqual([404, PAGE, 'WG_ERR_SESSION_NOT_FOUND']);

    // An origin not allowed gets the refusal, but no CORS header: its page cannot read it.
    const stranger = await send(port, 'POST', '/webrtc/offer', { ...json, origin: 'https://evil.example' }, offer);
    expect(stranger.status).toBe(401);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();

    // Over the request rate: 429 with Retry-After, readable by the allowed page.
    let limited: Answer | undefined;
    for (let i = 0; i < 10 && limited === undefined; i++) {
      const answer = await send(port, 'POST', '/webrtc/offer', { ...json, origin: PAGE }, offer);
      if (answer.status === 429) limited = answer;
    }
    expect(limited).toBeDefined();
    expect(limited!.headers['access-control-allow-origin']).toBe(PAGE);
    expect(limited!.headers['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(limited!.body).error.code).toBe('WG_ERR_CLIENT_RATE_LIMIT');
    // Routes that answer no CORS for successes answer none for refusals either.
    await new Promise((r) => setTimeout(r, 1100));
    const page = await send(port, 'GET', '/talk/config.json', { origin: PAGE });
    expect([page.status, page.headers['access-control-allow-origin']]).toEqual([401, undefined]);
  });

  it('with --allowed-origin, a foreign origin is refused 403 without CORS; a listed webrtc origin is allowed and reads its 401', async () => {
    const { port } = await start({ authSecret: SECRET, allowedOrigins: ['https://other.example'], webrtcAllowedOrigins: [PAGE] });
    const offer = JSON.stringify({ webrtc_id: 'cors-2', type: 'offer', sdp: 'v=0' });
    const foreign = await send(port, 'POST', '/webrtc/offer', { 'content-type': 'application/json', origin: 'https://evil.example' }, offer);
    expect([foreign.status, JSON.parse(foreign.body).error.code, foreign.headers['access-control-allow-origin']]).toEqual([403, 'WG_ERR_ORIGIN_NOT_ALLOWED', undefined]);
    const allowed = await send(port, 'POST', '/webrtc/offer', { 'content-type': 'application/json', origin: PAGE }, offer);
    expect([allowed.status, allowed.headers['access-control-allow-origin']]).toEqual([401, PAGE]);
  });
});
