import type { WebSocket } from 'ws';
import type { ChannelLayer, ChannelMessage } from '../channel-layer/channel-layer.js';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';
import { IDLE, onPeerEvent, onRequest, peerOf, type CallState, type PeerEvent } from './call-state.js';
import type { CallEndedEvent, CallStartedEvent } from '../gateway-events.js';
import { parseClientMessage, type ClientMessage, type HangupReason, type ServerMessage } from './signaling-messages.js';

export interface CallConsumerLimits {
  /** Most messages a connection may send per second; more are refused with WG_ERR_RATE_LIMIT. */
  maxMessagesPerSecond: number;
  /** Most messages waiting to be handled on one connection; more are refused with WG_ERR_RATE_LIMIT. */
  maxPendingMessages: number;
  /** A client whose unsent output exceeds this many bytes is closed with WG_ERR_SLOW_CONSUMER. */
  maxBufferedBytes: number;
}

/** Told when a call starts and ends (the gateway's `call-started` / `call-ended` events). */
export interface CallEventSink {
  callStarted(event: CallStartedEvent): void;
  callEnded(event: CallEndedEvent): void;
}

const PEER_EVENTS = new Set(['call_received', 'call_answered', 'ICEcandidate', 'hangup', 'busy']);

function isPeerEvent(m: ChannelMessage): m is ChannelMessage & PeerEvent {
  return PEER_EVENTS.has(m.type) && typeof m['from'] === 'string' && typeof m['data'] === 'object' && m['data'] !== null;
}

/**
 * One `/ws/call/` connection (the seed's CallConsumer). The logged-in name is an exclusive group in the
 * channel layer holding this connection's channel, so a message for NAME is a group send to NAME,
 * wherever NAME is connected. Requests are handled one at a time, in order.
 */
export class CallConsumer {
  private name: string | null = null;
  private state: CallState = IDLE;
  private readonly channel: string;
  private closed = false;
  private pending = 0;
  private chain: Promise<void> = Promise.resolve();
  private windowStart = 0;
  private windowCount = 0;
  private rateErrorSent = false;
  /** The call in progress, once answered: who called whom, since when. */
  private call: { caller: string; callee: string; startedAt: number } | undefined;
  /** Resolves once the connection's presence is cleaned up. */
  readonly done: Promise<void>;

  constructor(
    private readonly socket: WebSocket,
    private readonly layer: ChannelLayer,
    private readonly limits: CallConsumerLimits,
    /** The one name this connection's access token lets it log in as (`name` claim); undefined = any. */
    private readonly allowedName?: string,
    private readonly events?: CallEventSink,
    /** A login refused by the token's `name`, for the refusal log (docs/security.md#what-is-logged). */
    private readonly onRefused?: (code: 'WG_ERR_FORBIDDEN', reason: string) => void,
  ) {
    this.channel = layer.newChannel((m) => this.onChannelMessage(m), { onMembershipLost: (group) => this.onNameLost(group) });
    this.send({ type: 'connection', data: { message: 'Connected' } });
    socket.on('message', (data, isBinary) => this.onSocketMessage(isBinary ? null : data.toString()));
    this.done = new Promise((resolve) => socket.once('close', () => void this.cleanup().finally(resolve)));
  }

  get loggedInAs(): string | null {
    return this.name;
  }

