import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AccessGate } from '../auth/access-gate.js';
import { requestGrant as requestGrantOf, setRequestGrant } from '../auth/request-grant.js';
import type { AccessGrant } from '../auth/token-claims.js';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';
import { sendError } from './respond.js';
import type { GatewayComponent, HttpRoute, RouteAccess, WsRoute } from './routes.js';
import { clientAddress } from '../limits/client-address.js';
import type { ClientLimits } from '../limits/client-limits.js';
import { isOriginAllowed } from '../limits/origin-check.js';
import { requestClient as requestClientOf, setRequestClient } from '../limits/request-client.js';

export interface HttpServerOptions {
  /** Access tokens (`authSecret`): every route's `access` is checked here, once. Undefined = off. */
  readonly access?: AccessGate;
  /** End WebSockets and streamed responses when their token expires (`--enforce-exp-live`). */
  readonly enforceExpLive?: boolean;
  /** Per-client-address limits (`--client-…`); undefined = none. */
  readonly limits?: ClientLimits;
  /** Proxies in front whose X-Forwarded-For is believed (`--trust-proxy N`); 0 = the TCP peer is the client. */
  readonly trustProxyHops?: number;
  /** `--allowed-origin`: browser origins allowed besides the gateway's own; empty = no origin check. */
  readonly allowedOrigins?: readonly string[];
}

/**
 * One HTTP server carrying every component's routes: plain requests are matched by method and
 * path, upgrades by exact path. Unknown paths get WG_ERR_NOT_FOUND; a throwing route gets
 * WG_ERR_INTERNAL and never takes the process down.
 */
export class HttpServer {
  readonly server: Server;
  private readonly httpRoutes: HttpRoute[] = [];
  private readonly wsServers = new Map<string, { route: WsRoute; wss: WebSocketServer }>();
  private readonly sockets = new Set<Duplex>();

