import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';

/** Where the routes are mounted: '' on wavegate's own server, '/voice' in a host app (docs/embedding.md). */
export interface Mount {
  readonly prefix: string;
}

/**
 * One HTTP endpoint. `path` is matched against the URL's pathname below the mount prefix (`url` has that
 * inner pathname; `req.url` keeps the full one); a RegExp's groups reach `match`. A route that writes
 * absolute paths into a response (TwiML, recording links) puts `mount.prefix` in front.
 */
export interface HttpRoute {
  readonly method: string | readonly string[];
  readonly path: string | RegExp;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, match: RegExpMatchArray | null, mount: Mount): void | Promise<void>;
}

/** One WebSocket endpoint, upgraded on an exact path (below the mount prefix). */
export interface WsRoute {
  readonly path: string;
  /** Largest message accepted, in bytes (ws `maxPayload`); larger ones close the socket with 1009. */
  readonly maxPayload?: number;
  onConnection(socket: WebSocket, req: IncomingMessage): void;
}

/**
 * A part of the gateway (FastRTC sessions, telephony, signaling, recordings, metrics…). The gateway
 * starts components in order, serves their routes from one HTTP server, and closes them in reverse.
 */
export interface GatewayComponent {
  readonly name: string;
  readonly httpRoutes?: readonly HttpRoute[];
  readonly wsRoutes?: readonly WsRoute[];
  start?(): void | Promise<void>;
  /** Stop accepting work and end what is open (sessions get their handlers' shutdown first). */
  close?(): void | Promise<void>;
}
