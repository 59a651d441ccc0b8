import WebSocket from 'ws';
import { isMediaReply } from './media-variants.js';

/** Called with each matched reply's round trip and the time its frame was sent (ms, performance.now). */
export type RttSink = (rttMs: number, sentAt: number) => void;

/** Send times of the last RING frames; a reply further behind than that (10 s) counts as over-range. */
const RING = 512;
/** A client whose socket holds this much unsent data skips frames instead of queueing more. */
const MAX_BUFFERED = 1 << 20;

export interface SessionTotals {
  sent: number;
  received: number;
  /** Replies older than the ring (≥ 10 s late) or with nothing sent to match. */
  unmatched: number;
  /** Frames not sent because the socket's send buffer was full. */
  skippedBackpressure: number;
}

/**
 * One benchmark session on one WebSocket. Matching is by count: the n-th media message back answers
 * the n-th frame sent. μ-law and resampling change every byte, so markers cannot ride in the payload;
 * with an echo, one 20 ms frame in gives one 20 ms frame out, in order.
 */
export class LoadSession {
  readonly socket: WebSocket;
  private readonly sendTimes = new Float64Array(RING);
  readonly totals: SessionTotals = { sent: 0, received: 0, unmatched: 0, skippedBackpressure: 0 };
  closeCode: number | undefined;

  constructor(socket: WebSocket, onRtt: RttSink) {
    this.socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isMediaReply(data, isBinary)) return;
      const now = performance.now();
      const n = this.totals.received++;
      if (n >= this.totals.sent || n < this.totals.sent - RING) {
        this.totals.unmatched++;
        return;
      }
      const sentAt = this.sendTimes[n % RING]!;
      onRtt(now - sentAt, sentAt);
    });
    socket.on('close', (code) => {
      this.closeCode = code;
    });
    socket.on('error', () => {
      // 'close' follows; the code tells what happened.
    });
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends frame k; returns the time it was handed to the socket, or undefined when skipped. */
  send(frame: string | Buffer): number | undefined {
    if (!this.open) return undefined;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.totals.skippedBackpressure++;
      return undefined;
    }
    const now = performance.now();
    this.sendTimes[this.totals.sent % RING] = now;
    this.totals.sent++;
    this.socket.send(frame);
    return now;
  }

  static open(url: string, startMessage: string, onRtt: RttSink, timeoutMs: number): Promise<LoadSession> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: timeoutMs });
      const session = new LoadSession(socket, onRtt);
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
