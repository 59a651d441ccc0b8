import WebSocket from 'ws';
import { LOUD_MEAN_SQUARE } from './media-variants.js';
import type { ReplyMeter } from './reply-meter.js';

/** Markers not back within this long are lost (and no longer matched). */
export const MARKER_TIMEOUT_MS = 1000;
/** A client whose socket holds this much unsent data skips frames instead of queueing more. */
const MAX_BUFFERED = 1 << 20;
const FIFO = 256;

/** Called with each marker's round trip and the time it was sent (ms, performance.now). */
export type RttSink = (rttMs: number, sentAt: number) => void;

/** The hold of the current run in this worker (performance.now), set by the worker before each run. */
export const holdWindow = { from: Number.POSITIVE_INFINITY, until: Number.POSITIVE_INFINITY };

export interface SessionTotals {
  framesSent: number;
  framesReceived: number;
  /** Reply frames read during the hold (what the server's CPU time over the hold paid for). */
  framesReceivedInHold: number;
  markersSent: number;
  markersMatched: number;
  /** Markers that did not come back within MARKER_TIMEOUT_MS (or by the end of the drain). */
  markersLost: number;
  /** Loud onsets with no marker outstanding (should stay 0). */
  spuriousOnsets: number;
  /** Frames not sent because the socket's send buffer was full. */
  skippedBackpressure: number;
}

/**
 * One benchmark session on one WebSocket. Every MARKER_PERIOD-th frame sent is a loud tone; a reply
 * frame that turns loud after a quiet one is that marker coming back (markers are matched in order,
 * oldest first). Counting frames cannot match replies to frames: the gateway's jitter buffer conceals,
 * stretches and resamples, so the n-th frame back is not the n-th frame sent; the marker's sound is.
 */
export class LoadSession {
  readonly socket: WebSocket;
  readonly totals: SessionTotals = {
    framesSent: 0,
    framesReceived: 0,
    framesReceivedInHold: 0,
    markersSent: 0,
    markersMatched: 0,
    markersLost: 0,
    spuriousOnsets: 0,
    skippedBackpressure: 0,
  };
  closeCode: number | undefined;
  private readonly pending = new Float64Array(FIFO);
  private head = 0;
  private tail = 0;
  private loud = false;

  constructor(socket: WebSocket, meter: ReplyMeter, onRtt: RttSink) {
    this.socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const meanSquare = meter(data, isBinary);
      if (meanSquare === undefined) return;
      const now = performance.now();
      this.totals.framesReceived++;
      if (now >= holdWindow.from && now < holdWindow.until) this.totals.framesReceivedInHold++;
      const loud = meanSquare > LOUD_MEAN_SQUARE;
      if (loud && !this.loud) {
        this.expire(now);
        if (this.head === this.tail) {
          this.totals.spuriousOnsets++;
        } else {
          const sentAt = this.pending[this.head % FIFO]!;
          this.head++;
          this.totals.markersMatched++;
          onRtt(now - sentAt, sentAt);
        }
      }
      this.loud = loud;
    });
    socket.on('close', (code) => {
      this.closeCode = code;
    });
    socket.on('error', () => {
      // 'close' follows; its code tells what happened.
    });
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one frame; returns the time it was handed to the socket, or undefined when skipped. */
  send(frame: string | Buffer, marker: boolean): number | undefined {
    if (!this.open) return undefined;
    if (this.socket.bufferedAmount > MAX_BUFFERED) {
      this.totals.skippedBackpressure++;
      return undefined;
    }
    const now = performance.now();
    if (marker) {
      if (this.tail - this.head === FIFO) {
        this.head++;
        this.totals.markersLost++;
      }
      this.pending[this.tail % FIFO] = now;
      this.tail++;
      this.totals.markersSent++;
    }
    this.totals.framesSent++;
    this.socket.send(frame);
    return now;
  }

  /** Markers outstanding longer than MARKER_TIMEOUT_MS count as lost; `now = ∞` ends the run. */
  expire(now: number): void {
    while (this.head !== this.tail && now - this.pending[this.head % FIFO]! > MARKER_TIMEOUT_MS) {
      this.head++;
      this.totals.markersLost++;
    }
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
