import { isRefusal, WebRtcPeer } from '../../clients/webrtc-peer.js';
import type { LoadPeer } from './load-session.js';
import { MarkerMatcher, type RttSink, type SessionTotals } from './marker-matcher.js';
import type { ReplyMeter } from './reply-meter.js';

/** 20 ms of Opus' 48 kHz RTP clock. */
const RTP_TICKS_PER_FRAME = 960;

/**
 * One benchmark session on one WebRTC peer (clients/webrtc-peer.ts, FastRTC's `POST /webrtc/offer`,
 * never trickling: the load generator's offers carry their candidates). Frames are the variant's Opus
 * packets, sent as RTP with the session's own sequence number; every reply RTP payload is metered and
 * matched to the markers as on the WebSocket (MarkerMatcher).
 */
export class WebRtcLoadSession implements LoadPeer {
  readonly #matcher: MarkerMatcher;
  #peer: WebRtcPeer | undefined;
  #seq = 0;
  closeCode: string | undefined;

  private constructor(onRtt: RttSink) {
    this.#matcher = new MarkerMatcher(onRtt);
  }

  static async open(offerUrl: string, id: string, meter: ReplyMeter, onRtt: RttSink, timeoutMs: number): Promise<WebRtcLoadSession> {
    const session = new WebRtcLoadSession(onRtt);
    const result = await WebRtcPeer.open({
      offerUrl,
      id,
      trickle: false,
      openTimeoutMs: timeoutMs,
      iceServers: [],
      onRtp: (payload) => {
        const meanSquare = meter(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), true);
        if (meanSquare !== undefined) session.#matcher.received(meanSquare, performance.now());
      },
      onMessage: () => {},
      onClose: (reason) => {
        session.closeCode = reason;
      },
    });
    if (isRefusal(result)) throw new Error(`refused: ${JSON.stringify(result.refused)}`);
    session.#peer = result;
    return session;
  }

  get totals(): SessionTotals {
    return this.#matcher.totals;
  }

  get open(): boolean {
    return this.#peer !== undefined && !this.#peer.closed;
  }

  send(frame: string | Buffer, marker: boolean): number | undefined {
    if (!this.open || typeof frame === 'string') return undefined;
    const now = performance.now();
    this.#matcher.sent(marker, now);
    this.#peer!.sendRtp(frame, this.#seq, this.#seq * RTP_TICKS_PER_FRAME, this.#seq === 0);
    this.#seq++;
    return now;
  }

  expire(now: number): void {
    this.#matcher.expire(now);
  }

  /** Closes the peer; bounded by `timeoutMs` (werift's close is local: it does not wait for the server). */
  async close(timeoutMs: number): Promise<void> {
    const peer = this.#peer;
    if (!peer) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([peer.close(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }
}
