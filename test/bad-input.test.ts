import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import echo from '../handlers/echo.js';
import { WsTestClient } from './support/ws-test-client.js';

const tone = encodeMulaw(Int16Array.from({ length: 960 }, (_, i) => Math.round(8000 * Math.sin(i / 4))));
const media = { event: 'media', media: { payload: Buffer.from(tone).toString('base64') } };

let gateway: Gateway;
let wsUrl: string;
let httpUrl: string;
let bystander: WsTestClient;

async function started(id: string, extra: Record<string, unknown> = {}): Promise<WsTestClient> {
  const client = await WsTestClient.connect(wsUrl);
  client.send({ event: 'start', websocket_id: id, ...extra });
  return client;
}

/** The bystander session still gets its own echo back: bad input elsewhere disturbed nothing. */
async function bystanderStillEchoes(): Promise<void> {
  const before = bystander.json().filter((m) => m.event === 'media').length;
  for (let i = 0; i < 3; i++) bystander.send(media);
  await bystander.waitFor(() => bystander.json().filter((m) => m.event === 'media').length > before, 5000);
}

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0, maxPayloadBytes: 16 * 1024, maxMessagesPerSecond: 200 });
  httpUrl = (await gateway.listen()).url;
  wsUrl = `${httpUrl.replace('http', 'ws')}/websocket/offer`;
  bystander = await started('bystander');
});
afterAll(async () => {
  bystander.close();
  await gateway.close();
});

