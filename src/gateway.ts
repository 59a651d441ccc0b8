import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { gatewaySecurity } from './auth/gateway-security.js';
import { attachToServer } from './http/attach-to-server.js';
import { HttpServer } from './http/http-server.js';
import { GatewayRouter } from './http/router.js';
import { loadTlsMaterial } from './http/tls-material.js';
import { sendJson } from './http/respond.js';
import type { GatewayComponent } from './http/routes.js';
import { GatewayEvents, type GatewayEventMap } from './gateway-events.js';
import { resolveGatewayOptions, type GatewayOptions, type GatewayOptionsInput } from './gateway-options.js';
import { createSignalingComponent } from './signaling/signaling-component.js';
import { metricsComponent } from './metrics/metrics-component.js';
import { createRecordings, type Recordings } from './recordings/recordings.js';
import { sessionHostMetrics } from './metrics/session-host-metrics.js';
import { SessionHost } from './session/session-host.js';
import { fastRtcComponent } from './transport/fastrtc/fastrtc-component.js';
import { telephoneComponent } from './transport/telephone/telephone-component.js';
import { talkPageComponent } from './talk-page/talk-page-routes.js';
import { webRtcComponent, type WebRtcComponent } from './transport/webrtc/webrtc-component.js';
import { clusterComponent, type ClusterComponent } from './cluster/cluster-component.js';
import { registerClusterMetrics } from './cluster/cluster-metrics.js';
import { withRecordingProxy } from './cluster/recording-proxy.js';
import { boxMetrics } from './cluster/worker-metrics.js';
import { isGatewayWorker, primaryLink } from './cluster/worker-ipc.js';
import { Rooms } from './rooms/rooms.js';
import { roomsComponent } from './rooms/rooms-component.js';
import { registerRoomsMetrics } from './rooms/rooms-metrics.js';
import { memoryTrimComponent } from './memory/memory-trim-component.js';

