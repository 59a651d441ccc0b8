import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayComponent } from '../../http/routes.js';
import type { SessionHost } from '../../session/session-host.js';
import { iceServersForPage } from '../../signaling/ice-servers.js';
import { HeldCandidates } from './held-candidates.js';
import { parseOfferBody, type CandidateInit } from './offer-body.js';
import { offerFailure, offerFailureFromError, sendJson200, type OfferFailure } from './offer-failure.js';
import { answerPreflight, corsHeaders } from './offer-cors.js';
import { readOfferBody } from './read-offer-body.js';
import { WebRtcPeer } from './webrtc-peer.js';
import { requestGrant } from '../../auth/request-grant.js';
import { refuseRequest } from '../../http/refuse-request.js';
import { sessionRequester, type SessionRequester } from '../../auth/session-requester.js';
import { allowsSession, type AccessGrant } from '../../auth/token-claims.js';
import { sendError } from '../../http/respond.js';
import { requestClient, type RequestClient } from '../../limits/request-client.js';

/** Largest `/webrtc/offer` body (an SDP offer is a few kB). */
export const MAX_OFFER_BODY_BYTES = 64 * 1024;
/** Candidates held for offers that have not arrived: per id, ids, and for how long. */
export const CANDIDATE_HOLD = { perId: 32, maxIds: 256, holdMs: 10_000 } as const;
/** Ids of recently ended peers, remembered to answer late candidates with `connection_closed`. */
const RECENT_IDS = { max: 1024, ms: 60_000 } as const;

interface HeldRequest {
  readonly candidate: CandidateInit;
  readonly answer: (failure: OfferFailure | undefined) => void;
}

export interface WebRtcComponent extends GatewayComponent {
  /** Live peers by webrtc_id (negotiating or connected). */
  readonly peers: ReadonlyMap<string, WebRtcPeer>;
  /** Ids with candidates held for offers that have not arrived yet. */
  readonly heldIds: number;
  /** Candidates held for `id`. */
  heldFor(id: string): number;
  /** A candidate forwarded by another node (docs/scale-out.md#routing): the answer body, or undefined when no peer `id` is here. */
  addLocalCandidate(id: string, candidate: CandidateInit): Promise<unknown> | undefined;
}

/**
 * FastRTC's `POST /webrtc/offer` (docs/webrtc.md#protocol): offers open a peer connection and a
 * session, trickled candidates reach their peer (or wait for its offer), refusals are HTTP 200
 * `{"status":"failed","meta":{"error","code",…}}`.
 */
