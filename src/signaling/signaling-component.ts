import type { IncomingMessage } from 'node:http';
import { requestClient } from '../limits/request-client.js';
import { requestGrant } from '../auth/request-grant.js';
import type { WebSocket } from 'ws';
import type { ChannelLayer } from '../channel-layer/channel-layer.js';
import { createChannelLayer } from '../channel-layer/create-channel-layer.js';
import { ERROR_CODES } from '../errors/error-codes.js';
import type { GatewayComponent } from '../http/routes.js';
import { CallConsumer, type CallConsumerLimits, type CallEventSink } from './call-consumer.js';
import { callPageRoutes } from './call-page-routes.js';
import type { IceServer } from './ice-servers.js';

export interface SignalingOptions extends CallConsumerLimits {
  /** redis://… to relay across processes; null keeps everything in this process. */
  redisUrl: string | null;
  iceServers: readonly IceServer[];
  turnSecret: string | null;
  turnCredentialTtlS: number;
  /** A process that stops renewing (died) loses its users' names after this long (s). */
  presenceTtlS: number;
  /** Ping every connection this often; one that has not answered the previous ping is terminated (ms). */
  heartbeatIntervalMs: number;
}

export const DEFAULT_SIGNALING_OPTIONS = {
  redisUrl: null,
  iceServers: [],
  turnSecret: null,
  turnCredentialTtlS: 3600,
  presenceTtlS: 15,
  heartbeatIntervalMs: 30_000,
  maxMessagesPerSecond: 200,
  maxPendingMessages: 64,
  maxBufferedBytes: 1 << 20,
} as const satisfies SignalingOptions;

/** SDP offers run to a few KiB; 64 KiB leaves room and keeps a bad client small. */
const MAX_PAYLOAD = 64 * 1024;

/**
 * The call-signaling relay as a gateway component: `WS /ws/call/`, the call page under `/call/`,
 * and the channel layer it relays through (in-memory, or Redis when `redisUrl` is set).
 */
export function createSignalingComponent(input: Partial<SignalingOptions> = {}, events?: CallEventSink): GatewayComponent & { readonly layer: ChannelLayer } {
  const options: SignalingOptions = { ...DEFAULT_SIGNALING_OPTIONS, ...input };
  const layer = createChannelLayer(options.redisUrl, { groupExpiryMs: Math.round(options.presenceTtlS * 1000) });
  const consumers = new Map<WebSocket, CallConsumer>();
  const alive = new WeakSet<WebSocket>();
  let heartbeat: NodeJS.Timeout | undefined;
  let closing = false;

  const stats = () => ({
    connections: consumers.size,
    online: [...consumers.values()].filter((c) => c.loggedInAs !== null).length,
    layer: layer.stats(),
  });

  return {
    name: 'signaling',
    layer,
    httpRoutes: callPageRoutes(options, stats),
    wsRoutes: [
      {
        path: '/ws/call/',
        maxPayload: MAX_PAYLOAD,
        access: 'call',
        onConnection(socket: WebSocket, req: IncomingMessage) {
          if (closing) {
            socket.close(ERROR_CODES.WG_ERR_SHUTTING_DOWN.closeCode, 'WG_ERR_SHUTTING_DOWN');
            return;
          }
          alive.add(socket);
          socket.on('pong', () => alive.add(socket));
          socket.on('error', () => socket.terminate());
          const consumer = new CallConsumer(socket, layer, options, requestGrant(req)?.name, events, (code, reason) => requestClient(req)?.refused?.(code, reason));
          consumers.set(socket, consumer);
          void consumer.done.then(() => consumers.delete(socket));
        },
      },
    ],
    async start() {
      await layer.start();
      heartbeat = setInterval(() => {
        for (const socket of consumers.keys()) {
          if (!alive.has(socket)) {
            socket.terminate();
            continue;
          }
          alive.delete(socket);
          socket.ping();
        }
      }, options.heartbeatIntervalMs);
      heartbeat.unref();
    },
    async close() {
      closing = true;
      clearInterval(heartbeat);
      for (const socket of consumers.keys()) socket.close(ERROR_CODES.WG_ERR_SHUTTING_DOWN.closeCode, 'WG_ERR_SHUTTING_DOWN');
      // Peers on other processes get their hangups before the layer goes.
      const done = Promise.all([...consumers.values()].map((c) => c.done));
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000).unref())]);
      await layer.close();
    },
  };
}
