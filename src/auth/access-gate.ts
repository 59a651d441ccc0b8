import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../errors/error-codes.js';
import type { RouteAccess } from '../http/routes.js';
import { verificationKey, verifyToken } from './access-token.js';
import { requestToken } from './request-token.js';
import type { AccessGrant } from './token-claims.js';

export type AccessDecision =
  | { readonly ok: true; readonly grant: AccessGrant | undefined }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/**
 * The one access check every route goes through when `authSecret` is set (docs/security.md): a route
 * declares who may use it (`access` on HttpRoute/WsRoute); this decides a request against it. A route
 * that declares nothing needs an `admin` token, so a route added without thought is closed, not open.
 */
export class AccessGate {
  readonly #key: Promise<CryptoKey>;
  readonly #now: () => number;

  constructor(secret: string, now: () => number = Date.now) {
    this.#key = verificationKey(secret);
    this.#now = now;
  }

  async decide(req: IncomingMessage, url: URL, access: RouteAccess | undefined): Promise<AccessDecision> {
    const rule = access ?? 'admin';
    if (rule === 'public' || rule === 'carrier') return { ok: true, grant: undefined };
    const scope = typeof rule === 'string' ? rule : rule.scope;
    if (typeof rule === 'object' && rule.alsoAllow?.(req, url) === true) return { ok: true, grant: undefined };
    const token = requestToken(req, url);
    if (token === undefined) {
      const other = typeof rule === 'object' && rule.alsoAllow ? ' or the signature it also accepts' : '';
      return { ok: false, code: 'WG_ERR_UNAUTHORIZED', detail: `no access token (Authorization: Bearer or ?token=)${other}; this route needs scope ${scope}` };
    }
    const check = await verifyToken(await this.#key, token, this.#now());
    if (!check.ok) return { ok: false, code: 'WG_ERR_UNAUTHORIZED', detail: check.reason };
    if (!check.grant.scopes.has(scope)) return { ok: false, code: 'WG_ERR_FORBIDDEN', detail: `token scope ${JSON.stringify([...check.grant.scopes])} lacks ${scope}` };
    return { ok: true, grant: check.grant };
  }

  now(): number {
    return this.#now();
  }
}
