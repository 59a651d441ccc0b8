import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parsePublicUrl, publicBaseFor, requestedUrl, webSocketUrl } from '../src/transport/telephone/public-url.js';
import { connectStreamTwiml, escapeXml } from '../src/transport/telephone/twiml.js';
import { computeTwilioSignature, isValidTwilioSignature, urlVariants } from '../src/transport/telephone/twilio-signature.js';

/**
 * Twilio's worked example (Webhooks security page; the same values are in TwilioDevEd/api-snippets
 * security/signature_validation): auth token 12345, this URL, these POST parameters.
 */
const TOKEN = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675310', Digits: '1234', From: '+14158675310', To: '+18005551212' };
const EXPECTED = 'GvWf1cFY/Q7PnoempGyD5oXAezc=';
// An earlier edition of the same example used +14158675309 as the caller and printed this signature.
const EARLIER = { params: { ...PARAMS, Caller: '+14158675309', From: '+14158675309' }, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' };

describe('Twilio request signature', () => {
  it("reproduces Twilio's published example", () => {
    expect(computeTwilioSignature(TOKEN, URL_, PARAMS)).toBe(EXPECTED);
    expect(computeTwilioSignature(TOKEN, URL_, EARLIER.params)).toBe(EARLIER.signature);
    // Parameter order on the wire does not matter: names are sorted.
    expect(computeTwilioSignature(TOKEN, URL_, Object.entries(PARAMS).reverse())).toBe(EXPECTED);
    expect(isValidTwilioSignature({ authToken: TOKEN, signature: EXPECTED, url: URL_, params: PARAMS })).toBe(true);
  });

  it('rejects anything changed', () => {
    const ok = { authToken: TOKEN, signature: EXPECTED, url: URL_, params: PARAMS };
    expect(isValidTwilioSignature({ ...ok, params: { ...PARAMS, Digits: '9999' } })).toBe(false);
    expect(isValidTwilioSignature({ ...ok, url: URL_.replace('https', 'http') })).toBe(false);
    expect(isValidTwilioSignature({ ...ok, url: URL_.replace('bar=2', 'bar=3') })).toBe(false);
    expect(isValidTwilioSignature({ ...ok, authToken: '54321' })).toBe(false);
    expect(isValidTwilioSignature({ ...ok, signature: EXPECTED.slice(0, -2) })).toBe(false);
    expect(isValidTwilioSignature({ ...ok, signature: undefined })).toBe(false);
    expect(isValidTwilioSignature({ ...ok, signature: '' })).toBe(false);
  });

  it('accepts the URL with or without the default port, as Twilio libraries do', () => {
    expect(urlVariants('https://mycompany.com/myapp.php?foo=1')).toEqual(['https://mycompany.com/myapp.php?foo=1', 'https://mycompany.com:443/myapp.php?foo=1']);
    expect(urlVariants('http://h:80/x')).toEqual(['http://h:80/x', 'http://h/x']);
    expect(urlVariants('https://h:8443/x')).toEqual(['https://h:8443/x']);
    const withPort = computeTwilioSignature(TOKEN, 'https://mycompany.com:443/myapp.php?foo=1&bar=2', PARAMS);
    expect(isValidTwilioSignature({ authToken: TOKEN, signature: withPort, url: URL_, params: PARAMS })).toBe(true);
  });

  it('signs repeated parameters value by value, sorted', () => {
    const data = 'https://h/xA1A2B0';
    const expected = createHmac('sha1', TOKEN).update(data).digest('base64');
    expect(computeTwilioSignature(TOKEN, 'https://h/x', [['B', '0'], ['A', '2'], ['A', '1']])).toBe(expected);
    expect(computeTwilioSignature(TOKEN, 'https://h/x', { A: ['2', '1'], B: '0' })).toBe(expected);
  });
});

describe('TwiML and public URLs', () => {
  it('connects the call to the stream, escaping every value', () => {
    expect(connectStreamTwiml('wss://voice.example.com/telephone/handler')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Connect><Stream url="wss://voice.example.com/telephone/handler"/></Connect></Response>\n',
    );
    expect(connectStreamTwiml('wss://h/x?a=1&b=2', { From: '+1"5<>', To: "O'Neil" })).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Connect><Stream url="wss://h/x?a=1&amp;b=2"><Parameter name="From" value="+1&quot;5&lt;&gt;"/><Parameter name="To" value="O&apos;Neil"/></Stream></Connect></Response>\n',
    );
    expect(escapeXml('a\u0000b\u001fc\td')).toBe('abc\td');
  });

  it('derives the public base from the configured URL, keeping scheme, port and prefix', () => {
    const base = parsePublicUrl('https://voice.example.com:8443/wavegate/');
    expect(webSocketUrl(base, '/telephone/handler')).toBe('wss://voice.example.com:8443/wavegate/telephone/handler');
    expect(requestedUrl(base, '/telephone/incoming?x=1')).toBe('https://voice.example.com:8443/wavegate/telephone/incoming?x=1');
    expect(webSocketUrl(parsePublicUrl('http://10.0.0.5:8000'), '/telephone/handler')).toBe('ws://10.0.0.5:8000/telephone/handler');
    // The configured URL wins over whatever the request says.
    expect(publicBaseFor({ host: 'evil.example' }, base)).toBe(base);
    expect(() => parsePublicUrl('wss://x')).toThrow(/http or https/);
    expect(() => parsePublicUrl('example.com')).toThrow(/absolute/);
    expect(() => parsePublicUrl('https://x/?a=1')).toThrow(/without query/);
  });

  it('derives it from proxy headers or Host otherwise', () => {
    expect(webSocketUrl(publicBaseFor({ host: '127.0.0.1:8000' }, null), '/telephone/handler')).toBe('ws://127.0.0.1:8000/telephone/handler');
    const proxied = publicBaseFor({ host: '127.0.0.1:8000', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' }, null);
    expect(webSocketUrl(proxied, '/telephone/handler')).toBe('wss://abc.ngrok.app/telephone/handler');
    expect(requestedUrl(proxied, '/telephone/incoming')).toBe('https://abc.ngrok.app/telephone/incoming');
    expect(publicBaseFor({ host: 'a', 'x-forwarded-proto': 'https, http' }, null).protocol).toBe('https:');
    expect(() => publicBaseFor({}, null)).toThrow(/public host/);
    expect(() => publicBaseFor({ host: 'bad"host/><x' }, null)).toThrow(/public host/);
  });
});
