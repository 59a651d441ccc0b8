// Access tokens through real sockets (docs/security.md): every endpoint with a token, without one,
// expired, wrong scope and wrong sub; WebSockets refused before the upgrade; live expiry only with
// enforceExpLive. The gateways are real (createGateway, real HTTP server and WebSockets).
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import echo from '../handlers/echo.js';
import { createToken } from '../src/auth/access-token.js';
import type { TokenScope } from '../src/auth/token-claims.js';
import { encodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { tempDir } from './recordings-helpers.js';
import { NodePeer } from './support/webrtc-node-peer.js';
import { WsTestClient } from './support/ws-test-client.js';

const SECRET = 'test-secret-of-at-least-32-chars!';
const OTHER_SECRET = 'another-secret-of-32-characters!!';
const frame = Buffer.from(encodeMulaw(new Int16Array(960).map((_, i) => Math.round(8000 * Math.sin(i / 5))))).toString('base64');

const token = (scope: TokenScope[], extra: { sub?: string; name?: string; ttlS?: number; now?: number; secret?: string; handlerOptions?: Record<string, any> } = {}) =>
  createToken({ secret: extra.secret ?? SECRET, scope, ttlS: extra.ttlS ?? 600, ...extra });
const expired = (scope: TokenScope[], sub?: string) => token(scope, { sub, ttlS: 60, now: Date.now() - 3_600_000 });

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Answer {
  status: number;
  code: string | undefined;
  body: string;
  headers: Headers;
}

async function request(base: string, path: string, init: RequestInit & { token?: string; via?: 'header' | 'query' } = {}): Promise<Answer> {
  const url = new URL(path, base);
  const headers = new Headers(init.headers);
  if (init.token !== undefined) {
    if (init.via === 'query') url.searchParams.set('token', init.token);
    else headers.set('authorization', `Bearer ${init.token}`);
  }
  const response = await fetch(url, { ...init, headers });
  const body = await response.text();
  let code: string | undefined;
  try {
    code = JSON.parse(body)?.error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code, body, headers: response.headers };
}

/** The outcome of a WebSocket upgrade: open (the socket), or the HTTP status and body of the refusal. */
function upgrade(url: string, tokenValue?: string): Promise<{ open: WebSocket } | { status: number; code: string | undefined }> {
  const target = new URL(url);
  if (tokenValue !== undefined) target.searchParams.set('token', tokenValue);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target);
    socket.once('open', () => resolve({ open: socket }));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        let code: string | undefined;
        try {
          code = JSON.parse(body)?.error?.code;
        } catch {
          code = undefined;
        }
        resolve({ status: res.statusCode ?? 0, code });
      });
    });
    socket.once('error', (err) => {
      if (!String(err.message).includes('Unexpected server response')) reject(err);
    });
  });
}

async function startSession(wsUrl: string, id: string, tokenValue: string): Promise<WsTestClient> {
  const client = await WsTestClient.connect(`${wsUrl}?token=${encodeURIComponent(tokenValue)}`);
  client.send({ event: 'start', websocket_id: id });
  client.send({ event: 'media', media: { payload: frame } });
  return client;
}

