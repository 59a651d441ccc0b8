import WebSocket from 'ws';
import { MarkerMatcher, type RttSink, type SessionTotals } from './marker-matcher.js';
import type { ReplyMeter } from './reply-meter.js';

export { MARKER_TIMEOUT_MS, type RttSink, type SessionTotals } from './marker-matcher.js';

/** A client whose socket holds this much unsent data skips frames instead of queueing more. */
const MAX_BUFFERED = 1 << 20;

/** What the load worker drives: one session on any transport. */
export interface LoadPeer {
  readonly totals: SessionTotals;
  /** Why the session ended early: a WebSocket close code, or the WebRTC peer's reason. */
  readonly closeCode: number | string | undefined;
  readonly open: boolean;
  /** Sends one frame; returns the time it was handed to the transport, or undefined when skipped. */
  send(frame: string | Buffer, marker: boolean): number | undefined;
  expire(now: number): void;
  close(timeoutMs: number): Promise<void>;
}

/** One benchmark session on one WebSocket (markers matched by MarkerMatcher). */
export class LoadSession implements LoadPeer {
  readonly socket: WebSocket;
  readonly #matcher: MarkerMatcher;
  closeCode: number | undefined;

  constructor(socket: WebSocket, meter: ReplyMeter, onRtt: RttSink) {
    this.socket = socket;
    this.#matcher = new MarkerMatcher(onRtt);
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const meanSquare = meter(data, isBinary);
      if (meanSquare !== undefined) this.#matcher.received(meanSquare, performance.now());
    });
    socket.on('close', (code) => {
      this.closeCode = code;
    });
    socket.on('error', () => {
      // 'close' follows; its code tells what happened.
    });
  }

  get totals(): SessionTotals {
    return this.#matcher.totals;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(frame: string | Buffer, marker: boolean): number | undefined {
    if (!this.open) return undefined;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.#matcher.totals.skippedBackpressure++;
      return undefined;
    }
    const now = performance.now();
    this.#matcher.sent(marker, now);
    this.socket.send(frame);
    return now;
  }

  expire(now: number): void {
    this.#matcher.expire(now);
  }

  static open(url: string, startMessage: string, meter: ReplyMeter, onRtt: RttSink, timeoutMs: number): Promise<LoadSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const session = new LoadSession(socket, meter, onRtt);
      socket.once('open', () => {
        socket.send(startMessage);
        resolve(session);
      });
      socket.once('error', reject);
      socket.once('close', (code) => reject(new Error(`closed with ${code} before opening`)));
    });
  }

  /** FastRTC's stop, then a close handshake bounded by `timeoutMs` (terminate after). */
  close(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.open) {
        this.socket.send('{"event":"stop"}');
        this.socket.close(1000);
      } else if (this.socket.readyState === WebSocket.CONNECTING) {
        this.socket.terminate();
      }
    });
  }
}
