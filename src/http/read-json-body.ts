import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './respond.js';

/** Reads a JSON object body of at most `limit` bytes; on any problem answers the request and returns undefined. */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      sendError(res, 'WG_ERR_PAYLOAD_TOO_LARGE', `body over ${limit} bytes`, { connection: 'close' });
      req.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    sendError(res, 'WG_ERR_MALFORMED_JSON');
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    sendError(res, 'WG_ERR_MALFORMED_MESSAGE', 'expected a JSON object');
    return undefined;
  }
  return value as Record<string, unknown>;
}
