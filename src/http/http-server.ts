import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { GatewayRouter } from './router.js';
import type { GatewayComponent } from './routes.js';
import type { TlsMaterial } from './tls-material.js';

/**
 * wavegate's own listening server (HTTP, or HTTPS and WSS on the same port with `tls`) in front of a
 * GatewayRouter. Upgrades for unknown paths get 404; malformed requests get 400 and never reach a route.
 */
export class HttpServer {
  readonly server: Server | HttpsServer;
  readonly router: GatewayRouter;
  private readonly sockets = new Set<Duplex>();

  constructor(routes: GatewayRouter | readonly GatewayComponent[], tls?: TlsMaterial) {
    this.router = routes instanceof GatewayRouter ? routes : new GatewayRouter(routes);
    const onRequest = this.router.handleRequest.bind(this.router);
    this.server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => onRequest(req, res)) : createServer((req, res) => onRequest(req, res));
    this.server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      if (!this.router.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
    // TLS servers hand over the TLS socket on 'secureConnection'; 'connection' is the TCP one beneath.
    this.server.on('connection', (socket: Duplex) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (_err, socket: Duplex) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else socket.destroy();
    });
    if (tls) (this.server as HttpsServer).on('tlsClientError', () => undefined); // a failed handshake is the client's, not ours
  }

  /** New connections get `tls`'s certificate; connections already open keep theirs (SIGHUP renewal, docs/deploy.md). */
  setTls(tls: TlsMaterial): void {
    if (!('setSecureContext' in this.server)) throw new Error('wavegate: this server was started without TLS; a certificate cannot be added to it');
    this.server.setSecureContext({ cert: tls.cert, key: tls.key });
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
    this.router.closeWebSockets();
    this.server.closeIdleConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
