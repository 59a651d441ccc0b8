import { SignJWT, jwtVerify, errors } from 'jose';
import { grantFromClaims, isTokenScope, TOKEN_SCOPES, type AccessGrant, type HandlerOptionCap, type TokenScope } from './token-claims.js';

/** Shortest `authSecret` accepted: HS256 keys should carry at least 256 bits (RFC 7518 §3.2). */
export const MIN_AUTH_SECRET_LENGTH = 32;

export interface CreateTokenOptions {
  /** The gateway's `authSecret`. */
  readonly secret: string;
  readonly scope: readonly TokenScope[];
  /** Lifetime in seconds (`exp` = now + ttl). */
  readonly ttlS: number;
  /** The one session id (webrtc_id) it may open; omitted = any. */
  readonly sub?: string;
  /** The one call-signaling name it may use; omitted = any. */
  readonly name?: string;
  /** The one room its sessions may join (docs/rooms.md); omitted = any room, or none. */
  readonly room?: string;
  /** Caps on the client's `handlerOptions` (docs/security.md#handler-option-caps). */
  readonly handlerOptions?: Readonly<Record<string, HandlerOptionCap>>;
  /** Not valid before this many seconds from now (`nbf`). */
  readonly notBeforeS?: number;
  /** Clock, ms since the epoch. */
  readonly now?: number;
}

const encoder = new TextEncoder();

/** Mints an access token: a JWT signed HS256 with the gateway's secret (docs/security.md). */
export async function createToken(options: CreateTokenOptions): Promise<string> {
  const { secret, scope, ttlS, sub, name, room, handlerOptions, notBeforeS } = options;
  if (typeof secret !== 'string' || secret.length < MIN_AUTH_SECRET_LENGTH) throw new TypeError(`Expected \`secret\` to be a string of at least ${MIN_AUTH_SECRET_LENGTH} characters`);
  if (!Array.isArray(scope) || scope.length === 0 || !scope.every(isTokenScope)) throw new TypeError(`Expected \`scope\` to be a non-empty array of ${TOKEN_SCOPES.join(', ')}, got ${JSON.stringify(scope)}`);
  if (typeof ttlS !== 'number' || !Number.isFinite(ttlS) || ttlS <= 0) throw new TypeError(`Expected \`ttlS\` to be a number > 0, got \`${String(ttlS)}\``);
  // The same rules the gateway applies on arrival, so a token that mints is a token that verifies.
  const claims = grantFromClaims({ exp: 0, scope, sub, name, room, handlerOptions });
  if (typeof claims === 'string') throw new TypeError(`Expected valid claims: ${claims}`);
  const nowS = Math.floor((options.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ scope: [...scope], ...(name !== undefined && { name }), ...(room !== undefined && { room }), ...(handlerOptions !== undefined && { handlerOptions }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(nowS)
    .setExpirationTime(nowS + Math.ceil(ttlS));
  if (sub !== undefined) jwt.setSubject(sub);
  if (notBeforeS !== undefined) jwt.setNotBefore(nowS + notBeforeS);
  return jwt.sign(encoder.encode(secret));
}

export const SIGNATURE_MISMATCH = 'token signature does not verify';

export type TokenCheck = { readonly ok: true; readonly grant: AccessGrant } | { readonly ok: false; readonly reason: string };

/**
 * Verifies a token with jose: HS256 only, signature, `exp` required, `nbf` honoured, against `now`
 * (ms), with no clock tolerance. The reason of a refusal never repeats the token.
 */
export async function verifyToken(secret: Uint8Array | CryptoKey, token: string, now: number): Promise<TokenCheck> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, secret, { algorithms: ['HS256'], requiredClaims: ['exp'], currentDate: new Date(now) }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: 'token expired' };
    if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf') return { ok: false, reason: 'token not valid yet (nbf)' };
    if (err instanceof errors.JWTClaimValidationFailed) return { ok: false, reason: `token claim ${err.claim}: ${err.reason}` };
    if (err instanceof errors.JWSSignatureVerificationFailed) return { ok: false, reason: SIGNATURE_MISMATCH };
    if (err instanceof errors.JOSEAlgNotAllowed) return { ok: false, reason: 'token algorithm must be HS256' };
    return { ok: false, reason: 'token is not a well-formed JWT' };
  }
  const grant = grantFromClaims(payload);
  return typeof grant === 'string' ? { ok: false, reason: grant } : { ok: true, grant };
}

export function secretKey(secret: string): Uint8Array {
  return encoder.encode(secret);
}

/** The secret as a WebCrypto HMAC key, imported once: verifying with it costs a quarter of a raw secret. */
export function verificationKey(secret: string): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
}
