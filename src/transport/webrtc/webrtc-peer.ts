import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS, type RTCDataChannel, type RTCRtpTransceiver } from 'werift';
import type { SessionRequester } from '../../auth/session-requester.js';
import type { ErrorCode } from '../../errors/error-codes.js';
import type { CloseReason } from '../../handler/handler.js';
import type { Session } from '../../session/session.js';
import type { SessionHost } from '../../session/session-host.js';
import type { SessionSink } from '../../media-path/session-sink.js';
import type { IceServer } from '../../signaling/ice-servers.js';
import type { OutboundMessage } from '../wire-events.js';
import { dataChannelMessage, FETCH_OUTPUT, receivedLog } from './data-channel-messages.js';
import { offerFailure, type OfferFailure } from './offer-failure.js';
import type { CandidateInit } from './offer-body.js';
import { OpusRtpPacketizer } from './opus-rtp-packetizer.js';
import { RtpTimestampUnwrapper } from './rtp-timestamp-unwrapper.js';
import { SeededLoss } from './seeded-loss.js';

const OPUS_FORMAT = { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 } as const;
/** Data channel messages queued until the channel opens; later ones are dropped. */
const MAX_QUEUED_TEXT = 64;
/** Longest an `addIceCandidate` may take (an mDNS name may never resolve offline). */
const ADD_CANDIDATE_TIMEOUT_MS = 2000;

interface RtcpReport {
  readonly ssrc: number;
  readonly fractionLost: number;
}

export interface PeerContext {
  readonly host: SessionHost;
  readonly iceServers: readonly IceServer[];
  /** Called once when the peer has ended (its session is closed or it never opened one). */
  readonly onEnded: (peer: WebRtcPeer) => void;
}

export type NegotiateResult = { ok: true; sdp: string } | { ok: false; failure: OfferFailure };

/**
 * One browser's peer connection (werift) and the session behind it (docs/webrtc.md). Inbound Opus
 * RTP goes to the session's jitter buffer by sequence number and timestamp; the session's paced Opus
 * frames go out as RTP; everything else travels on the data channel `text` as FastRTC JSON. Ends once,
 * whatever ends it, and the session's handler gets its `shutdown` once.
 */
export class WebRtcPeer {
  readonly id: string;
  session: Session | undefined;
  readonly #ctx: PeerContext;
  readonly #pc: RTCPeerConnection;
  readonly #transceiver: RTCRtpTransceiver;
  readonly #packetizer = new OpusRtpPacketizer();
  readonly #timestamps = new RtpTimestampUnwrapper(48_000);
  readonly #loss: SeededLoss;
  #channel: RTCDataChannel | undefined;
  #queuedText: string[] = [];
  #connected = false;
  #ended = false;
  #connectTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #remoteReady: (ok: boolean) => void = () => {};
  readonly #remote = new Promise<boolean>((resolve) => (this.#remoteReady = resolve));
  #closed: Promise<void> | undefined;
  /** The client's latest reported loss of our audio, percent (RTCP receiver reports). */
  remoteLossPercent = 0;
  /** Inbound RTP packets (before fault injection) and those the fault injection dropped. */
  readonly rtp = { received: 0, droppedByInjection: 0, empty: 0, sent: 0 };

