import { RedisChannelLayer } from '../channel-layer/redis-channel-layer.js';
import { sendError, sendJson } from '../http/respond.js';
import type { GatewayComponent } from '../http/routes.js';
import type { SessionHost } from '../session/session-host.js';
import { RedisSessionDirectory } from './redis-session-directory.js';
import type { DirectoryEntry, SessionDirectory } from './session-directory.js';
import { SessionRouter, type LocalSessions } from './session-router.js';
import { IpcChannelLayer } from './ipc-channel-layer.js';
import { IpcSessionDirectory } from './ipc-session-directory.js';
import { isGatewayWorker, primaryLink } from './worker-ipc.js';

export interface ClusterComponent extends GatewayComponent {
  readonly directory: SessionDirectory | undefined;
  readonly router: SessionRouter | undefined;
  /** True while the directory is lost (GET /healthz says degraded). */
  readonly degraded: boolean;
  /** Called once listening: the URL other nodes reach this one at. */
  setUrl(url: string): void;
}

export interface ClusterComponentOptions {
  readonly redisUrl: string | null;
  readonly sessionLeaseS: number;
  readonly clusterConcurrencyLimit: number | null;
  readonly redisTimeoutMs: number;
  readonly advertiseUrl: string | null;
  /** What a forwarded candidate does on this node (the WebRTC component's peers). */
  readonly addLocalCandidate: (id: string, candidate: never) => Promise<unknown> | undefined;
}

/**
 * The cluster part of a gateway (docs/scale-out.md): with `--redis`, the session directory (admission,
 * leases), the router that forwards requests to the node holding a session, and `GET /sessions`. In a
 * `--workers` worker without Redis, the same over the primary. A lone process: `GET /sessions` lists its own.
 */
const ROUTER_INBOX = 10_000;

export function clusterComponent(host: SessionHost, options: ClusterComponentOptions): ClusterComponent {
  const local: LocalSessions = {
    setInput(id, args) {
      const session = host.registry.get(id);
      session?.setInput(args);
      return session !== undefined;
    },
    subscribeOutputs(id, listener, onEnd) {
      const session = host.registry.get(id);
      if (!session) return undefined;
      const unsubscribe = session.subscribeOutputs(listener);
      const end = () => {
        unsubscribe();
        onEnd();
      };
      session.signal.addEventListener('abort', end, { once: true });
      return () => {
        unsubscribe();
        session.signal.removeEventListener('abort', end);
      };
    },
    addCandidate: (id, candidate) => options.addLocalCandidate(id, candidate as never),
  };
  let layer: RedisChannelLayer | IpcChannelLayer | undefined;
  let directory: SessionDirectory | undefined;
  let router: SessionRouter | undefined;
  if (options.redisUrl !== null) {
    // One router channel carries every forwarded request, reply and output of this node: a deep inbox.
    layer = new RedisChannelLayer({ url: options.redisUrl, connectTimeoutMs: options.redisTimeoutMs, commandTimeoutMs: options.redisTimeoutMs, capacity: ROUTER_INBOX });
    directory = new RedisSessionDirectory(layer, {
      leaseMs: Math.round(options.sessionLeaseS * 1000),
      clusterLimit: options.clusterConcurrencyLimit,
      timeoutMs: options.redisTimeoutMs,
      onLost: (id) => host.closeLost(id),
    });
    router = new SessionRouter(layer, directory, local, { requestTimeoutMs: Math.max(2000, options.redisTimeoutMs * 2) });
    host.cluster = { directory, channel: router.channel, url: options.advertiseUrl ?? '' };
    host.remote = router;
  } else if (isGatewayWorker()) {
    // A `--workers` worker without Redis: the primary holds the box's directory (docs/scale-out.md#workers).
    const ipcLayer = new IpcChannelLayer(primaryLink(), { capacity: ROUTER_INBOX });
    layer = ipcLayer;
    directory = new IpcSessionDirectory(ipcLayer.nodeId, primaryLink());
    router = new SessionRouter(ipcLayer, directory, local, { requestTimeoutMs: 5000 });
    host.cluster = { directory, channel: router.channel, url: options.advertiseUrl ?? '' };
    host.remote = router;
  }

  const localEntries = (): DirectoryEntry[] =>
    [...host.registry.all()].map((session) => ({
      id: session.id,
      node: directory?.nodeId ?? 'local',
      channel: router?.channel ?? '',
      url: host.cluster?.url ?? '',
      transport: session.carrier === 'webrtc' ? 'webrtc' : 'websocket',
      carrier: session.carrier,
      handler: host.options.handler.name,
      started: Date.now() - (host.now() - session.startedAt),
      recording: host.options.recordDir !== null,
    }));

  return {
    name: 'cluster',
    directory,
    router,
    get degraded() {
      return directory?.stats().degraded ?? false;
    },
    setUrl(url) {
      if (host.cluster && options.advertiseUrl === null) host.cluster.url = url;
    },
    httpRoutes: [
      {
        method: ['GET', 'HEAD'],
        path: '/sessions',
        // The cluster's sessions are for operators (docs/scale-out.md#get-sessions, docs/security.md).
        access: 'admin',
        async handle(_req, res) {
          const entries = directory ? await directory.list() : localEntries();
          if (entries === null) return sendError(res, 'WG_ERR_OWNER_UNAVAILABLE', 'the session directory (Redis) is unreachable');
          const sessions = entries
            .sort((a, b) => a.started - b.started || a.id.localeCompare(b.id))
            .map(({ id, node, transport, carrier, handler, started, recording }) => ({ id, node, transport, carrier, handler, started: new Date(started).toISOString(), recording }));
          sendJson(res, 200, { node: directory?.nodeId ?? 'local', sessions }, { 'cache-control': 'no-store' });
        },
      },
    ],
    async start() {
      await layer?.start();
      await directory?.start();
    },
    async close() {
      router?.close();
      await directory?.close();
      await layer?.close();
    },
  };
}
