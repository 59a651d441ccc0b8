import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from './respond.js';

/**
 * Reads a request body of at most `limit` bytes. Over the limit it answers WG_ERR_PAYLOAD_TOO_LARGE,
 * drops the connection and returns undefined: the caller only ever sees a whole, bounded body.
 */
export async function readBody(req: IncomingMessage, res: ServerResponse, limit: number): Promise<Buffer | undefined> {
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
  return Buffer.concat(chunks);
}