describe('access tokens on every endpoint (authSecret set)', () => {
  let gateway: Gateway;
  let base: string;
  let ws: string;
  let folder: Awaited<ReturnType<typeof tempDir>>;
  let session: WsTestClient;

  beforeAll(async () => {
    folder = await tempDir('auth-tokens');
    gateway = createGateway({ handler: echo, port: 0, authSecret: SECRET, recordDir: folder.dir, metricsTokenRequired: true });
    base = (await gateway.listen()).url;
    ws = base.replace('http', 'ws');
    session = await startSession(`${ws}/websocket/offer`, 'sess-a', await token(['talk'], { sub: 'sess-a' }));
    await until(() => gateway.sessions.registry.get('sess-a') !== undefined);
  });
  afterAll(async () => {
    session.socket.close();
    await gateway.close();
    await folder.remove();
  });

  it('/healthz and the pages stay open; the talk page config needs talk', async () => {
    expect((await request(base, '/healthz')).status).toBe(200);
    expect((await request(base, '/')).status).toBe(200);
    expect((await request(base, '/talk/talk-page.js')).status).toBe(200);
    expect((await request(base, '/call/')).status).toBe(200);
    const none = await request(base, '/talk/config.json');
    expect([none.status, none.code]).toEqual([401, 'WG_ERR_UNAUTHORIZED']);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect((await request(base, '/talk/config.json', { token: await token(['talk']), via: 'query' })).status).toBe(200);
    expect((await request(base, '/talk/config.json', { token: await token(['input']) })).code).toBe('WG_ERR_FORBIDDEN');
  });

  // Route, method, the scope it needs, and what a request with the right token gets.
  const plain: Array<{ path: string; method?: string; scope: TokenScope; body?: () => string; ok: number }> = [
    { path: '/talk/config.json', scope: 'talk', ok: 200 },
    { path: '/call/config.json', scope: 'call', ok: 200 },
    // No such session: the 404 comes from the route, after the access check passed.
    { path: '/outputs?webrtc_id=nobody', scope: 'input', ok: 404 },
    { path: '/call/stats.json', scope: 'admin', ok: 200 },
    { path: '/metrics', scope: 'admin', ok: 200 },
    { path: '/recordings', scope: 'recordings', ok: 200 },
    // HEAD: a GET of a live recording waits at its growing end.
    { path: '/recordings/sess-a.wav', method: 'HEAD', scope: 'recordings', ok: 200 },
    { path: '/input', method: 'POST', scope: 'input', body: () => JSON.stringify({ webrtc_id: 'sess-a', gainDb: 1 }), ok: 200 },
    // An invalid SDP is refused by the route (HTTP 200 failed), i.e. after the access check passed.
    { path: '/webrtc/offer', method: 'POST', scope: 'talk', body: () => JSON.stringify({ webrtc_id: 'sess-w', type: 'offer', sdp: 'v=0' }), ok: 200 },
  ];

  for (const route of plain) {
    it(`${route.method ?? 'GET'} ${route.path}: 401 without a token, expired or foreign-signed; 403 for another scope; ${route.ok} with ${route.scope}`, async () => {
      const init = { method: route.method ?? 'GET', ...(route.body && { body: route.body(), headers: { 'content-type': 'application/json' } }) };
      // HEAD answers carry no body: the status alone is compared.
      const shape = (a: Answer) => (init.method === 'HEAD' ? [a.status] : [a.status, a.code]);
      const refusal = (status: number, code: string) => (init.method === 'HEAD' ? [status] : [status, code]);
      const none = await request(base, route.path, init);
      expect(shape(none)).toEqual(refusal(401, 'WG_ERR_UNAUTHORIZED'));
      const old = await request(base, route.path, { ...init, token: await expired([route.scope]) });
      expect(shape(old)).toEqual(refusal(401, 'WG_ERR_UNAUTHORIZED'));
      if (init.method !== 'HEAD') expect(old.body).toContain('expired');
      const foreign = await request(base, route.path, { ...init, token: await token([route.scope], { secret: OTHER_SECRET }) });
      expect(shape(foreign)).toEqual(refusal(401, 'WG_ERR_UNAUTHORIZED'));
      const otherScope: TokenScope = route.scope === 'admin' ? 'talk' : 'admin';
      const wrong = await request(base, route.path, { ...init, token: await token([otherScope]) });
      expect(shape(wrong)).toEqual(refusal(403, 'WG_ERR_FORBIDDEN'));
      const good = await request(base, route.path, { ...init, token: await token([route.scope]) });
      expect(good.status, good.body).toBe(route.ok);
      const viaQuery = await request(base, route.path, { ...init, token: await token([route.scope]), via: 'query' });
      expect(viaQuery.status, viaQuery.body).toBe(route.ok);
    });
  }

  it('sub: /input, /outputs, /webrtc/offer and /recordings/{id}.wav refuse a token for another session (403)', async () => {
    const json = { 'content-type': 'application/json' };
    const input = (sub: string) => token(['input'], { sub });
    expect((await request(base, '/input', { method: 'POST', headers: json, body: JSON.stringify({ webrtc_id: 'sess-a' }), token: await input('sess-a') })).status).toBe(200);
    const wrongInput = await request(base, '/input', { method: 'POST', headers: json, body: JSON.stringify({ webrtc_id: 'sess-a' }), token: await input('sess-b') });
    expect([wrongInput.status, wrongInput.code]).toEqual([403, 'WG_ERR_FORBIDDEN']);
    const wrongOutputs = await request(base, '/outputs?webrtc_id=sess-a', { token: await input('sess-b') });
    expect([wrongOutputs.status, wrongOutputs.code]).toEqual([403, 'WG_ERR_FORBIDDEN']);
    // The right sub gets the event stream (read its first bytes, then hang up).
    const controller = new AbortController();
    const outputs = await fetch(new URL('/outputs?webrtc_id=sess-a', base), { headers: { authorization: `Bearer ${await input('sess-a')}` }, signal: controller.signal });
    expect(outputs.status).toBe(200);
    expect(outputs.headers.get('content-type')).toBe('text/event-stream');
    controller.abort();
    const offer = (sub: string) => request(base, '/webrtc/offer', { method: 'POST', headers: json, body: JSON.stringify({ webrtc_id: 'sess-w', type: 'offer', sdp: 'v=0' }), token: sub });
    const wrongOffer = await offer(await token(['talk'], { sub: 'sess-x' }));
    expect([wrongOffer.status, wrongOffer.code]).toEqual([403, 'WG_ERR_FORBIDDEN']);
    expect((await offer(await token(['talk'], { sub: 'sess-w' }))).status).toBe(200);
    const wrongRecording = await request(base, '/recordings/sess-a.wav', { token: await token(['recordings'], { sub: 'sess-b' }) });
    expect([wrongRecording.status, wrongRecording.code]).toEqual([403, 'WG_ERR_FORBIDDEN']);
    expect((await request(base, '/recordings/sess-a.wav', { method: 'HEAD', token: await token(['recordings'], { sub: 'sess-a' }) })).status).toBe(200);
    // A token for one session lists that session's recording only.
    const listed = JSON.parse((await request(base, '/recordings', { token: await token(['recordings'], { sub: 'sess-b' }) })).body);
    expect(listed.recordings).toEqual([]);
  });

  it('WS /websocket/offer: refused before the upgrade (401/403 on the HTTP response); a start for another id closes 4003', async () => {
    const url = `${ws}/websocket/offer`;
    expect(await upgrade(url)).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(url, await expired(['talk']))).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(url, 'not-a-jwt')).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(url, await token(['input']))).toEqual({ status: 403, code: 'WG_ERR_FORBIDDEN' });
    const wrongSub = await startSession(url, 'sess-c', await token(['talk'], { sub: 'sess-d' }));
    expect(await wrongSub.closed).toBe(4003);
    expect(wrongSub.json().find((m) => m.type === 'error')?.code).toBe('WG_ERR_FORBIDDEN');
    expect(gateway.sessions.registry.get('sess-c')).toBeUndefined();
    const right = await startSession(url, 'sess-d', await token(['talk'], { sub: 'sess-d' }));
    await until(() => gateway.sessions.registry.get('sess-d') !== undefined);
    right.socket.close();
  });

  it('handlerOptions caps: a start setting more than the token allows closes 4003; within the caps it opens', async () => {
    const url = `${ws}/websocket/offer`;
    const capped = await token(['talk'], { handlerOptions: { gainDb: { min: -6, max: 6 } } });
    const over = await WsTestClient.connect(`${url}?token=${capped}`);
    over.send({ event: 'start', websocket_id: 'cap-1', handlerOptions: { gainDb: 20 } });
    expect(await over.closed).toBe(4003);
    const within = await WsTestClient.connect(`${url}?token=${capped}`);
    within.send({ event: 'start', websocket_id: 'cap-2', handlerOptions: { gainDb: 3 } });
    await until(() => gateway.sessions.registry.get('cap-2') !== undefined);
    within.socket.close();
  });

  it('WS /ws/call/: call scope before the upgrade; the name claim refuses another login name', async () => {
    const url = `${ws}/ws/call/`;
    expect(await upgrade(url)).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(url, await expired(['call']))).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(url, await token(['talk']))).toEqual({ status: 403, code: 'WG_ERR_FORBIDDEN' });
    const client = await WsTestClient.connect(`${url}?token=${await token(['call'], { name: 'alice' })}`);
    client.send({ type: 'login', data: { name: 'mallory' } });
    expect((await client.waitFor((m) => m.type === 'error')).code).toBe('WG_ERR_FORBIDDEN');
    client.send({ type: 'login', data: { name: 'alice' } });
    await client.waitFor((m) => m.type === 'logged_in');
    client.socket.close();
  });

  it('telephony: media streams need a carrier signature or a talk token (Telnyx); the webhook needs no token', async () => {
    expect(await upgrade(`${ws}/telephone/twilio`)).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(`${ws}/telephone/plivo`, await expired(['talk']))).toEqual({ status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    expect(await upgrade(`${ws}/telephone/handler`, await token(['input']))).toEqual({ status: 403, code: 'WG_ERR_FORBIDDEN' });
    const opened = await upgrade(`${ws}/telephone/telnyx`, await token(['talk']));
    expect('open' in opened).toBe(true);
    if ('open' in opened) opened.open.close();
    const incoming = await request(base, '/telephone/incoming', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'From=%2B1555' });
    expect(incoming.status).toBe(200);
    expect(incoming.body).toContain('<Stream');
  });

  it('a token with alg none or another algorithm is refused', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ scope: ['admin'], exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    expect((await request(base, '/call/stats.json', { token: `${header}.${payload}.` })).code).toBe('WG_ERR_UNAUTHORIZED');
    const hs512 = await new SignJWT({ scope: ['admin'] }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('10m').sign(new TextEncoder().encode(SECRET));
    expect((await request(base, '/call/stats.json', { token: hs512 })).code).toBe('WG_ERR_UNAUTHORIZED');
    const noExp = await new SignJWT({ scope: ['admin'] }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
    expect((await request(base, '/call/stats.json', { token: noExp })).code).toBe('WG_ERR_UNAUTHORIZED');
    const notYet = await token(['admin'], { now: Date.now() + 3_600_000 });
    expect((await request(base, '/call/stats.json', { token: notYet })).status).toBe(200); // iat in the future is no refusal…
    const nbf = await createToken({ secret: SECRET, scope: ['admin'], ttlS: 600, notBeforeS: 300 });
    const early = await request(base, '/call/stats.json', { token: nbf });
    expect([early.status, early.code]).toEqual([401, 'WG_ERR_UNAUTHORIZED']); // …but nbf is honoured.
    expect(early.body).toContain('nbf');
  });

  it('a CORS preflight needs no token (browsers send none); any other OPTIONS request is checked', async () => {
    const preflight = await request(base, '/webrtc/offer', { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(preflight.status).not.toBe(401);
    const plain = await request(base, '/webrtc/offer', { method: 'OPTIONS' });
    expect([plain.status, plain.code]).toEqual([401, 'WG_ERR_UNAUTHORIZED']);
  });

  it('refusals are counted on /metrics by code', async () => {
    const text = (await request(base, '/metrics', { token: await token(['admin']) })).body;
    expect(text).toMatch(/wavegate_access_refused_total\{code="WG_ERR_UNAUTHORIZED"\} [1-9]\d*/);
    expect(text).toMatch(/wavegate_access_refused_total\{code="WG_ERR_FORBIDDEN"\} [1-9]\d*/);
  });

  it('the session opened at the start is still running: nothing here disturbed it', () => {
    expect(gateway.sessions.registry.get('sess-a')).toBeDefined();
    expect(session.closeCode).toBeUndefined();
  });
});

describe('token expiry while running', () => {
  it('by default an expired token ends nothing already running; with enforceExpLive the socket closes 4001', async () => {
    const lenient = createGateway({ handler: echo, port: 0, authSecret: SECRET });
    const strict = createGateway({ handler: echo, port: 0, authSecret: SECRET, enforceExpLive: true });
    try {
      const lenientWs = `${(await lenient.listen()).url.replace('http', 'ws')}/websocket/offer`;
      const strictWs = `${(await strict.listen()).url.replace('http', 'ws')}/websocket/offer`;
      const short = await token(['talk'], { ttlS: 2 });
      const kept = await startSession(lenientWs, 'live-1', short);
      const ended = await startSession(strictWs, 'live-2', short);
      await until(() => lenient.sessions.registry.get('live-1') !== undefined && strict.sessions.registry.get('live-2') !== undefined);
      expect(await ended.closed).toBe(4001);
      await until(() => strict.sessions.registry.get('live-2') === undefined);
      // The token of the lenient session has expired by now too: it runs on.
      kept.send({ event: 'media', media: { payload: frame } });
      await new Promise((r) => setTimeout(r, 200));
      expect(kept.closeCode).toBeUndefined();
      expect(lenient.sessions.registry.get('live-1')).toBeDefined();
      kept.socket.close();
    } finally {
      await lenient.close();
      await strict.close();
    }
  });
});

describe('token expiry while running, WebRTC', () => {
  it('with enforceExpLive a WebRTC peer opened with a token ends when it expires', { timeout: 60_000 }, async () => {
    const strict = createGateway({ handler: echo, port: 0, authSecret: SECRET, enforceExpLive: true });
    let peer: NodePeer | undefined;
    try {
      const base = (await strict.listen()).url;
      peer = await NodePeer.open(base, { webrtcId: 'rtc-exp', token: await token(['talk'], { ttlS: 3 }) });
      const id = peer.webrtcId;
      await until(() => strict.sessions.registry.get(id) !== undefined);
      await until(() => strict.sessions.registry.get(id) === undefined, 20_000);
      await until(() => peer!.messages.some((m) => m.includes('WG_ERR_UNAUTHORIZED')), 10_000);
    } finally {
      await peer?.close();
      await strict.close();
    }
  });
});

describe('secret rotation', () => {
  it('with several secrets a token signed by any verifies; an expired one still says expired; others are refused', async () => {
    const NEW = 'the-new-secret-of-32-characters!!';
    const gateway = createGateway({ handler: echo, port: 0, authSecret: [NEW, SECRET] });
    try {
      const base = (await gateway.listen()).url;
      for (const secret of [NEW, SECRET]) expect((await request(base, '/call/stats.json', { token: await token(['admin'], { secret }) })).status).toBe(200);
      const old = await request(base, '/call/stats.json', { token: await token(['admin'], { secret: SECRET, ttlS: 60, now: Date.now() - 3_600_000 }) });
      expect([old.status, old.body.includes('expired')]).toEqual([401, true]);
      expect((await request(base, '/call/stats.json', { token: await token(['admin'], { secret: OTHER_SECRET }) })).status).toBe(401);
    } finally {
      await gateway.close();
    }
    expect(() => createGateway({ handler: echo, authSecret: [] })).toThrow(/no secret/);
    expect(() => createGateway({ handler: echo, authSecret: [SECRET, 'short'] })).toThrow(/5 characters/);
  });
});

describe('access tokens off (the default)', () => {
  it('every route answers without a token, as before', async () => {
    const gateway = createGateway({ handler: echo, port: 0 });
    try {
      const base = (await gateway.listen()).url;
      expect((await request(base, '/talk/config.json')).status).toBe(200);
      expect((await request(base, '/call/stats.json')).status).toBe(200);
      expect((await request(base, '/metrics')).status).toBe(200);
      const opened = await upgrade(`${base.replace('http', 'ws')}/websocket/offer`);
      expect('open' in opened).toBe(true);
      if ('open' in opened) opened.open.close();
    } finally {
      await gateway.close();
    }
  });
});

describe('signed recording URLs with access tokens on', () => {
  it('a validly signed URL is enough without a token; unsigned needs one', async () => {
    const folder = await tempDir('auth-signed');
    const gateway = createGateway({ handler: echo, port: 0, authSecret: SECRET, recordDir: folder.dir, recordingsSecret: 'recordings-secret-16+' });
    try {
      const base = (await gateway.listen()).url;
      const client = await startSession(`${base.replace('http', 'ws')}/websocket/offer`, 'rec-1', await token(['talk']));
      await until(() => gateway.sessions.registry.get('rec-1') !== undefined);
      const signedPath = gateway.recordings!.signedPath('rec-1');
      expect(signedPath).toContain('signature=');
      expect((await request(base, signedPath, { method: 'HEAD' })).status).toBe(200);
      expect((await request(base, '/recordings/rec-1.wav', { method: 'HEAD' })).status).toBe(401);
      expect((await request(base, '/recordings/rec-1.wav', { method: 'HEAD', token: await token(['recordings']) })).status).toBe(200);
      // A signature for another recording is no pass for this one.
      expect((await request(base, signedPath.replace('rec-1', 'rec-2'), { method: 'HEAD' })).status).toBe(401);
      client.socket.close();
    } finally {
      await gateway.close();
      await folder.remove();
    }
  });
});
