import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { TokenScope } from '../auth/token-claims.js';

/**
 * Who may use a route when access tokens are on (`authSecret`; docs/security.md). Checked once, in
 * src/http/http-server.ts, before the route runs (before the upgrade for WebSockets):
 * - `'public'`: anyone (pages, /healthz);
 * - `'carrier'`: no token; the route checks the carrier's own request signature;
 * - a scope: a valid token whose `scope` includes it;
 * - `{ scope, alsoAllow }`: the same, or no token when `alsoAllow` says the request carries another
 *   proof (e.g. a signed recording URL, a carrier's signature on a media-stream upgrade).
 * A route without `access` needs an `admin` token. Checks on `sub`/`name` happen in the route, once it
 * knows the session id (`requestGrant(req)` from src/auth/request-grant.ts).
 */
export type RouteAccess =
  | 'public'
  | 'carrier'
  | TokenScope
  | {
      readonly scope: TokenScope;
      readonly alsoAllow?: (req: IncomingMessage, url: URL) => boolean;
      /** false: not counted against per-client limits (carriers: many calls from few addresses). */
      readonly perClientLimits?: false;
    };

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
  /** Who may call it with access tokens on; default `'admin'` (see RouteAccess). */
  readonly access?: RouteAccess;
  /**
   * The CORS headers the route answers an allowed cross-origin request with (undefined: none, e.g. the
   * origin is not allowed). Refusals decided before the route (401, 403, 429) carry the same, so a page
   * of an allowed origin can read their body (docs/security.md#refusals).
   */
  readonly cors?: (req: IncomingMessage) => Record<string, string> | undefined;
}

/** One WebSocket endpoint, upgraded on an exact path (below the mount prefix). */
export interface WsRoute {
  readonly path: string;
  /** Largest message accepted, in bytes (ws `maxPayload`); larger ones close the socket with 1009. */
  readonly maxPayload?: number;
  onConnection(socket: WebSocket, req: IncomingMessage): void;
  /** Who may connect with access tokens on; default `'admin'` (see RouteAccess). */
  readonly access?: RouteAccess;
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
