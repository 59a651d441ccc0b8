import type { PayloadEncoder } from '../src/codecs/codec.js';
import { createEncoder } from '../src/codecs/codec-factory.js';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { OpusRtpPacketizer } from '../src/transport/webrtc/opus-rtp-packetizer.js';
import { RtpTimestampUnwrapper } from '../src/transport/webrtc/rtp-timestamp-unwrapper.js';
import { parseServerText, type ServerEvent } from './client-wire.js';
import { isRefusal, WebRtcPeer, type WebRtcPeerOptions } from './webrtc-peer.js';

/** Opus' RTP clock runs at 48 kHz whatever rate the audio was encoded at (RFC 7587 §4.1). */
const RTP_CLOCK_RATE = 48_000;

export interface WebRtcConnectionOptions {
  /** http:// or https:// URL of the gateway's offer endpoint, e.g. http://127.0.0.1:8000/webrtc/offer. */
  url: string;
  /** The session id (FastRTC's webrtc_id). */
  id: string;
  /** What this client sends: Opus (any Opus rate, mono). */
  input: MediaFormat;
  /** Frame duration, ms: one Opus packet per frame. */
  frameMs: 10 | 20 | 40 | 60;
  openTimeoutMs: number;
  /** Post ICE candidates while the offer is in flight (FastRTC's client) or none (its Next.js demo). */
  trickle: boolean;
  iceServers: WebRtcPeerOptions['iceServers'];
  onEvent: (event: ServerEvent) => void;
  /** The peer is gone (no close code on WebRTC: `code` is undefined). */
  onClose: (code: number | undefined, reason: string) => void;
}

/**
 * One WebRTC session with a wavegate (or FastRTC) server, with the same surface as WavegateConnection:
 * encoded Opus frames go out as RTP numbered as the gateway numbers its own (OpusRtpPacketizer, on the
 * stream's time), reply RTP comes back as `media` events carrying the sequence number and the
 * timestamp (ms since the first packet, RtpTimestampUnwrapper),
 * so the caller's jitter buffer orders by them; data channel messages arrive classified as the
 * WebSocket's text frames are. FastRTC's WebRTC has no marks and no `stop` (closing the peer ends the
 * session), so `supportsMarks` is false and sendMark/sendStop do nothing.
 */
export class WebRtcConnection {
  readonly supportsMarks = false;
  readonly #peer: WebRtcPeer | undefined;
  readonly #encoder: PayloadEncoder;
  readonly #options: WebRtcConnectionOptions;
  readonly #packetizer = new OpusRtpPacketizer();
  readonly #unwrapper = new RtpTimestampUnwrapper(RTP_CLOCK_RATE);
  #closed = false;

  private constructor(peer: WebRtcPeer | undefined, options: WebRtcConnectionOptions) {
    this.#peer = peer;
    this.#options = options;
    this.#encoder = createEncoder(options.input, { frameMs: options.frameMs });
  }

  /**
   * Connects (offer, answer, `connected`). A refusal (concurrency limit…) resolves too: the connection
   * then reports it as a `refused` event and closes right after, as a WebSocket session does.
   */
  static async open(options: WebRtcConnectionOptions): Promise<WebRtcConnection> {
    if (options.input.encoding !== 'audio/opus') throw new TypeError(`WebRTC sends Opus, got input encoding ${JSON.stringify(options.input.encoding)}`);
    let connection: WebRtcConnection | undefined;
    const result = await WebRtcPeer.open({
      offerUrl: options.url,
      id: options.id,
      trickle: options.trickle,
      openTimeoutMs: options.openTimeoutMs,
      iceServers: options.iceServers,
      onRtp: (payload, seq, timestamp) => {
        if (connection) connection.#media(payload, seq, timestamp);
      },
      onMessage: (text) => {
        if (connection && !connection.#closed) options.onEvent(parseServerText(text));
      },
      onClose: (reason) => {
        if (connection) connection.#ended(reason);
      },
    });
    if (isRefusal(result)) {
      connection = new WebRtcConnection(undefined, options);
      const refusal = connection;
      setImmediate(() => {
        options.onEvent(parseServerText(JSON.stringify(result.refused)));
        refusal.#ended('refused');
      });
      return connection;
    }
    connection = new WebRtcConnection(result, options);
    return connection;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Encodes one frame of PCM16 at the input rate and sends it as the next RTP packet (`timestampMs`: its place in the stream). */
  sendAudio(pcm: Int16Array, _seq: number, timestampMs: number): void {
    if (this.#closed || !this.#peer) return;
    const payload = this.#encoder.encode(pcm);
    const rtp = this.#packetizer.next(payload, timestampMs);
    this.#peer.sendRtp(payload, rtp.sequenceNumber, rtp.timestamp, rtp.marker);
  }

  sendMark(_name: string): void {}

  sendStop(): void {}

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#encoder.close();
    await this.#peer?.close();
  }

  #media(payload: Uint8Array, seq: number, timestamp: number): void {
    if (this.#closed) return;
    this.#options.onEvent({ type: 'media', payload, seq, timestampMs: this.#unwrapper.toMs(timestamp) });
  }

  #ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#encoder.close();
    this.#options.onClose(undefined, reason);
  }
}
