import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed, expiring recording URLs: `?expires=UNIX_SECONDS&signature=BASE64URL` where the signature
 * is HMAC-SHA256(secret, `${subject}\n${expires}`). The subject is the recording id, or the empty
 * string for the listing (`GET /recordings`); ids are never empty, so the two cannot be confused.
 * Pure: the current time is passed in. `?pos=` is not signed, so a player can seek freely.
 */

export const LISTING_SUBJECT = '';

export type SignatureCheck = 'ok' | 'missing' | 'malformed' | 'expired' | 'mismatch';

function signature(secret: string, subject: string, expires: number): Buffer {
  return createHmac('sha256', secret).update(`${subject}\n${expires}`).digest();
}

/** Query string (without `?`) granting access to `subject` until `expiresAtS` (Unix seconds). */
export function signQuery(secret: string, subject: string, expiresAtS: number): string {
  if (!Number.isSafeInteger(expiresAtS) || expiresAtS <= 0) throw new RangeError(`expiresAtS must be a positive integer, got ${expiresAtS}`);
  return `expires=${expiresAtS}&signature=${signature(secret, subject, expiresAtS).toString('base64url')}`;
}

/** Checks `expires` and `signature` from a request's query against `subject` at `nowMs`. */
export function checkSignedQuery(secret: string, subject: string, query: URLSearchParams, nowMs: number): SignatureCheck {
  const expiresText = query.get('expires');
  const signatureText = query.get('signature');
  if (expiresText === null || signatureText === null) return 'missing';
  if (!/^[0-9]{1,12}$/.test(expiresText) || !/^[A-Za-z0-9_-]{43}$/.test(signatureText)) return 'malformed';
  const expires = Number(expiresText);
  const expected = signature(secret, subject, expires);
  const given = Buffer.from(signatureText, 'base64url');
  // Compare before looking at the time, so a forged URL never learns whether it had expired.
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'mismatch';
  return expires * 1000 <= nowMs ? 'expired' : 'ok';
}
