import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { AccessCheck, type AccessCheckOptions } from './access-check.js';
import { sendError } from './respond.js';
import type { GatewayComponent, HttpRoute, WsRoute } from './routes.js';

/** Access tokens, per-client limits and allowed origins (src/http/access-check.ts); all off by default. */
export type HttpServerOptions = AccessCheckOptions;

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
  private readonly check: AccessCheck;

  constructor(components: readonly GatewayComponent[], options: HttpServerOptions = {}) {
    this.check = new AccessCheck(options);
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
          if (await this.check.request(req, res, url, route.access)) return route.handle(req, res, url, match);
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
    this.check
      .upgrade(req, socket, url, entry.route.access)
      .then((go) => {
        if (go) entry.wss.handleUpgrade(req, socket, head, (ws) => entry.wss.emit('connection', ws, req));
      })
      .catch((err: unknown) => {
        console.error(`wavegate: upgrade of ${pathname} failed:`, err);
        socket.destroy();
      });
  }
}