export function webRtcComponent(host: SessionHost): WebRtcComponent {
  const peers = new Map<string, WebRtcPeer>();
  const recent = new Map<string, number>();
  const held = new HeldCandidates<HeldRequest>(CANDIDATE_HOLD);
  // What ends with a peer: its token-expiry timer, its client's session slot (docs/security.md).
  const cleanups = new Map<WebRtcPeer, Array<() => void>>();
  const onPeerEnd = (peer: WebRtcPeer, cleanup: () => void) => cleanups.set(peer, [...(cleanups.get(peer) ?? []), cleanup]);
  let holdTimer: NodeJS.Timeout | undefined;
  let closing = false;
  const { options } = host;

  const remember = (id: string) => {
    const now = host.now();
    recent.set(id, now);
    for (const [key, at] of recent) {
      if (recent.size <= RECENT_IDS.max && now - at < RECENT_IDS.ms) break;
      recent.delete(key);
    }
  };

  const scheduleExpiry = () => {
    clearTimeout(holdTimer);
    const next = held.nextExpiry();
    if (next === undefined) return;
    holdTimer = setTimeout(() => {
      for (const request of held.expire(host.now())) request.answer(offerFailure('WG_ERR_UNKNOWN_CONNECTION', `no offer within ${CANDIDATE_HOLD.holdMs / 1000} s`));
      scheduleExpiry();
    }, Math.max(0, next - host.now()) + 5);
    holdTimer.unref();
  };

  const context = {
    host,
    get iceServers() {
      return iceServersForPage(options.iceServers, options.turnSecret, options.turnCredentialTtlS, Date.now());
    },
    onEnded: (peer: WebRtcPeer) => {
      for (const cleanup of cleanups.get(peer) ?? []) cleanup();
      cleanups.delete(peer);
      if (peers.get(peer.id) === peer) peers.delete(peer.id);
      remember(peer.id);
    },
  };

  // Candidates held here whose offer may reach another node: looked up in the cluster's directory every
  // 200 ms while held, and forwarded once a node holds the peer (docs/scale-out.md#routing).
  const watching = new Set<string>();
  const watchRemote = (id: string) => {
    if (watching.has(id)) return;
    watching.add(id);
    const deadline = host.now() + CANDIDATE_HOLD.holdMs;
    const look = async (): Promise<void> => {
      if (closing || peers.has(id) || held.countFor(id) === 0 || host.now() > deadline) return void watching.delete(id);
      if ((await host.remote?.ownerUrl(id)) === undefined) return void setTimeout(() => void look(), 200).unref();
      watching.delete(id);
      for (const request of held.take(id)) {
        const remote = await host.remote!.addCandidate(id, request.candidate);
        request.answer(remote.found ? (remote.answer as OfferFailure | undefined) : offerFailure('WG_ERR_CONNECTION_CLOSED', `webrtc_id ${JSON.stringify(id)}`));
      }
    };
    setTimeout(() => void look(), 200).unref();
  };

  const offer = async (res: ServerResponse, id: string, sdp: string, grant: AccessGrant | undefined, client: RequestClient | undefined, room: string | undefined, requester: SessionRequester) => {
    if (closing) return sendJson200(res, offerFailure('WG_ERR_SHUTTING_DOWN'));
    if (peers.has(id) || host.registry.get(id)) {
      client?.refused?.('WG_ERR_DUPLICATE_SESSION', `webrtc_id ${JSON.stringify(id)} is already open`); // the refusal log (docs/security.md)
      return sendJson200(res, offerFailure('WG_ERR_DUPLICATE_SESSION', `webrtc_id ${JSON.stringify(id)}`));
    }
    // A peer holds one of its client's session slots (`--client-sessions`) until it ends.
    const hold = client ? await client.holdSession() : undefined;
    if (hold && !hold.ok) return sendJson200(res, offerFailure(hold.code, hold.detail));
    if (closing || peers.has(id) || host.registry.get(id)) {
      if (hold?.ok) hold.release();
      return sendJson200(res, offerFailure(closing ? 'WG_ERR_SHUTTING_DOWN' : 'WG_ERR_DUPLICATE_SESSION', `webrtc_id ${JSON.stringify(id)}`));
    }
    recent.delete(id);
    const peer = new WebRtcPeer(id, context);
    if (hold?.ok) onPeerEnd(peer, hold.release);
    peers.set(id, peer);
    const waiting = held.take(id);
    // Candidates that came first are applied as soon as the offer is (addCandidate waits for it).
    for (const request of waiting) void peer.addCandidate(request.candidate).then(request.answer);
    scheduleExpiry();
    const result = await peer.negotiate(sdp, room, requester);
    if (!result.ok) return sendJson200(res, result.failure);
    // `--enforce-exp-live`: the peer ends when the token that opened it expires (docs/security.md).
    if (grant !== undefined && options.enforceExpLive) {
      const timer = setTimeout(() => peer.end('protocol_error', { code: 'WG_ERR_UNAUTHORIZED', message: 'access token expired' }), Math.max(0, Math.min(grant.expiresAtMs - Date.now(), 2 ** 31 - 1)));
      timer.unref();
      onPeerEnd(peer, () => clearTimeout(timer));
    }
    sendJson200(res, { sdp: result.sdp, type: 'answer' });
  };

  const candidate = async (res: ServerResponse, id: string, init: CandidateInit) => {
    const peer = peers.get(id);
    if (peer) {
      const failure = await peer.addCandidate(init);
      return sendJson200(res, failure ?? { status: 'success' });
    }
    if (closing || recent.has(id)) return sendJson200(res, offerFailure('WG_ERR_CONNECTION_CLOSED', `webrtc_id ${JSON.stringify(id)}`));
    // Another node of the cluster may hold the peer (docs/scale-out.md#routing).
    const remote = host.remote ? await host.remote.addCandidate(id, init) : { found: false as const };
    if (remote.found) return sendJson200(res, remote.answer as Record<string, unknown>);
    if (peers.has(id)) return candidate(res, id, init); // its offer arrived here meanwhile
    if (host.remote) watchRemote(id);
    // The offer may still be in flight: hold the candidate (and this request) until it comes.
    const result = held.hold(id, { candidate: init, answer: (failure) => sendJson200(res, failure ?? { status: 'success' }) }, host.now());
    if (result !== 'held') {
      const detail = result === 'too_many_ids' ? `${CANDIDATE_HOLD.maxIds} ids waiting for their offers` : `${CANDIDATE_HOLD.perId} candidates for ${JSON.stringify(id)}`;
      return sendJson200(res, offerFailure('WG_ERR_CANDIDATE_HOLD_FULL', detail));
    }
    scheduleExpiry();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'OPTIONS') return answerPreflight(req, res, options.webrtcAllowedOrigins);
    const cors = corsHeaders(req, options.webrtcAllowedOrigins);
    for (const [name, value] of Object.entries(cors ?? {})) res.setHeader(name, value);
    const body = await readOfferBody(req, res, MAX_OFFER_BODY_BYTES);
    if (body === undefined) return;
    // The token's `sub` is checked on the id first, whatever else the body holds (docs/security.md).
    const id = body.webrtc_id;
    if (typeof id === 'string' && !allowsSession(requestGrant(req), id)) return refuseRequest(req, res, 'WG_ERR_FORBIDDEN', `the token is for another session than ${JSON.stringify(id)}`);
    let request;
    try {
      request = parseOfferBody(body);
    } catch (err) {
      return sendJson200(res, offerFailureFromError(err));
    }
    if (request.kind === 'offer') await offer(res, request.id, request.sdp, requestGrant(req), requestClient(req), request.room, sessionRequester(req));
    else await candidate(res, request.id, request.candidate);
  };

  return {
    name: 'webrtc',
    peers,
    get heldIds() {
      return held.size;
    },
    heldFor: (id: string) => held.countFor(id),
    addLocalCandidate: (id: string, init: CandidateInit) => peers.get(id)?.addCandidate(init).then((failure) => failure ?? { status: 'success' }),
    httpRoutes: [{ method: ['POST', 'OPTIONS'], path: '/webrtc/offer', access: 'talk', handle, cors: (req) => corsHeaders(req, options.webrtcAllowedOrigins) }],
    async close() {
      closing = true;
      clearTimeout(holdTimer);
      for (const request of held.drain()) request.answer(offerFailure('WG_ERR_SHUTTING_DOWN'));
      const open = [...peers.values()];
      for (const peer of open) peer.end('server_shutdown');
      await Promise.all(open.map((peer) => (peer.session ? peer.session.close('server_shutdown') : undefined)));
      await Promise.all(open.map((peer) => peer.closed()));
    },
  };
}
