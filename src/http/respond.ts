import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers with the registry's HTTP status and `{"error":{"code","message"}}`. */
export function sendError(res: ServerResponse, code: ErrorCode, detail?: string, headers: Record<string, string> = {}): void {
  const spec = ERROR_CODES[code];
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, spec.httpStatus, { error: { code, message: detail ? `${spec.message}: ${detail}` : spec.message } }, headers);
}
