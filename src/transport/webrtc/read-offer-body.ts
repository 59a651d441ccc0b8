import type { IncomingMessage, ServerResponse } from 'node:http';
import { offerFailure, sendJson200 } from './offer-failure.js';

/**
 * Reads a `/webrtc/offer` body as a JSON object of at most `limit` bytes. Every problem is answered
 * the FastRTC way (HTTP 200, `status: failed`) and gives undefined. An oversized body is read on and
 * discarded up to 16 × `limit` so the client sees the answer, then the connection is dropped.
 */
export async function readOfferBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > 16 * limit) {
        req.destroy();
        return undefined;
      }
      if (size <= limit) chunks.push(chunk as Buffer);
    }
  } catch {
    return undefined; // the client went away
  }
  if (size > limit) {
    sendJson200(res, offerFailure('WG_ERR_PAYLOAD_TOO_LARGE', `body of ${size} bytes > ${limit}`), { connection: 'close' });
    return undefined;
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    sendJson200(res, offerFailure('WG_ERR_MALFORMED_JSON'));
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sendJson200(res, offerFailure('WG_ERR_MALFORMED_MESSAGE', 'expected a JSON object'));
    return undefined;
  }
  return value as Record<string, unknown>;
}
