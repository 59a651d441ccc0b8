import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { GatewayRouter } from './router.js';

type Listener = (...args: any[]) => void;

/**
 * Puts wavegate's routes on a host app's `http`/`https` server (docs/embedding.md). The host's own
 * 'request' and 'upgrade' listeners are taken off and called for every path that is not wavegate's,
 * so the app's routes and its own WebSocket routes (ws's `noServer` convention) are left alone even
 * when its upgrade handler destroys sockets it does not know. An upgrade nobody handles is refused
 * with 404. Returns the function that puts the host's listeners back (`close()` on the gateway).
 */
export function attachToServer(server: Server | HttpsServer, router: GatewayRouter): () => void {
  const hostRequest = server.listeners('request') as Listener[];
  const hostUpgrade = server.listeners('upgrade') as Listener[];
  for (const l of hostRequest) server.off('request', l);
  for (const l of hostUpgrade) server.off('upgrade', l);
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (hostRequest.length === 0) return router.handleRequest(req, res);
    router.handleRequest(req, res, () => {
      for (const l of hostRequest) l.call(server, req, res);
    });
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    if (router.handleUpgrade(req, socket, head)) return;
    if (hostUpgrade.length === 0) socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    for (const l of hostUpgrade) l.call(server, req, socket, head);
  };
  server.on('request', onRequest);
  server.on('upgrade', onUpgrade);
  return () => {
    server.off('request', onRequest);
    server.off('upgrade', onUpgrade);
    for (const l of hostRequest) server.on('request', l);
    for (const l of hostUpgrade) server.on('upgrade', l);
  };
}
