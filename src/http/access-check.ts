import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { AccessGate } from '../auth/access-gate.js';
import { requestGrant, setRequestGrant } from '../auth/request-grant.js';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';
import { clientAddress } from '../limits/client-address.js';
import type { ClientLimits } from '../limits/client-limits.js';
import { isOriginAllowed } from '../limits/origin-check.js';
import { requestClient, setRequestClient } from '../limits/request-client.js';
import type { RefusalLog } from '../auth/refusal-log.js';
import { sendError } from './respond.js';
import type { RouteAccess } from './routes.js';

export interface AccessCheckOptions {
  /** Access tokens (`authSecret`): every route's `access` is checked, once. Undefined = off. */
  readonly access?: AccessGate;
  /** End WebSockets and streamed responses when their token expires (`--enforce-exp-live`). */
  readonly enforceExpLive?: boolean;
  /** Per-client-address limits (`--client-…`); undefined = none. */
  readonly limits?: ClientLimits;
  /** Proxies in front whose X-Forwarded-For is believed (`--trust-proxy N`); 0 = the TCP peer is the client. */
  readonly trustProxyHops?: number;
  /** `--allowed-origin`: browser origins allowed besides the gateway's own; empty = no origin check. */
  readonly allowedOrigins?: readonly string[];
  /** Called with the code of every refusal (the gateway counts them on /metrics). */
  readonly onRefusal?: (code: ErrorCode) => void;
  /** Every refusal as one structured, rate-bounded log line (src/auth/refusal-log.ts); routes' own refusals too. */
  readonly refusals?: RefusalLog;
}

interface Refusal {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly headers?: Record<string, string>;
}

/**
 * Everything decided before a route runs (docs/security.md), in one place, cheapest first: the page's
 * origin, the client's request or connection rate, the access token against the route's declared
 * `access`, and for WebSockets one of the client's session slots. Carrier routes skip the per-client
 * checks (many calls come from one carrier address) and tokens (carriers sign their own requests).
 * The server calls `request()` before every routed request, `upgrade()` before every upgrade and
 * `connected()` on every WebSocket; each refuses by itself and says whether to go on.
 */
export class AccessCheck {
  constructor(private readonly options: AccessCheckOptions = {}) {}

  /**
   * True = go on to the route; false = answered already (401/403/429). `cors`: the headers the route
   * itself answers an allowed cross-origin request with; a refusal carries them too, so a page of an
   * allowed origin can read why it was refused (docs/security.md#refusals).
   */
  async request(req: IncomingMessage, res: ServerResponse, url: URL, access: RouteAccess | undefined, cors?: Record<string, string>): Promise<boolean> {
    this.#remember(req, url, access);
    if (!this.#active) return true;
    const refusal = await this.#admit(req, url, access, 'request');
    if (refusal) {
      // A page of an allowed origin reads the body, and the headers that say when or how to retry.
      const readable = cors && refusal.code !== 'WG_ERR_ORIGIN_NOT_ALLOWED' ? { ...cors, 'access-control-expose-headers': 'retry-after, www-authenticate' } : {};
      sendError(res, refusal.code, refusal.detail, { ...refusal.headers, ...readable });
      return false;
    }
    this.#expireWithToken(req, () => res.destroy(), res);
    return true;
  }

  /** True = upgrade now; false = refused on the HTTP response (or the socket is gone). */
  async upgrade(req: IncomingMessage, socket: Duplex, url: URL, access: RouteAccess | undefined): Promise<boolean> {
    this.#remember(req, url, access);
    if (!this.#active) return true;
    const onError = () => socket.destroy();
    socket.on('error', onError);
    try {
      const refusal = await this.#admit(req, url, access, 'upgrade');
      if (refusal) return refuseUpgrade(socket, refusal);
      // A WebSocket holds one of its client's session slots for as long as its socket is open.
      if (!isCarrierRoute(access) && this.options.limits) {
        const hold = await this.options.limits.holdSession(clientAddress(req, this.options.trustProxyHops ?? 0));
        if (!hold.ok) {
          this.options.onRefusal?.(hold.code);
          this.#log(req, url, hold.code, hold.detail);
          return refuseUpgrade(socket, hold);
        }
        socket.once('close', () => hold.release());
        if (socket.destroyed) hold.release();
      }
      return !socket.destroyed;
    } catch (err) {
      console.error(`wavegate: access check on ${url.pathname} failed:`, err);
      return refuseUpgrade(socket, { code: 'WG_ERR_INTERNAL', detail: '' });
    } finally {
      socket.off('error', onError);
    }
  }

  /** On every WebSocket, before its route sees it. */
  connected(req: IncomingMessage, socket: WebSocket): void {
    this.#expireWithToken(req, () => socket.close(ERROR_CODES.WG_ERR_UNAUTHORIZED.closeCode, 'WG_ERR_UNAUTHORIZED'), socket);
  }

  get #active(): boolean {
    return this.options.access !== undefined || (this.options.limits?.enabled ?? false) || (this.options.allowedOrigins?.length ?? 0) > 0;
  }

  async #admit(req: IncomingMessage, url: URL, access: RouteAccess | undefined, kind: 'request' | 'upgrade'): Promise<Refusal | undefined> {
    const refusal = await this.#decide(req, url, access, kind);
    if (refusal) {
      this.options.onRefusal?.(refusal.code);
      this.#log(req, url, refusal.code, refusal.detail);
    }
    return refusal;
  }

