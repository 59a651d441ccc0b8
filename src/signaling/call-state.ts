import type { ErrorCode } from '../errors/error-codes.js';
import type { ClientMessage, HangupReason, RtcMessage } from './signaling-messages.js';

/**
 * Pure core of one connection's call: what a request is allowed to do, and what a message from a
 * peer does. No I/O: the consumer performs the sends these functions ask for.
 *
 * idle ──call──► calling(B) ──call_answered from B──► in_call(B)
 * idle ──call_received from A──► ringing(A) ──answer_call──► in_call(A)
 * any ──hangup (sent or received), busy, peer gone──► idle
 */
export type CallState = { readonly phase: 'idle' } | { readonly phase: 'calling' | 'ringing' | 'in_call'; readonly peer: string };

export const IDLE: CallState = { phase: 'idle' };

export const peerOf = (state: CallState): string | undefined => (state.phase === 'idle' ? undefined : state.peer);

/** What travels between consumers through the channel layer: the seed's `data` plus the sender's name. */
export type PeerEvent =
  | { type: 'call_received'; from: string; data: { caller: string; rtcMessage: RtcMessage } }
  | { type: 'call_answered'; from: string; data: { rtcMessage: RtcMessage } }
  | { type: 'ICEcandidate'; from: string; data: { rtcMessage: RtcMessage } }
  | { type: 'hangup'; from: string; data: { name: string; reason: HangupReason } }
  | { type: 'busy'; from: string; data: { name: string } };

export interface PeerEventOutcome {
  readonly state: CallState;
  /** Pass the event on to this connection's client. */
  readonly forward: boolean;
  /** Answer the sender: it called someone busy, or it answered a call this side no longer makes. */
  readonly reply?: 'busy' | 'hangup';
}

export function onPeerEvent(state: CallState, event: PeerEvent): PeerEventOutcome {
  const fromPeer = peerOf(state) === event.from;
  switch (event.type) {
    case 'call_received':
      if (state.phase === 'idle') return { state: { phase: 'ringing', peer: event.from }, forward: true };
      // A new offer from the one already ringing or talking to us (renegotiation) goes through.
      if (fromPeer && state.phase !== 'calling') return { state, forward: true };
      return { state, forward: false, reply: 'busy' };
    case 'call_answered':
      if (fromPeer && state.phase === 'calling') return { state: { phase: 'in_call', peer: event.from }, forward: true };
      if (fromPeer && state.phase === 'in_call') return { state, forward: true };
      return { state, forward: false, reply: 'hangup' };
    case 'ICEcandidate':
      return { state, forward: fromPeer };
    case 'hangup':
      return fromPeer ? { state: IDLE, forward: true } : { state, forward: false };
    case 'busy':
      return fromPeer && state.phase === 'calling' ? { state: IDLE, forward: true } : { state, forward: false };
  }
}

export type RequestOutcome =
  | { readonly ok: true; readonly state: CallState; readonly to: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly detail: string };

/** Checks a logged-in client's request against its call state; on success, the state to enter and whom to send to. */
export function onRequest(me: string, state: CallState, message: Exclude<ClientMessage, { type: 'login' }>): RequestOutcome {
  const peer = peerOf(state);
  switch (message.type) {
    case 'call': {
      const callee = message.data.name;
      if (callee === me) return { ok: false, code: 'WG_ERR_MALFORMED_MESSAGE', detail: 'cannot call yourself' };
      if (state.phase !== 'idle') return { ok: false, code: 'WG_ERR_ALREADY_IN_CALL', detail: `${state.phase} ${peer}` };
      return { ok: true, state: { phase: 'calling', peer: callee }, to: callee };
    }
    case 'answer_call': {
      const caller = message.data.caller;
      if (peer !== caller || (state.phase !== 'ringing' && state.phase !== 'in_call')) return notInCall(caller, state);
      return { ok: true, state: { phase: 'in_call', peer: caller }, to: caller };
    }
    case 'ICEcandidate':
      return peer === message.data.user ? { ok: true, state, to: message.data.user } : notInCall(message.data.user, state);
    case 'hangup': {
      const target = message.data.name ?? peer;
      if (peer === undefined || target !== peer) return notInCall(target ?? '(nobody)', state);
      return { ok: true, state: IDLE, to: peer };
    }
  }
}

function notInCall(name: string, state: CallState): RequestOutcome {
  const now = state.phase === 'idle' ? 'idle' : `${state.phase} ${state.peer}`;
  return { ok: false, code: 'WG_ERR_NOT_IN_CALL', detail: `no call with ${JSON.stringify(name)} (${now})` };
}
