import type { IncomingMessage, ServerResponse } from 'node:http';
import { WavegateError } from '../../errors/wavegate-error.js';
import { sendError } from '../../http/respond.js';
import type { HttpRoute } from '../../http/routes.js';
import { publicBaseFor, requestedUrl, webSocketUrl, type PublicBase } from './public-url.js';
import { readFormBody } from './read-form-body.js';
import { connectStreamTwiml } from './twiml.js';
import { isValidTwilioSignature } from './twilio-signature.js';

export interface IncomingCallOptions {
  readonly path: string;
  /** Path of the Twilio stream route the TwiML points at. */
  readonly streamPath: string;
  /** Configured public base (`--public-url`), or null to derive it from each request. */
  readonly publicBase: PublicBase | null;
  /** When set, every request must carry a valid X-Twilio-Signature (else 403). */
  readonly twilioAuthToken: string | null;
}

/** Webhook fields passed on to the stream as `<Parameter>`s, so the handler sees who called. */
const FORWARDED_FIELDS = ['From', 'To', 'CallSid', 'Direction'] as const;
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
    handle: (req, res) => answerIncomingCall(req, res, options),
  };
}

async function answerIncomingCall(req: IncomingMessage, res: ServerResponse, options: IncomingCallOptions): Promise<void> {
  let base: PublicBase;
  try {
    base = publicBaseFor(req.headers, options.publicBase);
  } catch (err) {
    if (err instanceof WavegateError) return sendError(res, err.code, err.message);
    throw err;
  }
  const target = req.url ?? options.path;
  const fields = req.method === 'POST' ? await readFormBody(req, res, MAX_BODY_BYTES) : [...new URL(target, 'http://x').searchParams];
  if (fields === undefined) return;
  if (options.twilioAuthToken !== null) {
    const signature = req.headers['x-twilio-signature'];
    const valid = isValidTwilioSignature({
      authToken: options.twilioAuthToken,
      signature: Array.isArray(signature) ? signature[0] : signature,
      url: requestedUrl(base, target),
      // Twilio signs a GET request's URL only: its parameters are in the query already.
      params: req.method === 'POST' ? fields : [],
    });
    if (!valid) return sendError(res, 'WG_ERR_TWILIO_SIGNATURE', `for ${requestedUrl(base, target)}`);
  }
  const parameters: Record<string, string> = {};
  for (const [name, value] of fields) {
    if ((FORWARDED_FIELDS as readonly string[]).includes(name) && value.length <= 256) parameters[name] = value;
  }
  const body = connectStreamTwiml(webSocketUrl(base, options.streamPath), parameters);
  res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