  private onSocketMessage(text: string | null): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
      this.rateErrorSent = false;
    }
    if (++this.windowCount > this.limits.maxMessagesPerSecond || this.pending >= this.limits.maxPendingMessages) {
      if (!this.rateErrorSent) this.sendError('WG_ERR_RATE_LIMIT', null, `more than ${this.limits.maxMessagesPerSecond}/s or ${this.limits.maxPendingMessages} waiting; message dropped`);
      this.rateErrorSent = true;
      return;
    }
    this.pending++;
    this.chain = this.chain
      .then(() => this.handle(text))
      .catch((err: unknown) => {
        console.error('wavegate: call signaling request failed:', err);
        this.sendError('WG_ERR_INTERNAL', null);
      })
      .finally(() => void this.pending--);
  }

  private async handle(text: string | null): Promise<void> {
    if (this.closed) return;
    if (text === null) return this.sendError('WG_ERR_MALFORMED_MESSAGE', null, 'binary frames are not part of the call protocol');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return this.sendError(parsed.code, parsed.request, parsed.detail);
    const message = parsed.message;
    if (message.type === 'login') return this.login(message.data.name);
    if (this.name === null) return this.sendError('WG_ERR_NOT_LOGGED_IN', message.type, 'send {"type":"login","data":{"name":NAME}} first');
    await this.request(this.name, message);
  }

  private async login(name: string): Promise<void> {
    if (this.name === name) return this.send({ type: 'logged_in', data: { name } });
    if (this.allowedName !== undefined && name !== this.allowedName) {
      const reason = `the token is for the name ${JSON.stringify(this.allowedName)}`;
      this.onRefused?.('WG_ERR_FORBIDDEN', `login as ${JSON.stringify(name.slice(0, 140))}: ${reason}`);
      return this.sendError('WG_ERR_FORBIDDEN', 'login', reason, name);
    }
    if (this.name !== null) return this.sendError('WG_ERR_ALREADY_LOGGED_IN', 'login', `logged in as ${JSON.stringify(this.name)}`, name);
    const held = await this.layer.groupClaim(name, this.channel);
    if (this.closed) return;
    if (!held) return this.sendError('WG_ERR_NAME_TAKEN', 'login', `${JSON.stringify(name)} is logged in on another connection`, name);
    this.name = name;
    this.send({ type: 'logged_in', data: { name } });
  }

  private async request(me: string, message: Exclude<ClientMessage, { type: 'login' }>): Promise<void> {
    const outcome = onRequest(me, this.state, message);
    if (!outcome.ok) return this.sendError(outcome.code, message.type, outcome.detail);
    const { to } = outcome;
    const before = this.state;
    this.state = outcome.state;
    if (message.type === 'hangup') this.endCall(me, 'hangup');
    const event = this.toPeerEvent(me, message);
    const result = await this.layer.groupSend(to, event);
    // Answered and delivered: the call has started (reported once, on the callee's process).
    if (message.type === 'answer_call' && before.phase === 'ringing' && result.recipients > 0) this.startCall(to, me, true);
    if (result.recipients > 0 || message.type === 'hangup' || this.closed) return;
    // Nobody received it: the peer is not online (or not reachable while Redis is down).
    if (peerOf(this.state) === to && (result.complete || message.type === 'call')) this.state = IDLE;
    if (result.complete) this.sendError('WG_ERR_PEER_OFFLINE', message.type, `${JSON.stringify(to)} is not online`, to);
    else this.sendError('WG_ERR_RELAY_UNAVAILABLE', message.type, `${JSON.stringify(to)} is not on this process and Redis is unreachable`, to);
  }

  private toPeerEvent(me: string, message: Exclude<ClientMessage, { type: 'login' }>): PeerEvent {
    switch (message.type) {
      case 'call':
        return { type: 'call_received', from: me, data: { caller: me, rtcMessage: message.data.rtcMessage } };
      case 'answer_call':
        return { type: 'call_answered', from: me, data: { rtcMessage: message.data.rtcMessage } };
      case 'ICEcandidate':
        return { type: 'ICEcandidate', from: me, data: { rtcMessage: message.data.rtcMessage } };
      case 'hangup':
        return { type: 'hangup', from: me, data: { name: me, reason: 'hangup' } };
    }
  }

  private async onChannelMessage(message: ChannelMessage): Promise<void> {
    if (this.closed || this.name === null || !isPeerEvent(message)) return;
    const event = message as PeerEvent;
    const outcome = onPeerEvent(this.state, event);
    if (event.type === 'call_answered' && this.state.phase === 'calling' && outcome.state.phase === 'in_call') this.startCall(this.name, event.from, false);
    // The peer ended it and reports it; this side only forgets the call.
    if (outcome.state.phase === 'idle') this.call = undefined;
    this.state = outcome.state;
    if (outcome.forward) this.send({ type: event.type, data: event.data } as ServerMessage);
    if (outcome.reply === 'busy') await this.layer.groupSend(event.from, { type: 'busy', from: this.name, data: { name: this.name } });
    if (outcome.reply === 'hangup') await this.hangupPeer(event.from, 'hangup');
  }

  /** Another connection holds our name after Redis came back: this one is logged out. */
  private onNameLost(group: string): void {
    if (this.closed || this.name !== group) return;
    const peer = peerOf(this.state);
    if (peer !== undefined) {
      this.endCall(group, 'logged_out');
      void this.hangupPeer(peer, 'logged_out');
      this.send({ type: 'hangup', data: { name: peer, reason: 'logged_out' } });
    }
    this.name = null;
    this.state = IDLE;
    this.sendError('WG_ERR_NAME_TAKEN', null, `another connection holds ${JSON.stringify(group)} after the relay reconnected; log in again`, group);
  }

  private startCall(caller: string, callee: string, report: boolean): void {
    this.call = { caller, callee, startedAt: Date.now() };
    if (report) this.events?.callStarted({ ...this.call });
  }

  /** This side ends the call it is in (hangup, disconnect, logged out): reported once, here. */
  private endCall(endedBy: string, reason: HangupReason): void {
    const call = this.call;
    this.call = undefined;
    if (call) this.events?.callEnded({ caller: call.caller, callee: call.callee, endedBy, reason, durationMs: Date.now() - call.startedAt });
  }

  private async hangupPeer(peer: string, reason: HangupReason): Promise<void> {
    if (this.name === null) return;
    await this.layer.groupSend(peer, { type: 'hangup', from: this.name, data: { name: this.name, reason } });
  }

  private async cleanup(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const peer = peerOf(this.state);
    if (this.name !== null) this.endCall(this.name, 'disconnected');
    try {
      if (peer !== undefined) await this.hangupPeer(peer, 'disconnected');
    } finally {
      this.state = IDLE;
      await this.layer.closeChannel(this.channel);
    }
  }

  private send(message: ServerMessage): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.socket.close(ERROR_CODES.WG_ERR_SLOW_CONSUMER.closeCode, 'WG_ERR_SLOW_CONSUMER');
      return;
    }
    this.socket.send(JSON.stringify(message));
  }

  private sendError(code: ErrorCode, request: string | null, detail?: string, name?: string): void {
    const spec = ERROR_CODES[code];
    this.send({ type: 'error', code, message: detail ? `${spec.message}: ${detail}` : spec.message, data: { request, ...(name !== undefined && { name }) } });
  }
}
