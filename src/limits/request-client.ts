import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../errors/error-codes.js';

/** A session slot held for a client; `release` is idempotent. */
export type SessionHold = { readonly ok: true; release(): void } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

export interface RequestClient {
  /** The client's address (src/limits/client-address.ts). */
  readonly address: string;
  /** Takes one of the client's session slots (`--client-sessions`), for routes that open sessions outliving the request. */
  holdSession(): Promise<SessionHold>;
  /** Logs a refusal the route decided itself (e.g. a token for another `sub`): src/http/refuse-request.ts. */
  refused?(code: ErrorCode, reason: string): void;
}

/** Set by HttpServer on every request it routes; read by routes that open sessions (POST /webrtc/offer). */
const clients = new WeakMap<IncomingMessage, RequestClient>();

export function setRequestClient(req: IncomingMessage, client: RequestClient): void {
  clients.set(req, client);
}

export function requestClient(req: IncomingMessage): RequestClient | undefined {
  return clients.get(req);
}
