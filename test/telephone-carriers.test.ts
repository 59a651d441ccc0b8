import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { calls, mulawTone, phoneProbe, plivo, rms, telnyx, twilio, until, type CarrierDialect } from './telephone-carrier-sim.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

/**
 * Telnyx and Plivo sequences, on their own routes and on the auto-detecting /telephone/handler, and
 * the limits every phone call obeys: concurrency_limit (shared with FastRTC) and time_limit.
 */
let gateway: Gateway;
let wsBase: string;
beforeAll(async () => {
  gateway = createGateway({ handler: phoneProbe, port: 0, idleTimeoutS: 30 });
  wsBase = (await gateway.listen()).url.replace('http', 'ws');
});
afterAll(() => gateway.close());

const cases: Array<[string, string, CarrierDialect]> = [
  ['telnyx', '/telephone/telnyx', telnyx],
  ['telnyx', '/telephone/handler', telnyx],
  ['plivo', '/telephone/plivo', plivo],
  ['plivo', '/telephone/handler', plivo],
];

describe.each(cases)('%s media stream on %s', (_name, path, dialect) => {
  it('echo, a mark after the reply (played on the carrier echo), dtmf, clear on barge-in, end of call', async () => {
    const streamId = `${dialect.name}-${path.split('/').at(-1)}-0000-4000-8000-000000000001`;
    const client = await WsTestClient.connect(`${wsBase}${path}`);
    const connected = dialect.connected();
    if (connected) client.send(connected);
    // The probe echoes until the caller's 10th frame, then answers 3 s of tone and clears on loud input.
    client.send(dialect.start(streamId, 'call-1', { probe: 'bargein10' }));
    const frames = [...mulawTone(30, 440, 0), ...mulawTone(15, 440, 8000)];
    let talkAt = 0;
    await sendPaced(frames, (payload, k) => {
      if (k === 30) talkAt = performance.now();
      client.send(dialect.media(streamId, k, payload as Buffer));
    });
    const record = calls.get(streamId)!;
    expect(record.phone).toMatchObject({ carrier: dialect.name, callId: 'call-1', streamId, customParameters: { probe: 'bargein10' } });

    // Barge-in: the carrier's clear, then no more audio.
    const isClear = (m: Record<string, any>) => dialect.read(m)?.kind === 'clear';
    await client.waitFor(isClear, 5000);
    expect(record.clearedAt! - talkAt).toBeLessThan(500);
    await new Promise((r) => setTimeout(r, 300));
    const out = client.json().map((m) => dialect.read(m));
    const clearIndex = out.findIndex((o) => o?.kind === 'clear');
    const media = out.filter((o): o is { kind: 'media'; payload: Buffer } => o?.kind === 'media');
    expect(media.every((m) => m.payload.length === 160)).toBe(true);
    const reply = media.filter((m) => rms(decodeMulaw(m.payload)) > 1000);
    expect(reply.length).toBeGreaterThan(5);
    expect(reply.length).toBeLessThan(100);
    expect(out.slice(clearIndex + 1).filter((o) => o?.kind === 'media')).toEqual([]);
    // The handler's mark went out (after the clear, the queued mark is released at once).
    const markIndex = out.findIndex((o) => o?.kind === 'mark' && o.name === 'reply-1');
    expect(markIndex).toBeGreaterThan(-1);
    expect(markIndex).toBeGreaterThan(out.findIndex((o) => o?.kind === 'media'));
    if (dialect === plivo) expect(client.json()[markIndex]).toEqual({ event: 'checkpoint', streamId, name: 'reply-1' });

    // dtmf and the carrier's played-mark both reach the handler, in order.
    client.send(dialect.dtmf(streamId, 100, '7'));
    client.send(dialect.markPlayed(streamId, 101, 'reply-1'));
    await until(() => record.events.length >= 2, 3000, 'dtmf and mark events');
    expect(record.events.map(({ at: _, ...e }) => e)).toEqual([
      { type: 'dtmf', digit: '7' },
      { type: 'mark', name: 'reply-1' },
    ]);

    // Telnyx sends stop; Plivo ends the call by closing the socket.
    const stop = dialect.stop(streamId, 102);
    if (stop) {
      client.send(stop);
      expect(await client.waitClose()).toBe(1000);
    } else {
      client.close();
      await client.waitClose();
    }
    await until(() => record.shutdowns.length > 0, 3000, 'shutdown');
    await new Promise((r) => setTimeout(r, 100));
    expect(record.shutdowns).toEqual([stop ? 'client_stop' : 'socket_closed']);
  }, 20_000);
});

