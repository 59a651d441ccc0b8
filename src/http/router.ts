import { requestUrl } from './request-url.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AccessCheck, type AccessCheckOptions } from './access-check.js';
import { innerPath, normalizePrefix } from './mount-prefix.js';
import { sendError } from './respond.js';
import type { GatewayComponent, HttpRoute, WsRoute } from './routes.js';

/**
 * Every component's routes behind one pair of entry points, `handleRequest` and `handleUpgrade`,
 * so the same routes serve from wavegate's own server or from a host app's (docs/embedding.md).
 * Paths are matched below the mount prefix. Unknown paths go to the host (`next`) when there is one,
 * else get WG_ERR_NOT_FOUND; a throwing route gets WG_ERR_INTERNAL and never takes the process down.
 * Before a route runs (before the upgrade, for WebSockets) the access check decides: origin, per-client
 * limits, the route's declared `access` against the token (src/http/access-check.ts, docs/security.md).
 */
export class GatewayRouter {
  private readonly httpRoutes: HttpRoute[] = [];
  private readonly wsServers = new Map<string, { route: WsRoute; wss: WebSocketServer }>();
  private mountPrefix = '';
  private readonly check: AccessCheck;

  constructor(components: readonly GatewayComponent[], prefix = '', access: AccessCheckOptions = {}) {
    this.prefix = prefix;
    this.check = new AccessCheck(access);
    for (const component of components) {
      this.httpRoutes.push(...(component.httpRoutes ?? []));
      for (const route of component.wsRoutes ?? []) {
        const wss = new WebSocketServer({ noServer: true, maxPayload: route.maxPayload ?? 1 << 20, clientTracking: true });
        wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
          this.check.connected(req, socket);
          route.onConnection(socket, req);
        });
        this.wsServers.set(route.path, { route, wss });
      }
    }
  }

  /** '' or '/voice'. */
  get prefix(): string {
    return this.mountPrefix;
  }

  set prefix(prefix: string) {
    this.mountPrefix = normalizePrefix(prefix);
  }

  /**
   * Answers a request for one of wavegate's paths. Any other path goes to `next` (a framework's
   * middleware chain), or gets WG_ERR_NOT_FOUND without one. Express's `originalUrl` is honoured, so
   * `app.use(gateway.handleRequest)` and `app.use('/voice', gateway.handleRequest)` both work.
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void {
    const original = (req as { originalUrl?: string }).originalUrl;
    const full = typeof original === 'string' ? original : req.url ?? '/';
    const url = requestUrl(full);
    if (url === undefined) return sendError(res, 'WG_ERR_BAD_REQUEST', 'unreadable request target');
    const inner = innerPath(this.mountPrefix, url.pathname);
    if (inner === undefined) return next ? next() : sendError(res, 'WG_ERR_NOT_FOUND', url.pathname);
    if (inner === 'redirect') {
      // The talk page's links are relative: it must be served as '/voice/', not '/voice'.
      res.writeHead(308, { location: `${this.mountPrefix}/${url.search}`, 'content-length': 0 });
      res.end();
      return;
    }
    const innerUrl = new URL(url);
    innerUrl.pathname = inner;
    let pathMatched = false;
    for (const route of this.httpRoutes) {
      const match = typeof route.path === 'string' ? (route.path === inner ? null : undefined) : inner.match(route.path) ?? undefined;
      if (match === undefined) continue;
      pathMatched = true;
      const methods = typeof route.method === 'string' ? [route.method] : route.method;
      if (!methods.includes(req.method ?? 'GET')) continue;
      // Routes see the URL as the client sent it (signatures cover it), not a framework's mount-relative one.
      req.url = full;
      Promise.resolve()
        .then(async () => {
          if (await this.check.request(req, res, innerUrl, route.access, route.cors?.(req))) return route.handle(req, res, innerUrl, match, { prefix: this.mountPrefix });
        })
        .catch((err: unknown) => {
          console.error(`wavegate: ${req.method} ${url.pathname} failed:`, err);
          sendError(res, 'WG_ERR_INTERNAL');
        });
      return;
    }
    if (pathMatched) sendError(res, 'WG_ERR_METHOD_NOT_ALLOWED', req.method);
    else if (next) next();
    else sendError(res, 'WG_ERR_NOT_FOUND', url.pathname);
  }

  /**
   * Takes a WebSocket request for one of wavegate's paths (true: the access check, then the upgrade or a
   * refusal on the HTTP response); false, socket untouched, for any other path.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = requestUrl(req.url);
    if (url === undefined) return false;
    const inner = innerPath(this.mountPrefix, url.pathname);
    if (inner === undefined || inner === 'redirect') return false;
    const entry = this.wsServers.get(inner) ?? this.wsServers.get(inner.endsWith('/') ? inner.slice(0, -1) : `${inner}/`);
    if (!entry) return false;
    const innerUrl = new URL(url);
    innerUrl.pathname = inner;
    this.check
      .upgrade(req, socket, innerUrl, entry.route.access)
      .then((go) => {
        if (go) entry.wss.handleUpgrade(req, socket, head, (ws) => entry.wss.emit('connection', ws, req));
      })
      .catch((err: unknown) => {
        console.error(`wavegate: upgrade of ${url.pathname} failed:`, err);
        socket.destroy();
      });
    return true;
  }

  /** Terminates the WebSocket clients still open and stops upgrading. */
  closeWebSockets(): void {
    for (const { wss } of this.wsServers.values()) {
      for (const client of wss.clients) client.terminate();
      wss.close();
    }
  }
}
