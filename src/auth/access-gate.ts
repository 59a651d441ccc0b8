import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../errors/error-codes.js';
import type { RouteAccess } from '../http/routes.js';
import { SIGNATURE_MISMATCH, verificationKey, verifyToken, type TokenCheck } from './access-token.js';
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
  readonly #keys: Promise<CryptoKey[]>;
  readonly #now: () => number;

  /** `secrets`: the current one first; older ones still verify while tokens they signed run out (rotation). */
  constructor(secrets: string | readonly string[], now: () => number = Date.now) {
    this.#keys = Promise.all((typeof secrets === 'string' ? [secrets] : secrets).map(verificationKey));
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
    const check = await this.#verify(token);
    if (!check.ok) return { ok: false, code: 'WG_ERR_UNAUTHORIZED', detail: check.reason };
    if (!check.grant.scopes.has(scope)) return { ok: false, code: 'WG_ERR_FORBIDDEN', detail: `token scope ${JSON.stringify([...check.grant.scopes])} lacks ${scope}` };
    return { ok: true, grant: check.grant };
  }

  /** Tried against each secret in turn; only a signature mismatch moves on to the next. */
  async #verify(token: string): Promise<TokenCheck> {
    const now = this.#now();
    let check: TokenCheck = { ok: false, reason: 'no secret' };
    for (const key of await this.#keys) {
      check = await verifyToken(key, token, now);
      if (check.ok || check.reason !== SIGNATURE_MISMATCH) return check;
    }
    return check;
  }

  now(): number {
    return this.#now();
  }
}