  constructor(id: string, ctx: PeerContext) {
    this.id = id;
    this.#ctx = ctx;
    const o = ctx.host.options;
    this.#loss = new SeededLoss(o.webrtcInboundLossPercent, o.webrtcLossSeed);
    this.#pc = new RTCPeerConnection({
      iceServers: ctx.iceServers.map((s) => ({ urls: [...s.urls], ...(s.username !== undefined && { username: s.username, credential: s.credential }) })),
      bundlePolicy: 'max-bundle', // one transport, one socket per address: closed peers leak none
      codecs: { audio: [useOPUS({ parameters: 'minptime=10;useinbandfec=1' })] },
      ...(o.webrtcPortRange && { icePortRange: [o.webrtcPortRange[0], o.webrtcPortRange[1]] }),
      ...(o.webrtcAnnouncedAddresses.length > 0 && { iceAdditionalHostAddresses: [...o.webrtcAnnouncedAddresses] }),
    });
    this.#transceiver = this.#pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
    this.#transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => this.#onRtp(rtp));
    });
    // The browser's receiver reports say how much of our audio it loses: Opus spends in-band FEC on it.
    this.#transceiver.sender.onRtcp.subscribe((packet) => this.#onRtcp(packet as unknown as { reports?: readonly RtcpReport[] }));
    this.#pc.onDataChannel.subscribe((channel) => this.#onDataChannel(channel));
    this.#pc.connectionStateChange.subscribe((state) => this.#onConnectionState(state));
  }

  get connected(): boolean {
    return this.#connected;
  }

  get ended(): boolean {
    return this.#ended;
  }

  get connectionState(): string {
    return this.#pc.connectionState;
  }

  /** Inbound packets dropped by `webrtcInboundLossPercent`. */
  get injectedLosses(): number {
    return this.#loss.dropped;
  }

  /** Offer → session (admission first) → answer with the server's gathered candidates. */
  async negotiate(sdp: string, room?: string, requester?: SessionRequester): Promise<NegotiateResult> {
    const refuse = (code: ErrorCode, detail?: string, extra: { limit?: number } = {}): NegotiateResult => {
      this.#remoteReady(false);
      this.#finish();
      return { ok: false, failure: offerFailure(code, detail, extra) };
    };
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp });
    } catch (err) {
      return refuse('WG_ERR_INVALID_SDP', (err as Error).message);
    }
    if (this.#transceiver.mid === null || this.#transceiver.codecs.length === 0) return refuse('WG_ERR_NO_AUDIO', 'the audio section offers no Opus/48000/2 the server can use');
    if (this.#ended) return refuse('WG_ERR_SHUTTING_DOWN');
    const opened = await this.#ctx.host.open({
      id: this.id,
      carrier: 'webrtc',
      inputFormat: OPUS_FORMAT,
      outputFormat: OPUS_FORMAT,
      phone: undefined,
      carrierConfirmsMarks: false,
      sink: this.#sink(),
      room,
      requester,
    });
    if (!opened.ok) return refuse(opened.code, opened.code === 'WG_ERR_CONCURRENCY_LIMIT' ? undefined : opened.message, opened.limit !== undefined ? { limit: opened.limit } : {});
    const session = opened.session;
    if (this.#ended) {
      // Ended while the cluster directory admitted it (server shutdown).
      void session.close('server_shutdown');
      return refuse('WG_ERR_SHUTTING_DOWN');
    }
    this.session = session;
    session.signal.addEventListener('abort', () => this.#finish(), { once: true });
    session.subscribeOutputs(() => this.#sendText(FETCH_OUTPUT));
    const { webrtcConnectTimeoutS } = this.#ctx.host.options;
    this.#connectTimer = setTimeout(() => {
      if (!this.#connected) this.end('idle_timeout', { code: 'WG_ERR_CONNECT_TIMEOUT', message: `not connected within ${webrtcConnectTimeoutS} s` });
    }, webrtcConnectTimeoutS * 1000);
    this.#connectTimer.unref();
    // The server answers `a=setup:active` (werift's choice; RFC 8842 §5.2): it starts the DTLS handshake,
    // so a failed handshake is seen here at once and the session ends (docs/webrtc.md#stack).
    try {
      await this.#pc.setLocalDescription(await this.#pc.createAnswer());
      this.#remoteReady(true);
      await this.#gathered(this.#ctx.host.options.webrtcGatherTimeoutMs);
    } catch (err) {
      this.end('protocol_error', { code: 'WG_ERR_INVALID_SDP', message: (err as Error).message });
      return { ok: false, failure: offerFailure('WG_ERR_INVALID_SDP', (err as Error).message) };
    }
    const answer = this.#pc.localDescription;
    if (this.#ended || !answer) return { ok: false, failure: offerFailure('WG_ERR_CONNECTION_CLOSED', 'the peer ended while gathering') };
    if (!/^a=candidate:/m.test(answer.sdp)) {
      this.end('protocol_error', { code: 'WG_ERR_ICE_GATHERING', message: 'no local candidate' });
      return { ok: false, failure: offerFailure('WG_ERR_ICE_GATHERING', `none within ${this.#ctx.host.options.webrtcGatherTimeoutMs} ms`) };
    }
    return { ok: true, sdp: answer.sdp };
  }

  /** A trickled candidate from the client; waits for the offer to be applied. Resolves to a failure or undefined. */
  async addCandidate(init: CandidateInit): Promise<OfferFailure | undefined> {
    if (!(await this.#remote) || this.#ended) return offerFailure('WG_ERR_CONNECTION_CLOSED', this.id);
    if (init.candidate === '') return undefined; // end of candidates: nothing to do
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.#pc.addIceCandidate({ ...init, sdpMid: init.sdpMid ?? undefined, sdpMLineIndex: init.sdpMLineIndex ?? undefined } as never),
        new Promise((resolve) => (timer = setTimeout(resolve, ADD_CANDIDATE_TIMEOUT_MS))),
      ]);
      return undefined;
    } catch (err) {
      return offerFailure('WG_ERR_INVALID_CANDIDATE', (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the peer: its session closes (handler shutdown first), then the peer connection. */
  end(reason: CloseReason, error?: { code: ErrorCode; message: string }): void {
    if (this.session) void this.session.close(reason, error);
    else {
      this.#remoteReady(false);
      this.#finish();
    }
  }

  /** Resolves once the peer connection (and its sockets) are closed. */
  closed(): Promise<void> {
    return this.#closed ?? Promise.resolve();
  }

  #sink(): SessionSink {
    return {
      send: (message: OutboundMessage) => {
        if (message.type === 'media') return this.#sendMedia(message.payload);
        const text = dataChannelMessage(message);
        if (text !== undefined) this.#sendText(text);
        return true;
      },
      bufferedAmount: 0, // media is UDP: nothing queues in a socket (the data channel has its own bound)
      close: () => this.#finish(),
    };
  }

  #sendMedia(payload: Uint8Array): boolean {
    if (!this.#connected || this.#ended) return false;
    const f = this.#packetizer.next(payload, this.#ctx.host.now());
    // ssrc and payload type are set by the sender; the payload is copied (the pipeline reuses its buffers).
    const packet = new RtpPacket(new RtpHeader({ sequenceNumber: f.sequenceNumber, timestamp: f.timestamp, marker: f.marker }), Buffer.from(payload));
    this.rtp.sent++;
    this.#transceiver.sender.sendRtp(packet).catch(() => {});
    return true;
  }

  #sendText(text: string): void {
    const channel = this.#channel;
    if (channel && channel.readyState === 'open') {
      sendSafely(channel, text);
      return;
    }
    if (!this.#ended && this.#queuedText.length < MAX_QUEUED_TEXT) this.#queuedText.push(text);
  }

  #onRtp(rtp: RtpPacket): void {
    const session = this.session;
    if (!session || this.#ended) return;
    this.rtp.received++;
    if (rtp.payload.length === 0) {
      this.rtp.empty++; // padding-only packets (bandwidth probes) carry no audio
      return;
    }
    if (this.#loss.drop()) {
      this.rtp.droppedByInjection++;
      return;
    }
    const timestamp = this.#timestamps.toMs(rtp.header.timestamp);
    session.onInbound({ type: 'media', payload: rtp.payload, seq: rtp.header.sequenceNumber, timestamp }, true);
  }

  /** RTCP SR/RR report blocks about our stream (RFC 3550 §6.4.1): fraction lost, 8-bit fixed point. */
  #onRtcp(packet: { reports?: readonly RtcpReport[] }): void {
    const ssrc = this.#transceiver.sender.ssrc;
    for (const report of packet.reports ?? []) {
      if (report.ssrc !== ssrc || !this.session) continue;
      const percent = Math.min(100, Math.max(0, Math.round((report.fractionLost * 100) / 256)));
      this.remoteLossPercent = percent;
      this.session.setRemoteLossPercent(percent);
    }
  }

  #onDataChannel(channel: RTCDataChannel): void {
    if (this.#channel) return; // FastRTC opens one channel, `text`
    this.#channel = channel;
    const flush = () => {
      const queued = this.#queuedText;
      this.#queuedText = [];
      for (const text of queued) sendSafely(channel, text);
    };
    if (channel.readyState === 'open') flush();
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') flush();
      if (state === 'closed') this.end('socket_closed');
    });
    channel.onMessage.subscribe((data) => {
      if (channel.readyState !== 'open') return;
      // `{"type":"room","action":…}`: a room control (docs/rooms.md); everything else is acknowledged as FastRTC does.
      const room = typeof data === 'string' ? roomControl(data) : undefined;
      if (room !== undefined) return this.session?.onInbound({ type: 'room', message: room }, false);
      sendSafely(channel, receivedLog(typeof data === 'string' ? data : `${data.length} bytes`));
    });
  }

  #onConnectionState(state: RTCPeerConnection['connectionState']): void {
    if (state === 'connected') {
      this.#connected = true;
      // Idle time counts from here: setting up ICE and DTLS is not the client being idle.
      if (this.session) this.session.lastActivity = this.#ctx.host.now();
      clearTimeout(this.#connectTimer);
      clearTimeout(this.#graceTimer);
      this.#graceTimer = undefined;
    } else if (state === 'disconnected') {
      if (this.#graceTimer) return;
      this.#graceTimer = setTimeout(() => this.end('socket_closed'), this.#ctx.host.options.webrtcDisconnectedGraceS * 1000);
      this.#graceTimer.unref();
    } else if (state === 'failed' || state === 'closed') {
      this.end('socket_closed');
    }
  }

  async #gathered(timeoutMs: number): Promise<void> {
    if (this.#pc.iceGatheringState === 'complete') return;
    let timer: NodeJS.Timeout | undefined;
    let unsubscribe: (() => void) | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      unsubscribe = this.#pc.iceGatheringStateChange.subscribe((state) => {
        if (state === 'complete') resolve();
      }).unSubscribe;
    });
    clearTimeout(timer);
    unsubscribe?.();
  }

  /** Once: timers stopped, the peer connection closed, the component told. */
  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#graceTimer);
    this.#queuedText = [];
    const pc = this.#pc;
    // A final error or end_stream just sent on the data channel gets a moment to leave.
    const wait = this.#channel?.readyState === 'open' ? 50 : 0;
    this.#closed = new Promise<void>((resolve) => setTimeout(resolve, wait)).then(() => pc.close()).catch(() => {});
    this.#ctx.onEnded(this);
  }
}

/** A channel closing under our feet (SCTP abort) must not throw into werift's event loop. */
function sendSafely(channel: RTCDataChannel, text: string): void {
  try {
    channel.send(text);
  } catch {
    // the channel closed: its stateChanged('closed') ends the peer
  }
}

/** A data channel text that is a room control message, or undefined. */
function roomControl(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{') || !text.includes('"room"')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && (value as { type?: unknown }).type === 'room') return value as Record<string, unknown>;
  } catch {
    // not JSON: acknowledged like any other text
  }
  return undefined;
}
