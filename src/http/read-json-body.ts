import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './read-body.js';
import { sendError } from './respond.js';

/** Reads a JSON object body of at most `limit` bytes; on any problem answers the request and returns undefined. */
export async function readJsonBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Record<string, unknown> | undefined> {
  const body = await readBody(req, res, limit);
  if (body === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
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
