import type { ServerResponse } from 'node:http';
import { ERROR_CODES, type ErrorCode } from '../../errors/error-codes.js';
import { WavegateError } from '../../errors/wavegate-error.js';

/**
 * FastRTC's refusal names (docs/webrtc.md#errors). Codes FastRTC has no name for get one in its style.
 * The answer is HTTP 200 `{"status":"failed","meta":{"error":NAME,"code":CODE,"message":TEXT,…}}`:
 * FastRTC answers 200 on purpose, and its client reads `status`.
 */
const NAMES: Partial<Record<ErrorCode, string>> = {
  WG_ERR_CONCURRENCY_LIMIT: 'concurrency_limit_reached',
  WG_ERR_DUPLICATE_SESSION: 'connection_already_exists',
  WG_ERR_UNKNOWN_CONNECTION: 'unknown_connection',
  WG_ERR_CANDIDATE_HOLD_FULL: 'unknown_connection',
  WG_ERR_INVALID_CANDIDATE: 'invalid_candidate_format',
  WG_ERR_CONNECTION_CLOSED: 'connection_closed',
  WG_ERR_SHUTTING_DOWN: 'connection_closed',
  WG_ERR_MALFORMED_JSON: 'invalid_request',
  WG_ERR_MALFORMED_MESSAGE: 'invalid_request',
  WG_ERR_PAYLOAD_TOO_LARGE: 'invalid_request',
  WG_ERR_INVALID_ID: 'invalid_request',
  WG_ERR_INVALID_SDP: 'invalid_sdp',
  WG_ERR_NO_AUDIO: 'invalid_sdp',
};

export function failureName(code: ErrorCode): string {
  return NAMES[code] ?? code.slice('WG_ERR_'.length).toLowerCase();
}

export interface OfferFailure {
  readonly status: 'failed';
  readonly meta: { readonly error: string; readonly code: ErrorCode; readonly message: string; readonly limit?: number };
}

export function offerFailure(code: ErrorCode, detail?: string, extra: { limit?: number } = {}): OfferFailure {
  const message = detail ? `${ERROR_CODES[code].message}: ${detail}` : ERROR_CODES[code].message;
  return { status: 'failed', meta: { error: failureName(code), code, message, ...extra } };
}

export function sendJson200(res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** The failure for a thrown error (a WavegateError keeps its code and message; anything else is internal). */
export function offerFailureFromError(err: unknown): OfferFailure {
  const code = err instanceof WavegateError ? err.code : 'WG_ERR_INTERNAL';
  const message = err instanceof WavegateError ? err.message : ERROR_CODES.WG_ERR_INTERNAL.message;
  return { status: 'failed', meta: { error: failureName(code), code, message } };
}