describe('routes keep to their carrier', () => {
  it("refuses another carrier's start on a one-carrier route", async () => {
    const client = await WsTestClient.connect(`${wsBase}/telephone/telnyx`);
    client.send(twilio.start('MZ00000000000000000000000000000009', 'CA1', {}));
    // Carriers have no error message: the close code and reason carry it.
    expect(await client.waitClose()).toBe(1008);
    expect(client.closeReason).toBe('WG_ERR_INVALID_ID');
  });

  it('refuses a start the auto-detecting route cannot place', async () => {
    const client = await WsTestClient.connect(`${wsBase}/telephone/handler`);
    client.send({ event: 'start', websocket_id: 'fastrtc-client' });
    expect(await client.waitClose()).toBe(1008);
    expect(client.closeReason).toBe('WG_ERR_MALFORMED_MESSAGE');
  });
});

describe('limits', () => {
  it('refuses a phone call over the concurrency limit with FastRTC failure message, and counts phone calls against it', async () => {
    const limited = createGateway({ handler: phoneProbe, port: 0, concurrencyLimit: 1, idleTimeoutS: 30 });
    const base = (await limited.listen()).url.replace('http', 'ws');
    try {
      // A browser session holds the only slot: the phone call is refused.
      const browser = await WsTestClient.connect(`${base}/websocket/offer`);
      browser.send({ event: 'start', websocket_id: 'browser-1' });
      await until(() => calls.has('browser-1'), 3000, 'browser session');
      const phone = await WsTestClient.connect(`${base}/telephone/handler`);
      phone.send(twilio.connected());
      phone.send(twilio.start('MZ00000000000000000000000000000010', 'CA10', {}));
      expect(await phone.waitFor((m) => m.status === 'failed')).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 1 } });
      expect(await phone.waitClose()).toBe(1013);
      expect(calls.has('MZ00000000000000000000000000000010')).toBe(false); // no handler was started
      browser.send({ event: 'stop' });
      await browser.waitClose();

      // A phone call holds it: the browser is refused.
      const sid = 'MZ00000000000000000000000000000011';
      const phone2 = await WsTestClient.connect(`${base}/telephone/handler`);
      phone2.send(twilio.start(sid, 'CA11', {}));
      await until(() => calls.has(sid), 3000, 'phone session');
      const browser2 = await WsTestClient.connect(`${base}/websocket/offer`);
      browser2.send({ event: 'start', websocket_id: 'browser-2' });
      expect(await browser2.waitFor((m) => m.status === 'failed')).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: 1 } });
      phone2.send(twilio.stop(sid, 2));
      expect(await phone2.waitClose()).toBe(1000);
    } finally {
      await limited.close();
    }
  });

  it('ends a phone call at the time limit: close 4008, shutdown once', async () => {
    const limited = createGateway({ handler: phoneProbe, port: 0, timeLimitS: 1, idleTimeoutS: 30 });
    const base = (await limited.listen()).url.replace('http', 'ws');
    try {
      const sid = 'MZ00000000000000000000000000000012';
      const phone = await WsTestClient.connect(`${base}/telephone/handler`);
      phone.send(twilio.connected());
      phone.send(twilio.start(sid, 'CA12', {}));
      const startedAt = performance.now();
      const frames = mulawTone(150, 440, 4000);
      let k = 0;
      const timer = setInterval(() => phone.socket.readyState === 1 && phone.send(twilio.media(sid, k, frames[k++ % 150]!)), 20);
      const code = await phone.waitClose(5000);
      clearInterval(timer);
      expect(code).toBe(4008);
      expect(performance.now() - startedAt).toBeGreaterThan(900);
      await until(() => (calls.get(sid)?.shutdowns.length ?? 0) > 0, 3000, 'shutdown');
      expect(calls.get(sid)!.shutdowns).toEqual(['time_limit']);
    } finally {
      await limited.close();
    }
  });
});
