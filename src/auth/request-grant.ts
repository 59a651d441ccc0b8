import type { IncomingMessage } from 'node:http';
import type { AccessGrant } from './token-claims.js';

/**
 * The grant the central access check (src/http/http-server.ts) found on a request, for the routes
 * that check more once they know the session id or name. No entry = access tokens are off, or the
 * route needs none: nothing further to check.
 */
const grants = new WeakMap<IncomingMessage, AccessGrant>();

export function setRequestGrant(req: IncomingMessage, grant: AccessGrant): void {
  grants.set(req, grant);
}

export function requestGrant(req: IncomingMessage): AccessGrant | undefined {
  return grants.get(req);
}
