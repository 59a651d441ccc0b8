import { gatewaySecurity } from './auth/gateway-security.js';
import { HttpServer } from './http/http-server.js';
import { sendJson } from './http/respond.js';
import type { GatewayComponent } from './http/routes.js';
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

export interface Gateway {
  readonly options: GatewayOptions;
  /** Sessions of every transport: registry, shared pacer, taps. */
  readonly sessions: SessionHost;
  /** Session recordings (folder, live files, signed paths) when `recordDir` is set. */
  readonly recordings: Recordings | undefined;
  /** `POST /webrtc/offer`: its live peer connections by webrtc_id. */
  readonly webrtc: WebRtcComponent;
  /** http://host:port once listening. */
  readonly url: string;
  listen(): Promise<{ host: string; port: number; url: string }>;
  /** Stop accepting, end every session (handlers' shutdown first, clients get 1001), close the server. */
  close(): Promise<void>;
}

export type CreateGatewayOptions = GatewayOptionsInput;

export function createGateway(input: CreateGatewayOptions): Gateway {
  const options = resolveGatewayOptions(input);
  const sessions = new SessionHost(options);
  let ready = false;
  const health: GatewayComponent = {
    name: 'health',
    httpRoutes: [
      {
        method: ['GET', 'HEAD'],
        path: '/healthz',
        access: 'public',
        handle: (_req, res) => sendJson(res, ready ? 200 : 503, { status: ready ? 'ok' : 'starting' }),
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
  });
  const sessionsComponent: GatewayComponent = { name: 'sessions', start: () => sessions.start(), close: () => sessions.close() };
  // Closed in reverse: transports stop first, then the sessions (handlers' shutdown, 1001 to clients).
  const telephone = telephoneComponent(sessions, { publicUrl: options.publicUrl, twilioAuthToken: options.twilioAuthToken, telnyxPublicKey: options.telnyxPublicKey, plivoAuthToken: options.plivoAuthToken });
  // Recordings start before the sessions (the folder is opened and repaired first) and close after them.
  const webrtc = webRtcComponent(sessions);
  const recordings = options.recordDir === null ? undefined : createRecordings({ dir: options.recordDir, mode: options.recordMode, secret: options.recordingsSecret });
  if (recordings) sessions.addTapFactory(recordings.tapFactory);
  const metrics = metricsComponent(sessionHostMetrics(sessions), { access: options.metricsTokenRequired ? 'admin' : 'public' });
  const components: GatewayComponent[] = [health, metrics, ...(recordings ? [recordings.component] : []), sessionsComponent, fastRtcComponent(sessions), webrtc, telephone, signaling, talkPageComponent(options)];
  // Access tokens, per-client limits, origins (docs/security.md): one check over every route's `access`.
  const security = gatewaySecurity(options, metrics.registry);
  components.push(security.component);
  const http = new HttpServer(components, security.http);
  let url = '';
  let closing: Promise<void> | undefined;

  return {
    options,
    sessions,
    recordings,
    webrtc,
    get url() {
      return url;
    },
    async listen() {
      // A handler whose engine is missing fails here, before the gateway takes a single session.
      await options.handler.check?.(options.handlerOptions);
      for (const component of components) await component.start?.();
      const address = await http.listen(options.port, options.host);
      url = `http://${address.host}:${address.port}`;
      security.warnIfOpen(options.host);
      ready = true;
      return { ...address, url };
    },
    close() {
      closing ??= (async () => {
        ready = false;
        for (const component of [...components].reverse()) await component.close?.();
        await http.close();
      })();
      return closing;
    },
  };
}
