import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { computeTwilioSignature } from '../src/transport/telephone/twilio-signature.js';
import { phoneProbe } from './telephone-carrier-sim.js';

/** POST /telephone/incoming through a real server: TwiML, public URL, X-Twilio-Signature. */
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FIELDS = { CallSid: 'CA1234567890ABCDE', From: '+14158675310', To: '+18005551212', Direction: 'inbound', AccountSid: 'AC0' };

async function post(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('POST /telephone/incoming without a token', () => {
  let gateway: Gateway;
  let base: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: phoneProbe, port: 0 });
    base = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  it('answers TwiML connecting the call to the stream on the host it was asked for, passing caller fields on', async () => {
    const res = await post(`${base}/telephone/incoming`, form(FIELDS));
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/xml; charset=utf-8');
    const host = new URL(base).host;
    expect(res.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Response><Connect><Stream url="ws://${host}/telephone/handler">` +
        '<Parameter name="CallSid" value="CA1234567890ABCDE"/><Parameter name="From" value="+14158675310"/>' +
        '<Parameter name="To" value="+18005551212"/><Parameter name="Direction" value="inbound"/>' +
        '</Stream></Connect></Response>\n',
    );
  });

  it('follows a TLS-terminating proxy: wss and the forwarded host', async () => {
    const res = await post(`${base}/telephone/incoming`, form(FIELDS), { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc123.ngrok.app' });
    expect(res.text).toContain('<Stream url="wss://abc123.ngrok.app/telephone/handler">');
  });

  it('answers GET webhooks too, and refuses bodies it cannot read', async () => {
    const get = await fetch(`${base}/telephone/incoming?From=%2B1555&CallSid=CA9`);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('<Parameter name="From" value="+1555"/><Parameter name="CallSid" value="CA9"/>');
    const json = await fetch(`${base}/telephone/incoming`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(json.status).toBe(400);
    expect((await json.json()).error.code).toBe('WG_ERR_BAD_REQUEST');
    const big = await post(`${base}/telephone/incoming`, `a=${'x'.repeat(70_000)}`);
    expect(big.status).toBe(413);
    expect((await fetch(`${base}/telephone/incoming`, { method: 'PUT' })).status).toBe(405);
  });
});

describe('POST /telephone/incoming with a Twilio auth token and a public URL', () => {
  const TOKEN = 'f00dfeedbeef';
  let gateway: Gateway;
  let base: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: phoneProbe, port: 0, twilioAuthToken: TOKEN, publicUrl: 'https://voice.example.com/wg' });
    base = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  // Twilio signs the URL it was configured with: the public one, path prefix and query included.
  const publicUrl = 'https://voice.example.com/wg/telephone/incoming?tenant=7';

  it('accepts a request Twilio signed, and points the stream at the public URL', async () => {
    const signature = computeTwilioSignature(TOKEN, publicUrl, FIELDS);
    const res = await post(`${base}/telephone/incoming?tenant=7`, form(FIELDS), { 'x-twilio-signature': signature });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Stream url="wss://voice.example.com/wg/telephone/handler">');
  });

  it('answers 403 WG_ERR_TWILIO_SIGNATURE to a missing, wrong or replayed-elsewhere signature', async () => {
    const signature = computeTwilioSignature(TOKEN, publicUrl, FIELDS);
    const attempts = [
      post(`${base}/telephone/incoming?tenant=7`, form(FIELDS)),
      post(`${base}/telephone/incoming?tenant=7`, form({ ...FIELDS, From: '+19999999999' }), { 'x-twilio-signature': signature }),
      post(`${base}/telephone/incoming?tenant=8`, form(FIELDS), { 'x-twilio-signature': signature }),
      post(`${base}/telephone/incoming?tenant=7`, form(FIELDS), { 'x-twilio-signature': computeTwilioSignature('other-token', publicUrl, FIELDS) }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(JSON.parse(res.text).error.code).toBe('WG_ERR_TWILIO_SIGNATURE');
    }
  });

  it('checks GET webhooks against the URL alone', async () => {
    const url = 'https://voice.example.com/wg/telephone/incoming?From=%2B1555';
    const ok = await fetch(`${base}/telephone/incoming?From=%2B1555`, { headers: { 'x-twilio-signature': computeTwilioSignature(TOKEN, url, {}) } });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${base}/telephone/incoming?From=%2B1666`, { headers: { 'x-twilio-signature': computeTwilioSignature(TOKEN, url, {}) } });
    expect(bad.status).toBe(403);
  });
});

describe('options', () => {
  it('refuses a bad public URL or an empty token, without echoing the token', () => {
    expect(() => createGateway({ handler: phoneProbe, publicUrl: 'voice.example.com' })).toThrow(/publicUrl/);
    expect(() => createGateway({ handler: phoneProbe, publicUrl: 'wss://voice.example.com' })).toThrow(/http or https/);
    expect(() => createGateway({ handler: phoneProbe, twilioAuthToken: '' })).toThrow(/twilioAuthToken.*empty string/);
    expect(() => createGateway({ handler: phoneProbe, twilioAuthToken: 12345 as unknown as string })).toThrow(/got number$/);
  });
});