describe('bad input gets its error code; the process and other sessions carry on', () => {
  const nonFatal: Array<[string, unknown, string]> = [
    ['malformed JSON', '{"event": "media", ', 'WG_ERR_MALFORMED_JSON'],
    ['a JSON value that is not an object', '[1,2,3]', 'WG_ERR_MALFORMED_MESSAGE'],
    ['bad base64', { event: 'media', media: { payload: '@@not base64@@' } }, 'WG_ERR_BAD_BASE64'],
    ['media without payload', { event: 'media', media: {} }, 'WG_ERR_MALFORMED_MESSAGE'],
    ['an unknown event', { event: 'teleport' }, 'WG_ERR_UNKNOWN_EVENT'],
    ['a second start', { event: 'start', websocket_id: 'again' }, 'WG_ERR_ALREADY_STARTED'],
    ['an oversized frame', { event: 'media', media: { payload: Buffer.alloc(20_000).toString('base64') } }, 'WG_ERR_PAYLOAD_TOO_LARGE'],
    ['binary media on a μ-law session', Buffer.from(tone), 'WG_ERR_BINARY_NOT_ALLOWED'],
  ];
  for (const [name, message, code] of nonFatal) {
    it(`${name} → ${code}, session stays open`, async () => {
      const client = await started(`bad-${code.toLowerCase()}`);
      client.send(message);
      const error = await client.waitFor((m) => m.code === code);
      expect(['error', 'warning']).toContain(error.type);
      expect(typeof error.message).toBe('string');
      client.send(media); // the session still works
      await client.waitFor((m) => m.event === 'media');
      expect(client.closeCode).toBeUndefined();
      client.close();
      await bystanderStillEchoes();
    });
  }

  it('media before start → WG_ERR_MEDIA_BEFORE_START', async () => {
    const client = await WsTestClient.connect(wsUrl);
    client.send(media);
    expect((await client.waitFor((m) => m.type === 'error')).code).toBe('WG_ERR_MEDIA_BEFORE_START');
    client.send({ event: 'start', websocket_id: 'late-start' });
    client.send(media);
    await client.waitFor((m) => m.event === 'media');
    client.close();
  });

  const fatal: Array<[string, Record<string, unknown>, string, number]> = [
    ['an id with path tricks', { event: 'start', websocket_id: '../../etc/passwd' }, 'WG_ERR_INVALID_ID', 1008],
    ['a missing id', { event: 'start' }, 'WG_ERR_INVALID_ID', 1008],
    ['an unsupported encoding', { event: 'start', websocket_id: 'fmt1', mediaFormat: { encoding: 'audio/mpeg', sampleRate: 44100 } }, 'WG_ERR_UNSUPPORTED_FORMAT', 1003],
    ['Opus at a rate Opus lacks', { event: 'start', websocket_id: 'fmt2', mediaFormat: { encoding: 'audio/opus', sampleRate: 44100, channels: 1 } }, 'WG_ERR_UNSUPPORTED_FORMAT', 1003],
    ['a wrong rate', { event: 'start', websocket_id: 'fmt3', mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: -8000 } }, 'WG_ERR_UNSUPPORTED_FORMAT', 1003],
    ['stereo', { event: 'start', websocket_id: 'fmt4', mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 2 } }, 'WG_ERR_UNSUPPORTED_FORMAT', 1003],
    ['bad handler options', { event: 'start', websocket_id: 'opt1', handlerOptions: { gainDb: 'loud' } }, 'WG_ERR_INVALID_OPTION', 1008],
    ['a handler option clients may not set', { event: 'start', websocket_id: 'opt2', handlerOptions: { gainDb: 3, command: '/bin/sh' } }, 'WG_ERR_OPTION_NOT_ALLOWED', 1008],
  ];
  for (const [name, message, code, closeCode] of fatal) {
    it(`start with ${name} → ${code} and close ${closeCode}`, async () => {
      const client = await WsTestClient.connect(wsUrl);
      client.send(message);
      expect((await client.waitFor((m) => m.type === 'error')).code).toBe(code);
      expect(await client.waitClose()).toBe(closeCode);
      await bystanderStillEchoes();
    });
  }

  it('L16 payload with half a sample → WG_ERR_BAD_PAYLOAD, counted', async () => {
    const client = await started('l16-odd', { mediaFormat: { encoding: 'audio/x-l16', sampleRate: 16000, channels: 1 } });
    client.send(Buffer.alloc(641));
    expect((await client.waitFor((m) => m.type === 'warning')).code).toBe('WG_ERR_BAD_PAYLOAD');
    expect(gateway.sessions.registry.get('l16-odd')!.counters.framesDroppedUndecodable).toBe(1);
    client.close();
  });

  it('a flood over the per-connection rate → WG_ERR_RATE_LIMIT, extra messages dropped and counted', async () => {
    const client = await started('flood');
    for (let i = 0; i < 400; i++) client.send({ event: 'ping' });
    expect((await client.waitFor((m) => m.code === 'WG_ERR_RATE_LIMIT')).type).toBe('error');
    await new Promise((r) => setTimeout(r, 100));
    expect(gateway.sessions.registry.get('flood')!.counters.messagesDroppedRateLimit).toBeGreaterThan(0);
    client.close();
    await bystanderStillEchoes();
  });

  it('a message over the hard cap closes only that socket with 1009', async () => {
    const client = await started('huge');
    client.send(Buffer.alloc(16 * 1024 * 4 + 1));
    expect(await client.waitClose()).toBe(1009);
    await bystanderStillEchoes();
  });

  it('HTTP: bad JSON, unknown session, bad id, unknown path, wrong method', async () => {
    const post = (body: string) => fetch(`${httpUrl}/input`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
    let res = await post('{oops');
    expect([res.status, await codeOf(res)]).toEqual([400, 'WG_ERR_MALFORMED_JSON']);
    res = await post(JSON.stringify({ webrtc_id: 'nobody', x: 1 }));
    expect([res.status, await codeOf(res)]).toEqual([404, 'WG_ERR_SESSION_NOT_FOUND']);
    res = await post(JSON.stringify({ webrtc_id: '../x' }));
    expect([res.status, await codeOf(res)]).toEqual([400, 'WG_ERR_INVALID_ID']);
    res = await fetch(`${httpUrl}/nope`);
    expect([res.status, await codeOf(res)]).toEqual([404, 'WG_ERR_NOT_FOUND']);
    res = await fetch(`${httpUrl}/input`);
    expect([res.status, await codeOf(res)]).toEqual([405, 'WG_ERR_METHOD_NOT_ALLOWED']);
    res = await post(JSON.stringify({ webrtc_id: 'bystander', answer: 42 }));
    expect(res.status).toBe(200);
    expect((await fetch(`${httpUrl}/healthz`)).status).toBe(200);
  });
});

describe('handler options the handler refuses', () => {
  it('gainDb "x" → WG_ERR_INVALID_OPTION, close 1008, before the handler is created; a bystander carries on', async () => {
    const client = await started('bad-option', { handlerOptions: { gainDb: 'x' } });
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.code).toBe('WG_ERR_INVALID_OPTION');
    expect(error.message).toContain('gainDb');
    expect(await client.waitClose()).toBe(1008);
    await bystanderStillEchoes();
  });
});
