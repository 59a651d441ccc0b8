// Telnyx (Ed25519 over `timestamp|body`) and Plivo (X-Plivo-Signature-V3) webhook signatures: the pure
// checks with examples built the way each carrier documents its signing (neither publishes a fixed
// vector: Telnyx's own SDK tests sign with a fresh key pair, as these do; the raw-key import is checked
// against RFC 8032's published Ed25519 vectors), tampered ones refused; then through a real gateway.
import { createHmac, generateKeyPairSync, sign, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { computePlivoSignatureV3, isValidPlivoSignatureV3, plivoSignedBase } from '../src/transport/telephone/plivo-signature.js';
import { checkTelnyxSignature, telnyxPublicKey } from '../src/transport/telephone/telnyx-signature.js';
import { computeTwilioSignature } from '../src/transport/telephone/twilio-signature.js';

const telnyxKeys = generateKeyPairSync('ed25519');
const otherKeys = generateKeyPairSync('ed25519');
/** The raw 32-byte public key, base64: what Telnyx's portal shows. */
const rawPublicKey = (keys: typeof telnyxKeys) => Buffer.from(keys.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
const telnyxSign = (privateKey: typeof telnyxKeys.privateKey, timestamp: string, body: string) => sign(null, Buffer.from(`${timestamp}|${body}`), privateKey).toString('base64');

describe('Telnyx signature (Ed25519 over timestamp|payload)', () => {
  const publicKey = telnyxPublicKey(rawPublicKey(telnyxKeys));
  const body = '{"data":{"event_type":"call.initiated","payload":{"call_control_id":"v3:abc"}}}';
  const now = 1_760_000_000_000;
  const ts = String(now / 1000);
  const signature = telnyxSign(telnyxKeys.privateKey, ts, body);
  const check = (over: Partial<Parameters<typeof checkTelnyxSignature>[0]> = {}) => checkTelnyxSignature({ publicKey, signature, timestamp: ts, body: Buffer.from(body), now, ...over });

  it('accepts a signature made with the private key over timestamp|body', () => {
    expect(check()).toBe('ok');
    expect(check({ now: now + 299_000 })).toBe('ok');
  });

  it('refuses a tampered body, timestamp or signature, another key, a stale or future timestamp, and missing headers', () => {
    expect(check({ body: Buffer.from(body.replace('abc', 'abd')) })).toBe('wrong');
    expect(check({ timestamp: String(now / 1000 + 1), now: now + 1000 })).toBe('wrong');
    const bytes = Buffer.from(signature, 'base64');
    bytes[10]! ^= 1;
    expect(check({ signature: bytes.toString('base64') })).toBe('wrong');
    expect(check({ signature: telnyxSign(otherKeys.privateKey, ts, body) })).toBe('wrong');
    expect(check({ now: now + 301_000 })).toBe('stale');
    expect(check({ now: now - 301_000 })).toBe('stale');
    expect(check({ signature: undefined })).toBe('missing');
    expect(check({ timestamp: 'yesterday' })).toBe('missing');
    expect(check({ signature: 'c2hvcnQ=' })).toBe('wrong');
  });

  it('reads the key as Telnyx shows it (base64 of the raw 32 bytes): RFC 8032 §7.1 tests 1 and 2 verify with it', () => {
    const vectors = [
      { key: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', message: '', signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b' },
      { key: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', message: '72', signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00' },
    ];
    for (const v of vectors) {
      const key = telnyxPublicKey(Buffer.from(v.key, 'hex').toString('base64'));
      expect(verify(null, Buffer.from(v.message, 'hex'), key, Buffer.from(v.signature, 'hex'))).toBe(true);
      expect(verify(null, Buffer.from('00', 'hex'), key, Buffer.from(v.signature, 'hex'))).toBe(false);
    }
  });

  it('refuses a public key that is not 32 bytes of base64', () => {
    expect(() => telnyxPublicKey('c2hvcnQ=')).toThrow(/32-byte Ed25519/);
    expect(() => createGateway({ handler: echo, telnyxPublicKey: 'nope' })).toThrow(/telnyxPublicKey/);
  });
});

describe('Plivo signature V3 (HMAC-SHA256, nonce)', () => {
  const token = 'MAXXXXXXXXXXXXXXXXXX-auth-token';
  const nonce = '05429567804466091622';
  const body: [string, string][] = [
    ['From', '+14155550100'],
    ['CallUUID', '97ceeb52-58b6-11e1-86da-77300b68f8bb'],
    ['To', '+14155550199'],
  ];
  const hmac = (text: string) => createHmac('sha256', token).update(text).digest('base64');

  it('signs the documented string: URL, sorted query, ".", sorted body name+value, ".", nonce', () => {
    const url = 'https://voice.example.com/telephone/incoming?b=2&a=1';
    expect(plivoSignedBase('POST', url, body)).toBe('https://voice.example.com/telephone/incoming?a=1&b=2.CallUUID97ceeb52-58b6-11e1-86da-77300b68f8bbFrom+14155550100To+14155550199');
    expect(computePlivoSignatureV3(token, 'POST', url, body, nonce)).toBe(hmac(`${plivoSignedBase('POST', url, body)}.${nonce}`));
    // No query: `?` then the body; GET: the sorted query only; neither: the bare URL.
    expect(plivoSignedBase('POST', 'https://h/x', [['k', 'v']])).toBe('https://h/x?kv');
    expect(plivoSignedBase('GET', 'https://h/x?z=1&a=2&a=1', [])).toBe('https://h/x?a=1&a=2&z=1');
    expect(plivoSignedBase('GET', 'https://h/x', [])).toBe('https://h/x');
  });

  it('accepts the right signature (also among several, comma-separated) and refuses tampered ones', () => {
    const url = 'https://voice.example.com/telephone/incoming';
    const signature = hmac(`${url}?CallUUID97ceeb52-58b6-11e1-86da-77300b68f8bbFrom+14155550100To+14155550199.${nonce}`);
    const check = (over: Partial<Parameters<typeof isValidPlivoSignatureV3>[0]> = {}) => isValidPlivoSignatureV3({ authToken: token, method: 'POST', url, body, signature, nonce, ...over });
    expect(check()).toBe(true);
    expect(check({ signature: `${hmac('old token')},${signature}` })).toBe(true);
    expect(check({ nonce: '05429567804466091623' })).toBe(false);
    expect(check({ body: [...body.slice(0, 2), ['To', '+14155550198']] })).toBe(false);
    expect(check({ url: `${url}?x=1` })).toBe(false);
    expect(check({ authToken: `${token}x` })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
    expect(check({ nonce: undefined })).toBe(false);
  });
});

describe('/telephone/incoming with carrier credentials, through a real gateway', () => {
  const plivoToken = 'plivo-auth-token-for-tests';
  const twilioToken = 'twilio-auth-token-for-tests';
  const publicUrl = 'https://voice.example.com';
  const target = `${publicUrl}/telephone/incoming`;
  let gateway: Gateway;
  let base: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, publicUrl, twilioAuthToken: twilioToken, plivoAuthToken: plivoToken, telnyxPublicKey: rawPublicKey(telnyxKeys), authSecret: 'x'.repeat(32) });
    base = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  const form = 'CallUUID=abc&From=%2B14155550100';
  const post = (headers: Record<string, string>, body = form) =>
    fetch(`${base}/telephone/incoming`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body }).then(async (r) => ({ status: r.status, text: await r.text() }));

  it('Telnyx: a valid signature gets TeXML with a bidirectional stream; tampered, stale or unsigned get 403', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const ok = await post({ 'telnyx-signature-ed25519': telnyxSign(telnyxKeys.privateKey, ts, form), 'telnyx-timestamp': ts });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toContain('<Stream url="wss://voice.example.com/telephone/handler" bidirectionalMode="rtp">');
    const tampered = await post({ 'telnyx-signature-ed25519': telnyxSign(telnyxKeys.privateKey, ts, form), 'telnyx-timestamp': ts }, `${form}&x=1`);
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain('WG_ERR_CARRIER_SIGNATURE');
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = await post({ 'telnyx-signature-ed25519': telnyxSign(telnyxKeys.privateKey, old, form), 'telnyx-timestamp': old });
    expect(stale.text).toContain('stale');
  });

  it('Plivo: a valid V3 signature gets Plivo XML streaming to /telephone/plivo; a wrong one 403', async () => {
    const nonce = '12345678901234567890';
    const fields = [...new URLSearchParams(form)];
    const ok = await post({ 'x-plivo-signature-v3': computePlivoSignatureV3(plivoToken, 'POST', target, fields, nonce), 'x-plivo-signature-v3-nonce': nonce });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toContain('<Stream bidirectional="true"');
    expect(ok.text).toContain('>wss://voice.example.com/telephone/plivo</Stream>');
    expect(ok.text).toContain('extraHeaders="CallUUID=abc;From=+14155550100"');
    const wrong = await post({ 'x-plivo-signature-v3': computePlivoSignatureV3('another-token', 'POST', target, fields, nonce), 'x-plivo-signature-v3-nonce': nonce });
    expect(wrong.status).toBe(403);
    expect(wrong.text).toContain('WG_ERR_CARRIER_SIGNATURE');
  });

  it('media-stream upgrades: a Twilio or Plivo signature over the wss URL opens them without a token; wrong or missing is 401', async () => {
    const ws = `${base.replace('http', 'ws')}/telephone`;
    const open = (path: string, headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${ws}${path}`, { headers });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        socket.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
      });
    const twilio = computeTwilioSignature(twilioToken, 'wss://voice.example.com/telephone/twilio', []);
    expect(await open('/twilio', { 'x-twilio-signature': twilio })).toBe(101);
    expect(await open('/handler', { 'x-twilio-signature': twilio })).toBe(401); // signed for another path
    expect(await open('/twilio', { 'x-twilio-signature': computeTwilioSignature('wrong', 'wss://voice.example.com/telephone/twilio', []) })).toBe(401);
    const nonce = '98765';
    const plivo = computePlivoSignatureV3(plivoToken, 'GET', 'wss://voice.example.com/telephone/plivo', [], nonce);
    expect(await open('/plivo', { 'x-plivo-signature-v3': plivo, 'x-plivo-signature-v3-nonce': nonce })).toBe(101);
    expect(await open('/plivo', { 'x-plivo-signature-v3': plivo, 'x-plivo-signature-v3-nonce': '98766' })).toBe(401);
    expect(await open('/plivo', {})).toBe(401);
  });

  it('Twilio as before; unsigned requests refused; no access token needed on this route', async () => {
    const fields = [...new URLSearchParams(form)];
    const ok = await post({ 'x-twilio-signature': computeTwilioSignature(twilioToken, target, fields) });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toContain('<Connect><Stream url="wss://voice.example.com/telephone/handler">');
    const unsigned = await post({});
    expect(unsigned.status).toBe(403);
    expect(unsigned.text).toContain('WG_ERR_TWILIO_SIGNATURE');
  });
});
