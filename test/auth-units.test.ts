// The pure parts of access tokens and limits: claims, caps, client address, origin check, token parsing.
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createToken, secretKey, verifyToken } from '../src/auth/access-token.js';
import { isLoopbackHost } from '../src/auth/loopback-host.js';
import { requestToken } from '../src/auth/request-token.js';
import { allowsName, allowsSession, grantFromClaims, handlerOptionsRefusal, type AccessGrant } from '../src/auth/token-claims.js';
import { clientAddress } from '../src/limits/client-address.js';
import { isOriginAllowed } from '../src/limits/origin-check.js';

const SECRET = 'unit-secret-of-at-least-32-characters';
const req = (headers: Record<string, string>, remoteAddress = '127.0.0.1') => ({ headers, socket: { remoteAddress } }) as unknown as IncomingMessage;

describe('claims', () => {
  it('turn into a grant, or name what is wrong', () => {
    const grant = grantFromClaims({ exp: 10, scope: ['talk', 'input'], sub: 'a', name: 'n', handlerOptions: { gainDb: { max: 6 } } }) as AccessGrant;
    expect([...grant.scopes]).toEqual(['talk', 'input']);
    expect(grant).toMatchObject({ sub: 'a', name: 'n', expiresAtMs: 10_000 });
    expect(grantFromClaims({ scope: ['talk'] })).toBe('exp claim missing');
    expect(grantFromClaims({ exp: 1, scope: [] })).toMatch(/scope/);
    expect(grantFromClaims({ exp: 1, scope: ['root'] })).toMatch(/scope/);
    expect(grantFromClaims({ exp: 1, scope: 'talk' })).toMatch(/scope/);
    expect(grantFromClaims({ exp: 1, scope: ['talk'], sub: 5 })).toMatch(/sub/);
    expect(grantFromClaims({ exp: 1, scope: ['talk'], handlerOptions: { x: 'any' } })).toMatch(/handlerOptions.x/);
    expect(grantFromClaims({ exp: 1, scope: ['talk'], handlerOptions: { x: { min: 1, evil: 2 } } })).toMatch(/handlerOptions.x/);
  });

  it('sub, name and handler-option caps', () => {
    const grant = grantFromClaims({ exp: 10, scope: ['talk'], sub: 'a', name: 'alice', handlerOptions: { gainDb: { min: -6, max: 6 }, voice: ['slt'], dsp: true } }) as AccessGrant;
    expect(allowsSession(grant, 'a')).toBe(true);
    expect(allowsSession(grant, 'b')).toBe(false);
    expect(allowsSession(undefined, 'b')).toBe(true);
    expect(allowsName(grant, 'alice')).toBe(true);
    expect(allowsName(grant, 'bob')).toBe(false);
    expect(handlerOptionsRefusal(grant, { gainDb: 6, voice: 'slt', dsp: 'gain=3' })).toBeUndefined();
    expect(handlerOptionsRefusal(grant, { gainDb: 7 })).toMatch(/≤ 6/);
    expect(handlerOptionsRefusal(grant, { gainDb: '3' })).toMatch(/number/);
    expect(handlerOptionsRefusal(grant, { voice: 'kal' })).toMatch(/one of/);
    expect(handlerOptionsRefusal(grant, { other: 1 })).toMatch(/other/);
    expect(handlerOptionsRefusal(grant, JSON.parse('{"__proto__": 1}'))).toMatch(/__proto__/);
    const uncapped = grantFromClaims({ exp: 10, scope: ['talk'] }) as AccessGrant;
    expect(handlerOptionsRefusal(uncapped, { anything: 1 })).toBeUndefined();
  });
});

