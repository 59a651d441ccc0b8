import type { IncomingMessage } from 'node:http';
import { clientAddress } from '../limits/client-address.js';
import { requestClient } from '../limits/request-client.js';
import { requestUrl } from '../http/request-url.js';
import { requestGrant } from './request-grant.js';
import type { AccessGrant } from './token-claims.js';

/**
 * Who asks for a session, as the HTTP request or upgrade that carries the ask says it: the verified
 * token's grant (for its `room` claim, docs/security.md), the client's address (as the per-client
 * limits see it) and the route, for the refusal log. Undefined fields: not known (tokens off, a
 * session opened in code).
 */
export interface SessionRequester {
  readonly grant?: AccessGrant | undefined;
  readonly client?: string | undefined;
  readonly route?: string | undefined;
}

export function sessionRequester(req: IncomingMessage): SessionRequester {
  return {
    grant: requestGrant(req),
    // Set by the access check on every routed request; a request that did not come through it has its peer.
    client: requestClient(req)?.address ?? (req.socket === undefined ? undefined : clientAddress(req, 0)),
    route: requestUrl(req.url ?? '/')?.pathname,
  };
}
