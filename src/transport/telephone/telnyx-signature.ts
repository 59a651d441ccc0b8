import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Telnyx's webhook signature (API v2, "Webhook signing" in Telnyx's docs): Ed25519 over the bytes
 * `${telnyx-timestamp}|${raw body}`, base64 in `telnyx-signature-ed25519`; the key is the account's
 * base64 public key (Mission Control → Keys & Credentials → Public Key). A timestamp further than
 * `toleranceS` from now is refused, so a captured request cannot be replayed later. Pure but for the
 * Ed25519 check itself (node:crypto).
 */
export const TELNYX_TOLERANCE_S = 300;

export function checkTelnyxPublicKey(value: unknown): void {
  if (typeof value !== 'string' || Buffer.from(value, 'base64').length !== 32) {
    throw new TypeError('Expected `telnyxPublicKey` to be null or the base64 of a 32-byte Ed25519 public key');
  }
}

export function telnyxPublicKey(base64: string): KeyObject {
  checkTelnyxPublicKey(base64);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(base64, 'base64').toString('base64url') }, format: 'jwk' });
}

export interface TelnyxSignatureCheck {
  readonly publicKey: KeyObject;
  /** `telnyx-signature-ed25519` (base64). */
  readonly signature: string | undefined;
  /** `telnyx-timestamp` (Unix seconds). */
  readonly timestamp: string | undefined;
  /** The raw request body, exactly as received. */
  readonly body: Buffer;
  /** Now, ms since the epoch. */
  readonly now: number;
  readonly toleranceS?: number;
}

export type TelnyxVerdict = 'ok' | 'missing' | 'stale' | 'wrong';

export function checkTelnyxSignature(check: TelnyxSignatureCheck): TelnyxVerdict {
  const { signature, timestamp } = check;
  if (typeof signature !== 'string' || signature.length === 0 || typeof timestamp !== 'string' || !/^\d{1,12}$/.test(timestamp)) return 'missing';
  if (Math.abs(check.now / 1000 - Number(timestamp)) > (check.toleranceS ?? TELNYX_TOLERANCE_S)) return 'stale';
  const bytes = Buffer.from(signature, 'base64');
  if (bytes.length !== 64) return 'wrong';
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`, 'utf8'), check.body]);
  return verify(null, signed, check.publicKey, bytes) ? 'ok' : 'wrong';
}