describe('tokens', () => {
  it('verify what createToken mints, with nbf and exp against the given clock', async () => {
    const now = 1_800_000_000_000;
    const token = await createToken({ secret: SECRET, scope: ['talk'], sub: 's', ttlS: 60, notBeforeS: 10, now });
    const key = secretKey(SECRET);
    expect((await verifyToken(key, token, now + 5_000)).ok).toBe(false);
    const ok = await verifyToken(key, token, now + 20_000);
    expect(ok.ok && ok.grant.sub).toBe('s');
    expect(await verifyToken(key, token, now + 61_000)).toEqual({ ok: false, reason: 'token expired' });
    expect(await verifyToken(secretKey(`${SECRET}x`), token, now + 20_000)).toEqual({ ok: false, reason: 'token signature does not verify' });
  });

  it('createToken refuses what the gateway would refuse', async () => {
    await expect(createToken({ secret: 'short', scope: ['talk'], ttlS: 1 })).rejects.toThrow(/32 characters/);
    await expect(createToken({ secret: SECRET, scope: [] as never, ttlS: 1 })).rejects.toThrow(/scope/);
    await expect(createToken({ secret: SECRET, scope: ['talk'], ttlS: 0 })).rejects.toThrow(/ttlS/);
    await expect(createToken({ secret: SECRET, scope: ['talk'], ttlS: 1, handlerOptions: { x: 'y' as never } })).rejects.toThrow(/handlerOptions/);
  });

  it('any string presented as a token is refused with a reason, never a throw (2000 seeded cases)', async () => {
    const key = secretKey(SECRET);
    const valid = await createToken({ secret: SECRET, scope: ['admin'], ttlS: 600 });
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => valid.slice(0, i) + s + valid.slice(i + 1));
    const jwtLike = fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.'));
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), jwtLike, mutated), async (text) => {
        const check = await verifyToken(key, text, Date.now());
        // A base64url string's last character carries spare bits: a text that differs only there decodes to
        // the same signature bytes, and is the same token.
        const same = (t: string) => { const [h, p, sig] = t.split('.'); return `${h}.${p}.${Buffer.from(sig ?? '', 'base64url').toString('hex')}`; };
        if (check.ok) expect(same(text)).toBe(same(valid));
        else expect(typeof check.reason).toBe('string');
      }),
      { numRuns: 2000, seed: 15 },
    );
  });

  it('are read from Authorization: Bearer, else ?token=', () => {
    const url = new URL('http://x/?token=Q');
    expect(requestToken(req({ authorization: 'Bearer H' }), url)).toBe('H');
    expect(requestToken(req({ authorization: 'bearer  H ' }), url)).toBe('H');
    expect(requestToken(req({ authorization: 'Basic abc' }), url)).toBe('Q');
    expect(requestToken(req({}), new URL('http://x/'))).toBeUndefined();
    expect(requestToken(req({}), new URL('http://x/?token='))).toBeUndefined();
  });
});

describe('client address and origin', () => {
  it('is the TCP peer unless proxies are trusted; then the address the outermost trusted proxy saw', () => {
    const forwarded = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' };
    expect(clientAddress(req(forwarded, '::ffff:10.0.0.1'), 0)).toBe('10.0.0.1');
    expect(clientAddress(req(forwarded, '10.0.0.1'), 1)).toBe('203.0.113.7');
    expect(clientAddress(req(forwarded, '10.0.0.1'), 2)).toBe('6.6.6.6');
    expect(clientAddress(req(forwarded, '10.0.0.1'), 5)).toBe('6.6.6.6');
    expect(clientAddress(req({}, '10.0.0.1'), 1)).toBe('10.0.0.1');
  });

  it('allows the gateway itself, listed origins and non-browsers; refuses other sites and "null"', () => {
    const allowed = ['https://app.example.com'];
    expect(isOriginAllowed(req({ origin: 'https://evil.example', host: 'gw:8000' }), [])).toBe(true);
    expect(isOriginAllowed(req({ host: 'gw:8000' }), allowed)).toBe(true);
    expect(isOriginAllowed(req({ origin: 'http://gw:8000', host: 'gw:8000' }), allowed)).toBe(true);
    expect(isOriginAllowed(req({ origin: 'https://app.example.com', host: 'gw:8000' }), allowed)).toBe(true);
    expect(isOriginAllowed(req({ origin: 'https://voice.example.com', host: 'gw:8000', 'x-forwarded-host': 'voice.example.com' }), allowed)).toBe(true);
    expect(isOriginAllowed(req({ origin: 'https://evil.example', host: 'gw:8000' }), allowed)).toBe(false);
    expect(isOriginAllowed(req({ origin: 'null', host: 'gw:8000' }), allowed)).toBe(false);
    expect(isOriginAllowed(req({ origin: 'not a url', host: 'gw:8000' }), allowed)).toBe(false);
  });

  it('loopback hosts need no warning', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(h), h).toBe(false);
  });
});