export interface Gateway {
  readonly options: GatewayOptions;
  /** Sessions of every transport: registry, shared pacer, taps. */
  readonly sessions: SessionHost;
  /** Session recordings (folder, live files, signed paths) when `recordDir` is set. */
  readonly recordings: Recordings | undefined;
  /** Typed events for applications (docs/embedding.md); `on`/`once`/`off` below are shorthands. */
  readonly events: GatewayEvents;
  on<K extends keyof GatewayEventMap>(event: K, listener: (...args: GatewayEventMap[K]) => void): Gateway;
  once<K extends keyof GatewayEventMap>(event: K, listener: (...args: GatewayEventMap[K]) => void): Gateway;
  off<K extends keyof GatewayEventMap>(event: K, listener: (...args: GatewayEventMap[K]) => void): Gateway;
  /** `POST /webrtc/offer`: its live peer connections by webrtc_id. */
  readonly webrtc: WebRtcComponent;
  /** The session directory and router across nodes (with `redisUrl`), and `GET /sessions`. */
  readonly cluster: ClusterComponent;
  /** Rooms of this process (docs/rooms.md): `list()`, `get(id)`, `events.on('event', …)`. */
  readonly rooms: Rooms;
  /** http://host:port once listening. */
  readonly url: string;
  /** Starts the gateway on its own server (HTTPS and WSS with `tls`). */
  listen(): Promise<{ host: string; port: number; url: string }>;
  /**
   * Starts the gateway on a host app's `http`/`https` server, under `prefix` (default the `prefix`
   * option): wavegate's paths are answered, every other request and upgrade goes to the host's own
   * listeners (docs/embedding.md).
   */
  attach(server: Server | HttpsServer, options?: { prefix?: string }): Promise<void>;
  /** Starts the gateway without a server, for `handleRequest` / `handleUpgrade` from a framework. */
  start(): Promise<void>;
  /** A request for wavegate's paths (below the prefix) is answered; any other goes to `next` (or gets 404). Bound: pass it as middleware. */
  readonly handleRequest: (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;
  /** Upgrades a WebSocket request for wavegate's paths and returns true; false leaves the socket to the caller. Bound. */
  readonly handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;
  /** Re-reads `tls` (certificate renewal; the CLI calls it on SIGHUP): new connections get the new certificate, live ones continue. */
  reloadTls(): Promise<void>;
  /** Stop accepting, end every session (handlers' shutdown first, clients get 1001), close the server; an attached gateway leaves the host's server running. */
  close(): Promise<void>;
}

export type CreateGatewayOptions = GatewayOptionsInput;

export function createGateway(input: CreateGatewayOptions): Gateway {
  const options = resolveGatewayOptions(input);
  const events = new GatewayEvents();
  const sessions = new SessionHost(options, events);
  let ready = false;
  const health: GatewayComponent = {
    name: 'health',
    httpRoutes: [
      {
        method: ['GET', 'HEAD'],
        path: '/healthz',
        access: 'public',
        // A lost session directory still serves (local admission): 200, status degraded (docs/scale-out.md#failures).
        handle: (_req, res) => sendJson(res, ready ? 200 : 503, { status: !ready ? 'starting' : cluster.degraded ? 'degraded' : 'ok', ...(ready && cluster.degraded && { directory: 'unreachable' }) }),
      },
    ],
  };
  const signaling = createSignalingComponent({
    redisUrl: options.redisUrl,
    iceServers: options.iceServers,
    turnSecret: options.turnSecret,
    turnCredentialTtlS: options.turnCredentialTtlS,
    presenceTtlS: options.presenceTtlS,
    maxMessagesPerSecond: options.maxMessagesPerSecond,
  }, {
    callStarted: (e) => events.report('call-started', e),
    callEnded: (e) => events.report('call-ended', e),
  });
  // Rooms (docs/rooms.md): sessions naming a room take a seat in it; closed before the sessions.
  const rooms = new Rooms(options.rooms, { pacer: sessions.pacer, frameMs: options.frameMs, now: sessions.now, tapFactory: (info) => recordings?.tapFactory(info), cluster: () => sessions.cluster });
  sessions.rooms = rooms;
  const sessionsComponent: GatewayComponent = { name: 'sessions', start: () => sessions.start(), close: () => sessions.close() };
  // Closed in reverse: transports stop first, then the sessions (handlers' shutdown, 1001 to clients).
  const telephone = telephoneComponent(sessions, { publicUrl: options.publicUrl, twilioAuthToken: options.twilioAuthToken, telnyxPublicKey: options.telnyxPublicKey, plivoAuthToken: options.plivoAuthToken });
  // Recordings start before the sessions (the folder is opened and repaired first) and close after them.
  const webrtc = webRtcComponent(sessions);
  const recordings = options.recordDir === null ? undefined : createRecordings({ dir: options.recordDir, mode: options.recordMode, secret: options.recordingsSecret }, (e) => events.report('recording-finished', e));
  if (recordings) sessions.addTapFactory(recordings.tapFactory);
  const cluster = clusterComponent(sessions, { ...options, addLocalCandidate: (id, candidate) => webrtc.addLocalCandidate(id, candidate) });
  const ownMetrics = metricsComponent(sessionHostMetrics(sessions), { access: options.metricsTokenRequired ? 'admin' : 'public' });
  // In a `--workers` worker, GET /metrics answers for the whole box (docs/scale-out.md#metrics).
  const metrics = isGatewayWorker() ? boxMetrics(ownMetrics, sessions, primaryLink(), process.env.WAVEGATE_WORKER_ID ?? '') : ownMetrics;
  if (cluster.directory && cluster.router) registerClusterMetrics(metrics.registry, cluster.directory, cluster.router);
  registerRoomsMetrics(metrics.registry, rooms);
  // Free memory back to the OS after load (docs/security.md, "Where the RSS goes"); one trimmer per process.
  const memoryTrim = memoryTrimComponent(options.memoryTrim, metrics.registry);
  const components: GatewayComponent[] = [health, metrics, memoryTrim, ...(recordings ? [withRecordingProxy(recordings.component, sessions)] : []), cluster, sessionsComponent, roomsComponent(rooms), fastRtcComponent(sessions), webrtc, telephone, signaling, talkPageComponent(options)];
  // Access tokens, per-client limits, origins (docs/security.md): one check over every route's `access`.
  const security = gatewaySecurity(options, metrics.registry);
  components.push(security.component);
  // Sessions refused at admission (duplicate id, concurrency, a token's room…) are logged with the rest.
  events.on('session-refused', (e) => security.refusals.refused({ code: e.code, route: e.route ?? e.carrier, client: e.client ?? 'unknown', reason: `session ${JSON.stringify(e.id)}: ${e.message}` }));
  const router = new GatewayRouter(components, options.prefix, security.http);
  let http: HttpServer | undefined;
  let detach: (() => void) | undefined;
  let url = '';
  let closing: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  const start = () => {
    starting ??= (async () => {
      // A handler whose engine is missing fails here, before the gateway takes a single session.
      await options.handler.check?.(options.handlerOptions);
      for (const component of components) await component.start?.();
      ready = true;
    })();
    return starting;
  };
  const loadTls = async () => {
    const material = await loadTlsMaterial(options.tls!);
    for (const warning of material.warnings) console.warn(`wavegate: warning: ${warning}`);
    return material;
  };

  const gateway: Gateway = {
    options,
    events,
    on(event, listener) {
      events.on(event, listener as never);
      return gateway;
    },
    once(event, listener) {
      events.once(event, listener as never);
      return gateway;
    },
    off(event, listener) {
      events.off(event, listener as never);
      return gateway;
    },
    sessions,
    recordings,
    webrtc,
    cluster,
    rooms,
    get url() {
      return url;
    },
    async listen() {
      if (http || detach) throw new Error('wavegate: this gateway is already serving');
      const tls = options.tls === null ? undefined : await loadTls();
      http = new HttpServer(router, tls);
      await start();
      const address = await http.listen(options.port, options.host);
      url = `${tls ? 'https' : 'http'}://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}${router.prefix}`;
      cluster.setUrl(url);
      security.warnIfOpen(options.host);
      return { ...address, url };
    },
    async attach(server, attachOptions = {}) {
      if (http || detach) throw new Error('wavegate: this gateway is already serving');
      if (attachOptions.prefix !== undefined) router.prefix = attachOptions.prefix;
      await start();
      detach = attachToServer(server, router);
    },
    start,
    handleRequest: (req, res, next) => router.handleRequest(req, res, next),
    handleUpgrade: (req, socket, head) => router.handleUpgrade(req, socket, head),
    async reloadTls() {
      if (options.tls === null || !http) throw new Error('wavegate: reloadTls() needs the `tls` option and listen()');
      http.setTls(await loadTls());
    },
    close() {
      closing ??= (async () => {
        ready = false;
        for (const component of [...components].reverse()) await component.close?.();
        if (http) await http.close();
        else router.closeWebSockets();
        detach?.();
      })();
      return closing;
    },
  };
  return gateway;
}
