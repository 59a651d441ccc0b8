import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorCode } from '../errors/error-codes.js';
import { requestClient } from '../limits/request-client.js';
import { sendError } from './respond.js';

/**
 * A route's own refusal (a token for another session than the id asked for…): answered as
 * `sendError` does, and logged like the refusals decided before the route (src/auth/refusal-log.ts,
 * docs/security.md#what-is-logged).
 */
export function refuseRequest(req: IncomingMessage, res: ServerResponse, code: ErrorCode, detail: string, headers: Record<string, string> = {}): void {
  requestClient(req)?.refused?.(code, detail);
  sendError(res, code, detail, headers);
}
