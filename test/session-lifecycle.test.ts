import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { WsTestClient } from './support/ws-test-client.js';

const frame = Buffer.from(encodeMulaw(new Int16Array(960).map((_, i) => Math.round(8000 * Math.sin(i / 5))))).toString('base64');
const media = { event: 'media', media: { payload: frame } };

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startSession(url: string, id: string, extra: Record<string, unknown> = {}): Promise<WsTestClient> {
  const client = await WsTestClient.connect(url);
  client.send({ event: 'start', websocket_id: id, ...extra });
  client.send(media);
  await until(() => (probes.get(id)?.frames ?? 0) >= 1 || client.closeCode !== undefined);
  return client;
}

describe('every way a session ends calls shutdown() exactly once', () => {
  let gateway: Gateway;
  let url: string;
  let idleGateway: Gateway;
  let idleUrl: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: probeHandler, port: 0, timeLimitS: 1.5 });
    url = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
    idleGateway = createGateway({ handler: probeHandler, port: 0, idleTimeoutS: 1 });
    idleUrl = `${(await idleGateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
  });
  afterAll(async () => {
    await gateway.close();
    await idleGateway.close();
  });

  it('client stop', async () => {
    const client = await startSession(url, 'end-stop');
    client.send({ event: 'stop' });
    expect(await client.waitClose()).toBe(1000);
    await until(() => probes.get('end-stop')!.shutdowns.length > 0);
    expect(probes.get('end-stop')!.shutdowns).toEqual(['client_stop']);
  });

  it('socket drop', async () => {
    const client = await startSession(url, 'end-drop');
    client.socket.terminate();
    await until(() => probes.get('end-drop')!.shutdowns.length > 0);
    expect(probes.get('end-drop')!.shutdowns).toEqual(['socket_closed']);
  });

  it('handler error: the client gets WG_ERR_HANDLER_FAILED and 1011; other sessions carry on', async () => {
    const bystander = await startSession(url, 'end-bystander');
    const client = await startSession(url, 'end-error', { handlerOptions: { throwOnFrame: 2 } });
    client.send(media);
    const error = await client.waitFor((m) => m.type === 'error');
    expect(error.code).toBe('WG_ERR_HANDLER_FAILED');
    expect(await client.waitClose()).toBe(1011);
    expect(probes.get('end-error')!.shutdowns).toEqual(['handler_error']);
    bystander.send(media);
    await until(() => probes.get('end-bystander')!.frames >= 2);
    bystander.send({ event: 'stop' });
    await bystander.waitClose();
  });

  it('time limit (while sending)', async () => {
    const client = await startSession(url, 'end-time');
    const keepAlive = setInterval(() => client.send(media), 100);
    const error = await client.waitFor((m) => m.type === 'error', 5000);
    clearInterval(keepAlive);
    expect(error.code).toBe('WG_ERR_TIME_LIMIT');
    expect(await client.waitClose()).toBe(4008);
    expect(probes.get('end-time')!.shutdowns).toEqual(['time_limit']);
  });

  it('idle timeout', async () => {
    const client = await startSession(idleUrl, 'end-idle');
    const error = await client.waitFor((m) => m.type === 'error', 5000);
    expect(error.code).toBe('WG_ERR_IDLE_TIMEOUT');
    expect(await client.waitClose()).toBe(4010);
    expect(probes.get('end-idle')!.shutdowns).toEqual(['idle_timeout']);
  });

  it('handler ends the stream: end_stream after the queued audio, then close', async () => {
    const client = await startSession(url, 'end-handler', { handlerOptions: { endStreamAfterFrames: 1 } });
    await client.waitFor((m) => m.type === 'end_stream');
    const kinds = client.json().map((m) => m.event ?? m.type);
    expect(kinds.indexOf('end_stream')).toBeGreaterThan(kinds.lastIndexOf('media'));
    expect(await client.waitClose()).toBe(1000);
    expect(probes.get('end-handler')!.shutdowns).toEqual(['handler_closed']);
  });

  it('frames wait for a slow startUp and arrive in order', async () => {
    const client = await WsTestClient.connect(url);
    client.send({ event: 'start', websocket_id: 'slow-start', handlerOptions: { startUpDelayMs: 300 } });
    for (let i = 0; i < 5; i++) client.send(media);
    await until(() => (probes.get('slow-start')?.frames ?? 0) >= 5);
    client.send({ event: 'stop' });
    await client.waitClose();
    expect(probes.get('slow-start')!.shutdowns).toEqual(['client_stop']);
  });
});

describe('server shutdown', () => {
  it('closes every session with 1001 after its handler shut down', async () => {
    const gateway = createGateway({ handler: probeHandler, port: 0 });
    const url = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
    const clients = await Promise.all(['down-1', 'down-2', 'down-3'].map((id) => startSession(url, id)));
    await gateway.close();
    for (const [i, client] of clients.entries()) {
      expect(await client.waitClose()).toBe(1001);
      expect(probes.get(`down-${i + 1}`)!.shutdowns).toEqual(['server_shutdown']);
    }
  });
});

describe('admission', () => {
  it("refuses over the concurrency limit with FastRTC's failure message, before any handler starts", async () => {
    const gateway = createGateway({ handler: probeHandler, port: 0, concurrencyLimit: 2 });
    const url = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
    const a = await startSession(url, 'adm-1');
    const b = await startSession(url, 'adm-2');
    const c = await WsTestClient.connect(url);
    c.send({ event: 'start', websocket_id: 'adm-3' });
    const refusal = await c.waitFor((m) => m.status === 'failed');
    expect(refusal).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 2 } });
    expect(await c.waitClose()).toBe(1013);
    expect(probes.has('adm-3')).toBe(false); // no handler was created or started
    a.send({ event: 'stop' });
    await a.waitClose();
    const d = await startSession(url, 'adm-4'); // a slot freed up
    expect(probes.get('adm-4')!.frames).toBe(1);
    for (const client of [b, d]) client.close();
    await gateway.close();
  });

  it('refuses a duplicate id (the first session is untouched)', async () => {
    const gateway = createGateway({ handler: probeHandler, port: 0 });
    const url = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
    const first = await startSession(url, 'dup-1');
    const second = await WsTestClient.connect(url);
    second.send({ event: 'start', websocket_id: 'dup-1' });
    expect((await second.waitFor((m) => m.type === 'error')).code).toBe('WG_ERR_DUPLICATE_SESSION');
    expect(await second.waitClose()).toBe(4009);
    first.send(media);
    await until(() => probes.get('dup-1')!.frames >= 2);
    expect(probes.get('dup-1')!.created).toBe(1);
    await gateway.close();
  });
});
