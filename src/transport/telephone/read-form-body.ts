import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../../http/read-body.js';
import { sendError } from '../../http/respond.js';

/**
 * Reads an `application/x-www-form-urlencoded` body (Twilio's webhook POST) of at most `limit` bytes
 * as ordered name/value pairs (repeated names kept). On any problem it answers the request and returns
 * undefined. An empty body is zero pairs.
 */
export async function readFormBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Array<[string, string]> | undefined> {
  const body = await readBody(req, res, limit);
  if (body === undefined) return undefined;
  return parseFormBody(req, res, body);
}

/** The form fields of a body already read (carrier signatures need the raw bytes too). */
export function parseFormBody(req: IncomingMessage, res: ServerResponse, body: Buffer): Array<[string, string]> | undefined {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (body.length === 0) return [];
  if (type !== 'application/x-www-form-urlencoded') {
    sendError(res, 'WG_ERR_BAD_REQUEST', `expected an application/x-www-form-urlencoded body, got ${JSON.stringify(type || null)}`);
    return undefined;
  }
  return [...new URLSearchParams(body.toString('utf8'))];
}
