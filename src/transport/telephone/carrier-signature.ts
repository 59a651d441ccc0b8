import type { IncomingHttpHeaders } from 'node:http';
import type { KeyObject } from 'node:crypto';
import type { ErrorCode } from '../../errors/error-codes.js';
import { isValidPlivoSignatureV3 } from './plivo-signature.js';
import { checkTelnyxSignature } from './telnyx-signature.js';
import { isValidTwilioSignature } from './twilio-signature.js';

export interface CarrierCredentials {
  readonly twilioAuthToken: string | null;
  readonly telnyxPublicKey: KeyObject | null;
  readonly plivoAuthToken: string | null;
}

export interface SignedRequest {
  readonly headers: IncomingHttpHeaders;
  readonly method: 'GET' | 'POST';
  /** The public URL the carrier requested (scheme, host, path, query). */
  readonly url: string;
  readonly rawBody: Buffer;
  /** The POST body's form fields, in order. */
  readonly fields: readonly (readonly [string, string])[];
  /** ms since the epoch (Telnyx's timestamp window). */
  readonly now: number;
}

export type CarrierName = 'twilio' | 'telnyx' | 'plivo';
export type CarrierVerdict = { readonly ok: true; readonly carrier: CarrierName | undefined } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * Which carrier signed a webhook, and whether the signature holds (docs/security.md#carrier-signatures).
 * The carrier is named by its signature header: `telnyx-signature-ed25519` (Telnyx), `x-plivo-signature-v3`
 * (Plivo), else Twilio. With no credential configured at all, requests pass unsigned (as before). With
 * any configured, a request must carry a valid signature of a configured carrier; a carrier without a
 * configured credential cannot be verified and is refused.
 */
export function checkCarrierSignature(request: SignedRequest, credentials: CarrierCredentials): CarrierVerdict {
  const { headers } = request;
  const claimed: CarrierName = headers['telnyx-signature-ed25519'] !== undefined ? 'telnyx' : headers['x-plivo-signature-v3'] !== undefined ? 'plivo' : 'twilio';
  const { twilioAuthToken, telnyxPublicKey, plivoAuthToken } = credentials;
  if (twilioAuthToken === null && telnyxPublicKey === null && plivoAuthToken === null) return { ok: true, carrier: claimed === 'twilio' ? undefined : claimed };
  if (claimed === 'telnyx' && telnyxPublicKey !== null) {
    const verdict = checkTelnyxSignature({ publicKey: telnyxPublicKey, signature: one(headers['telnyx-signature-ed25519']), timestamp: one(headers['telnyx-timestamp']), body: request.rawBody, now: request.now });
    return verdict === 'ok' ? { ok: true, carrier: 'telnyx' } : { ok: false, code: 'WG_ERR_CARRIER_SIGNATURE', detail: `Telnyx signature ${verdict}` };
  }
  if (claimed === 'plivo' && plivoAuthToken !== null) {
    const valid = isValidPlivoSignatureV3({
      authToken: plivoAuthToken,
      method: request.method,
      url: request.url,
      body: request.method === 'POST' ? request.fields : [],
      signature: one(headers['x-plivo-signature-v3']),
      nonce: one(headers['x-plivo-signature-v3-nonce']),
    });
    return valid ? { ok: true, carrier: 'plivo' } : { ok: false, code: 'WG_ERR_CARRIER_SIGNATURE', detail: `X-Plivo-Signature-V3 wrong for ${request.url}` };
  }
  if (twilioAuthToken !== null) {
    const valid = isValidTwilioSignature({
      authToken: twilioAuthToken,
      signature: one(headers['x-twilio-signature']),
      url: request.url,
      // Twilio signs a GET request's URL only: its parameters are in the query already.
      params: request.method === 'POST' ? request.fields : [],
    });
    return valid ? { ok: true, carrier: 'twilio' } : { ok: false, code: 'WG_ERR_TWILIO_SIGNATURE', detail: `for ${request.url}` };
  }
  return { ok: false, code: 'WG_ERR_CARRIER_SIGNATURE', detail: `no valid signature of a configured carrier (${claimed} cannot be verified here)` };
}
