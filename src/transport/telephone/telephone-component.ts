import type { GatewayComponent, WsRoute } from '../../http/routes.js';
import type { SessionHost } from '../../session/session-host.js';
import { serveConnection } from '../socket-connection.js';
import type { Serializer } from '../wire-events.js';
import { CarrierDetectingSerializer, createCarrierSerializer } from './carrier-detect.js';
import { incomingCallRoute } from './incoming-call-route.js';
import { parsePublicUrl } from './public-url.js';
import { isCarrierSignedUpgrade } from './stream-upgrade-signature.js';
import { telnyxPublicKey } from './telnyx-signature.js';

export interface TelephoneOptions {
  /** `--public-url`: the base Twilio reaches this gateway at; null = from each request. */
  readonly publicUrl: string | null;
  /** `--twilio-auth-token`: when set, `/telephone/incoming` must be signed by Twilio. */
  readonly twilioAuthToken: string | null;
  /** `--telnyx-public-key` (base64 Ed25519): Telnyx webhooks are verified with it. */
  readonly telnyxPublicKey?: string | null;
  /** `--plivo-auth-token`: Plivo webhooks (V3 signatures) are verified with it. */
  readonly plivoAuthToken?: string | null;
}

export const TELEPHONE_PATHS = {
  /** Twilio Media Streams (docs/telephony.md); Telnyx and Plivo are recognised here too, from their `start`. */
  handler: '/telephone/handler',
  twilio: '/telephone/twilio',
  telnyx: '/telephone/telnyx',
  plivo: '/telephone/plivo',
  incoming: '/telephone/incoming',
} as const;

/**
 * Phone calls: carrier media streams as sessions of the one host (same registry, concurrency limit,
 * time limit and pacer as FastRTC sessions), and the Twilio voice webhook answering TwiML.
 *
 * - `WS /telephone/handler`: the carrier is told by its `start` message (Twilio, Telnyx or Plivo).
 * - `WS /telephone/twilio`, `/telephone/telnyx`, `/telephone/plivo`: one carrier only.
 * - `POST /telephone/incoming`: TwiML connecting the call to `wss://PUBLIC/telephone/handler`.
 *
 * Carriers confirm our marks themselves once the caller heard the audio before them, so sessions
 * report a handler's mark as played only on that confirmation.
 */
export function telephoneComponent(host: SessionHost, options: TelephoneOptions): GatewayComponent {
  const publicBase = options.publicUrl === null ? null : parsePublicUrl(options.publicUrl);
  const signature = { publicBase, twilioAuthToken: options.twilioAuthToken, plivoAuthToken: options.plivoAuthToken ?? null };
  const route = (path: string, make: () => Serializer): WsRoute => ({
    path,
    // With access tokens on, a media stream needs its carrier's signature on the upgrade (Twilio, Plivo)
    // or a `talk` token (Telnyx's stream_auth_token); carriers are exempt from per-client limits
    // (docs/security.md#carrier-signatures).
    access: { scope: 'talk', alsoAllow: (req) => isCarrierSignedUpgrade(req, signature), perClientLimits: false },
    // ws's hard cap; messages between maxPayloadBytes and the cap get a coded error instead of 1009.
    maxPayload: host.options.maxPayloadBytes * 4,
    onConnection: (socket, req) => serveConnection(socket, req, host, make(), { carrierConfirmsMarks: true }),
  });
  return {
    name: 'telephone',
    wsRoutes: [
      route(TELEPHONE_PATHS.handler, () => new CarrierDetectingSerializer()),
      route(TELEPHONE_PATHS.twilio, () => createCarrierSerializer('twilio')),
      route(TELEPHONE_PATHS.telnyx, () => createCarrierSerializer('telnyx')),
      route(TELEPHONE_PATHS.plivo, () => createCarrierSerializer('plivo')),
    ],
    httpRoutes: [
      incomingCallRoute({
        path: TELEPHONE_PATHS.incoming,
        streamPath: TELEPHONE_PATHS.handler,
        publicBase,
        twilioAuthToken: options.twilioAuthToken,
        telnyxPublicKey: options.telnyxPublicKey ? telnyxPublicKey(options.telnyxPublicKey) : null,
        plivoAuthToken: options.plivoAuthToken ?? null,
        plivoStreamPath: TELEPHONE_PATHS.plivo,
      }),
    ],
  };
}