  /** The client of every routed request, for the limits, the refusal log and the routes (requestClient). */
  #remember(req: IncomingMessage, url: URL, access: RouteAccess | undefined): void {
    const limits = this.options.limits;
    const address = clientAddress(req, this.options.trustProxyHops ?? 0);
    const exempt = isCarrierRoute(access);
    setRequestClient(req, {
      address,
      holdSession: async () => {
        if (!limits || exempt) return { ok: true, release: () => {} };
        const hold = await limits.holdSession(address);
        if (!hold.ok) this.#log(req, url, hold.code, hold.detail);
        return hold;
      },
      refused: (code, reason) => this.#log(req, url, code, reason),
    });
  }

  #log(req: IncomingMessage, url: URL, code: ErrorCode, reason: string): void {
    this.options.refusals?.refused({ code, route: url.pathname, client: requestClient(req)?.address ?? clientAddress(req, this.options.trustProxyHops ?? 0), reason });
  }

  async #decide(req: IncomingMessage, url: URL, access: RouteAccess | undefined, kind: 'request' | 'upgrade'): Promise<Refusal | undefined> {
    const limits = this.options.limits;
    const address = requestClient(req)?.address ?? clientAddress(req, this.options.trustProxyHops ?? 0);
    const exempt = isCarrierRoute(access);
    // CORS preflights carry no credentials (Fetch standard): the route answers them itself. Any other
    // OPTIONS request is checked like the rest.
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) return undefined;
    if (!exempt) {
      if (!isOriginAllowed(req, this.options.allowedOrigins ?? [])) {
        limits?.countRefusal('origin');
        return { code: 'WG_ERR_ORIGIN_NOT_ALLOWED', detail: String(req.headers.origin) };
      }
      if (limits) {
        const verdict = kind === 'upgrade' ? await limits.admitConnection(address) : await limits.admitRequest(address);
        if (!verdict.ok) return { code: verdict.code, detail: verdict.detail, headers: { 'retry-after': String(verdict.retryAfterS) } };
      }
    }
    if (this.options.access) {
      const decision = await this.options.access.decide(req, url, access);
      if (!decision.ok) return { code: decision.code, detail: decision.detail, headers: decision.code === 'WG_ERR_UNAUTHORIZED' ? { 'www-authenticate': 'Bearer' } : {} };
      if (decision.grant) setRequestGrant(req, decision.grant);
    }
    return undefined;
  }

  /** With `enforceExpLive`, runs `end` when the request's token expires, unless `target` closed first. */
  #expireWithToken(req: IncomingMessage, end: () => void, target: { once(event: 'close', fn: () => void): unknown }): void {
    const grant = this.options.enforceExpLive ? requestGrant(req) : undefined;
    if (!grant || !this.options.access) return;
    const delay = Math.max(0, Math.min(grant.expiresAtMs - this.options.access.now(), 2 ** 31 - 1));
    const timer = setTimeout(end, delay);
    timer.unref();
    target.once('close', () => clearTimeout(timer));
  }
}

/** Carrier routes: no per-client limits, no origin check (carriers are no browsers). */
function isCarrierRoute(access: RouteAccess | undefined): boolean {
  return access === 'carrier' || (typeof access === 'object' && access.perClientLimits === false);
}

/** Answers an upgrade with a plain HTTP refusal and the coded JSON body; always false. */
function refuseUpgrade(socket: Duplex, refusal: Refusal): false {
  if (socket.destroyed) return false;
  const spec = ERROR_CODES[refusal.code];
  const body = JSON.stringify({ error: { code: refusal.code, message: refusal.detail ? `${spec.message}: ${refusal.detail}` : spec.message } });
  const extra = Object.entries(refusal.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${spec.httpStatus} ${STATUS_CODES[spec.httpStatus] ?? 'Error'}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  return false;
}
