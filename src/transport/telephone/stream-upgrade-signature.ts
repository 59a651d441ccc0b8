import type { IncomingMessage } from 'node:http';
import { isValidPlivoSignatureV3 } from './plivo-signature.js';
import { publicBaseFor, requestedUrl, type PublicBase } from './public-url.js';
import { isValidTwilioSignature } from './twilio-signature.js';

export interface StreamSignatureOptions {
  readonly publicBase: PublicBase | null;
  readonly twilioAuthToken: string | null;
  readonly plivoAuthToken: string | null;
}

const one = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/**
 * Whether a carrier signed this media-stream WebSocket upgrade (docs/security.md#carrier-signatures):
 * Twilio sends `X-Twilio-Signature` over the stream URL it opened, Plivo `X-Plivo-Signature-V3` (GET,
 * with nonce). The URL is tried as the `wss://` Twilio and Plivo connect to and as its `https://` form
 * (the same string up to the scheme), each with the default port toggled for Twilio. Telnyx signs no
 * upgrade: it presents an access token instead (`stream_auth_token`, sent as `Authorization: Bearer`).
 */
export function isCarrierSignedUpgrade(req: IncomingMessage, options: StreamSignatureOptions): boolean {
  const twilio = one(req.headers['x-twilio-signature']);
  const plivo = one(req.headers['x-plivo-signature-v3']);
  if (twilio === undefined && plivo === undefined) return false;
  let base: PublicBase;
  try {
    base = publicBaseFor(req.headers, options.publicBase);
  } catch {
    return false;
  }
  const https = requestedUrl(base, req.url ?? '/');
  const urls = [https.replace(/^http/, 'ws'), https];
  if (twilio !== undefined && options.twilioAuthToken !== null) {
    const token = options.twilioAuthToken;
    if (urls.some((url) => isValidTwilioSignature({ authToken: token, signature: twilio, url, params: [] }))) return true;
  }
  if (plivo !== undefined && options.plivoAuthToken !== null) {
    const token = options.plivoAuthToken;
    const nonce = one(req.headers['x-plivo-signature-v3-nonce']);
    if (urls.some((url) => isValidPlivoSignatureV3({ authToken: token, method: 'GET', url, body: [], signature: plivo, nonce }))) return true;
  }
  return false;
}
