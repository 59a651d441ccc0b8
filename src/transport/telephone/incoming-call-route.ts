import type { IncomingMessage, ServerResponse } from 'node:http';
import { isValidSessionId } from '../message-fields.js';
import { WavegateError } from '../../errors/wavegate-error.js';
import { refuseRequest } from '../../http/refuse-request.js';
import { sendError } from '../../http/respond.js';
import type { HttpRoute } from '../../http/routes.js';
import { publicBaseFor, requestedUrl, webSocketUrl, type PublicBase } from './public-url.js';
import type { KeyObject } from 'node:crypto';
import { readBody } from '../../http/read-body.js';
import { checkCarrierSignature } from './carrier-signature.js';
import { parseFormBody } from './read-form-body.js';
import { connectStreamTwiml, plivoStreamXml } from './twiml.js';

export interface IncomingCallOptions {
  readonly path: string;
  /** Path of the Twilio stream route the TwiML points at. */
  readonly streamPath: string;
  /** Configured public base (`--public-url`), or null to derive it from each request. */
  readonly publicBase: PublicBase | null;
  /** When set, every request must carry a valid X-Twilio-Signature (else 403). */
  readonly twilioAuthToken: string | null;
  /** Telnyx's public key: requests signed by Telnyx are verified with it (docs/security.md). */
  readonly telnyxPublicKey?: KeyObject | null;
  /** Plivo's auth token: requests signed by Plivo (V3) are verified with it. */
  readonly plivoAuthToken?: string | null;
  /** Path of the Plivo stream route the Plivo XML points at. */
  readonly plivoStreamPath?: string;
  readonly now?: () => number;
}

/** Webhook fields passed on to the stream as `<Parameter>`s, so the handler sees who called. */
const FORWARDED_FIELDS = ['From', 'To', 'CallSid', 'Direction', 'CallUUID'] as const;
const MAX_BODY_BYTES = 64 * 1024;

/**
 * `POST /telephone/incoming` (and GET, for numbers configured with GET webhooks): Twilio's voice
 * webhook. Answers TwiML `<Connect><Stream url="wss://HOST/telephone/handler">` on the public host
 * (docs/telephony.md). With an auth token configured the request must be signed by Twilio.
 */
export function incomingCallRoute(options: IncomingCallOptions): HttpRoute {
  return {
    method: ['POST', 'GET'],
    path: options.path,
    access: 'carrier',
    handle: (req, res, _url, _match, mount) => answerIncomingCall(req, res, options, mount.prefix),
  };
}

async function answerIncomingCall(req: IncomingMessage, res: ServerResponse, options: IncomingCallOptions, prefix: string): Promise<void> {
  let base: PublicBase;
  try {
    base = publicBaseFor(req.headers, options.publicBase, 'encrypted' in req.socket && req.socket.encrypted === true);
  } catch (err) {
    if (err instanceof WavegateError) return sendError(res, err.code, err.message);
    throw err;
  }
  const target = req.url ?? options.path;
  const isPost = req.method === 'POST';
  // The raw bytes are kept: Telnyx signs them as sent.
  const rawBody = isPost ? await readBody(req, res, MAX_BODY_BYTES) : Buffer.alloc(0);
  if (rawBody === undefined) return;
  const fields = isPost ? parseFormBody(req, res, rawBody) : [...new URL(target, 'http://x').searchParams];
  if (fields === undefined) return;
  const verdict = checkCarrierSignature(
    { headers: req.headers, method: isPost ? 'POST' : 'GET', url: requestedUrl(base, target), rawBody, fields, now: (options.now ?? Date.now)() },
    { twilioAuthToken: options.twilioAuthToken, telnyxPublicKey: options.telnyxPublicKey ?? null, plivoAuthToken: options.plivoAuthToken ?? null },
  );
  if (!verdict.ok) return refuseRequest(req, res, verdict.code, verdict.detail); // logged (docs/security.md#what-is-logged)
  const parameters: Record<string, string> = {};
  for (const [name, value] of fields) {
    if ((FORWARDED_FIELDS as readonly string[]).includes(name) && value.length <= 256) parameters[name] = value;
  }
  // `?room=R` on the webhook URL the number is configured with: the call joins room R (docs/rooms.md).
  const room = new URL(target, 'http://x').searchParams.get('room');
  if (room !== null && isValidSessionId(room)) parameters.room = room;
  let body: string;
  const streamUrl = (path: string) => webSocketUrl(base, `${prefix}${path}`);
  if (verdict.carrier === 'plivo') body = plivoStreamXml(streamUrl(options.plivoStreamPath ?? options.streamPath), parameters);
  // TeXML is TwiML-compatible; Telnyx streams audio back only with bidirectionalMode="rtp".
  else if (verdict.carrier === 'telnyx') body = connectStreamTwiml(streamUrl(options.streamPath), parameters, { bidirectionalMode: 'rtp' });
  else body = connectStreamTwiml(streamUrl(options.streamPath), parameters);
  res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
