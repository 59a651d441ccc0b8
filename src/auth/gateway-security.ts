import { Counter, type Registry } from 'prom-client';
import type { GatewayOptions } from '../gateway-options.js';
import type { AccessCheckOptions } from '../http/access-check.js';
import type { GatewayComponent } from '../http/routes.js';
import { ClientLimits } from '../limits/client-limits.js';
import { AccessGate } from './access-gate.js';
import { RefusalLog } from './refusal-log.js';
import { isLoopbackHost } from './loopback-host.js';

export interface GatewaySecurity {
  /** What the HTTP server checks before every route (src/http/access-check.ts). */
  readonly http: AccessCheckOptions;
  /** Starts and stops the limits' Redis connection, if any. */
  readonly component: GatewayComponent;
  /** Every coded refusal, one rate-bounded log line each (the session host's refusals are given to it too). */
  readonly refusals: RefusalLog;
  /** The start-up warning when the gateway listens beyond loopback without access tokens. */
  warnIfOpen(host: string): void;
}

/**
 * The gateway's security options made into the HTTP server's checks (docs/security.md): access tokens,
 * live expiry, per-client limits (with their Redis store under `--redis`), trusted proxies and allowed
 * origins; refusals counted on the metrics registry as `wavegate_access_refused_total{code}`.
 */
export function gatewaySecurity(options: GatewayOptions, registry: Registry): GatewaySecurity {
  const access = options.authSecret === null ? undefined : new AccessGate(options.authSecret);
  const limits = new ClientLimits(
    { requestsPerSecond: options.clientRequestsPerSecond, connectionsPerSecond: options.clientConnectionsPerSecond, sessions: options.clientSessions, redisUrl: options.redisUrl },
    registry,
  );
  const refusals = new RefusalLog({ linesPerSecond: options.refusalLogPerSecond }, registry);
  const refused = new Counter({ name: 'wavegate_access_refused_total', help: 'Requests and WebSocket upgrades refused before their route ran, by error code (tokens, limits, origins).', labelNames: ['code'], registers: [registry] });
  return {
    http: {
      access,
      enforceExpLive: options.enforceExpLive,
      limits,
      trustProxyHops: options.trustProxy,
      // Pages allowed to POST /webrtc/offer cross-origin are allowed origins too.
      allowedOrigins: options.allowedOrigins.length === 0 ? [] : [...options.allowedOrigins, ...options.webrtcAllowedOrigins],
      onRefusal: (code) => refused.inc({ code }),
      refusals,
    },
    refusals,
    component: {
      name: 'client-limits',
      start: () => limits.start(),
      close: async () => {
        refusals.flush();
        await limits.close();
      },
    },
    warnIfOpen(host: string) {
      if (access !== undefined || isLoopbackHost(host)) return;
      console.warn(`wavegate: warning: listening on ${host} without access tokens: anyone who reaches the port can open sessions, post inputs and read recordings; set --auth-secret (docs/security.md)`);
    },
  };
}