  constructor(
    components: readonly GatewayComponent[],
    private readonly options: HttpServerOptions = {},
  ) {
    for (const component of components) {
      this.httpRoutes.push(...(component.httpRoutes ?? []));
      for (const route of component.wsRoutes ?? []) {
        const wss = new WebSocketServer({ noServer: true, maxPayload: route.maxPayload ?? 1 << 20, clientTracking: true });
        wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
          this.#expireWithToken(req, () => socket.close(ERROR_CODES.WG_ERR_UNAUTHORIZED.closeCode, 'WG_ERR_UNAUTHORIZED'), socket);
          route.onConnection(socket, req);
        });
        this.wsServers.set(route.path, { route, wss });
      }
    }
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_err, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
  }

  listen(port: number, host: string): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address === null || typeof address === 'string') reject(new Error('server has no TCP address'));
        else resolve({ host, port: address.port });
      });
    });
  }

  /** Stops accepting; WebSocket clients still open are terminated; idle keep-alive sockets are closed. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const { wss } of this.wsServers.values()) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
    this.server.closeIdleConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let pathMatched = false;
    for (const route of this.httpRoutes) {
      const match = typeof route.path === 'string' ? (route.path === url.pathname ? null : undefined) : url.pathname.match(route.path) ?? undefined;
      if (match === undefined) continue;
      pathMatched = true;
      const methods = typeof route.method === 'string' ? [route.method] : route.method;
      if (!methods.includes(req.method ?? 'GET')) continue;
      Promise.resolve()
        .then(async () => {
          const refusal = await this.#admit(req, url, route.access, 'request');
          if (refusal) return sendError(res, refusal.code, refusal.detail, refusal.headers);
          const grant = requestGrantOf(req);
          if (grant) this.#expireWithToken(req, () => res.destroy(), res);
          return route.handle(req, res, url, match);
        })
        .catch((err: unknown) => {
          console.error(`wavegate: ${req.method} ${url.pathname} failed:`, err);
          sendError(res, 'WG_ERR_INTERNAL');
        });
      return;
    }
    if (pathMatched) sendError(res, 'WG_ERR_METHOD_NOT_ALLOWED', req.method);
    else sendError(res, 'WG_ERR_NOT_FOUND', url.pathname);
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    const entry = this.wsServers.get(pathname) ?? this.wsServers.get(pathname.endsWith('/') ? pathname.slice(0, -1) : `${pathname}/`);
    if (!entry) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const upgrade = () => entry.wss.handleUpgrade(req, socket, head, (ws) => entry.wss.emit('connection', ws, req));
    if (!this.options.access && !this.#guarded) return upgrade();
    // Refused before the upgrade: the client gets a plain HTTP 401/403/429 with the coded JSON body.
    const onError = () => socket.destroy();
    socket.on('error', onError);
    this.#admit(req, url, entry.route.access, 'upgrade').then(
      async (refusal) => {
        if (refusal) {
          socket.off('error', onError);
          if (!socket.destroyed) refuseUpgrade(socket, refusal.code, refusal.detail, refusal.headers);
          return;
        }
        // A WebSocket holds one of its client's session slots for as long as its socket is open.
        if (entry.route.access !== 'carrier' && this.options.limits) {
          const hold = await this.options.limits.holdSession(requestClientOf(req)!.address);
          if (!hold.ok) {
            socket.off('error', onError);
            if (!socket.destroyed) refuseUpgrade(socket, hold.code, hold.detail);
            return;
          }
          socket.once('close', () => hold.release());
          if (socket.destroyed) hold.release();
        }
        socket.off('error', onError);
        if (socket.destroyed) return;
        upgrade();
      },
      (err: unknown) => {
        socket.off('error', onError);
        console.error(`wavegate: access check on ${pathname} failed:`, err);
        refuseUpgrade(socket, 'WG_ERR_INTERNAL');
      },
    );
  }

  get #guarded(): boolean {
    return (this.options.limits?.enabled ?? false) || (this.options.allowedOrigins?.length ?? 0) > 0;
  }

  /**
   * Everything checked before a route runs (docs/security.md), cheapest first: the page's origin, the
   * client's request or connection rate, then the access token. Carriers' routes skip the per-client
   * checks (many calls come from one carrier address) and tokens (they sign their own requests).
   * Undefined = admitted; the verified grant is then on the request.
   */
  async #admit(req: IncomingMessage, url: URL, access: RouteAccess | undefined, kind: 'request' | 'upgrade'): Promise<Refusal | undefined> {
    const limits = this.options.limits;
    const address = clientAddress(req, this.options.trustProxyHops ?? 0);
    setRequestClient(req, {
      address,
      holdSession: () => (limits && access !== 'carrier' ? limits.holdSession(address) : Promise.resolve({ ok: true, release: () => {} })),
    });
    // Preflights carry no credentials (Fetch standard): the route answers them itself.
    if (req.method === 'OPTIONS') return undefined;
    if (access !== 'carrier') {
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
    const grant: AccessGrant | undefined = this.options.enforceExpLive ? requestGrantOf(req) : undefined;
    if (!grant || !this.options.access) return;
    const delay = Math.max(0, Math.min(grant.expiresAtMs - this.options.access.now(), 2 ** 31 - 1));
    const timer = setTimeout(end, delay);
    timer.unref();
    target.once('close', () => clearTimeout(timer));
  }
}

interface Refusal {
  readonly code: ErrorCode;
  readonly detail: string;
  readonly headers?: Record<string, string>;
}

function refuseUpgrade(socket: Duplex, code: ErrorCode, detail?: string, headers: Record<string, string> = {}): void {
  const spec = ERROR_CODES[code];
  const body = JSON.stringify({ error: { code, message: detail ? `${spec.message}: ${detail}` : spec.message } });
  const reason = STATUS_CODES[spec.httpStatus] ?? 'Error';
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${spec.httpStatus} ${reason}\r\nconnection: close\r\ncontent-type: application/json; charset=utf-8\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
