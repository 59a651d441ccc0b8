import { LOUD_MEAN_SQUARE } from './media-variants.js';

/** Markers not back within this long are lost (and no longer matched). */
export const MARKER_TIMEOUT_MS = 1000;
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
 * Matches one session's replies to its markers, whatever carries them (WebSocket or WebRTC). Every
 * MARKER_PERIOD-th frame sent is a loud tone; a reply frame that turns loud after a quiet one is that
 * marker coming back (markers are matched in order, oldest first). Counting frames cannot match replies
 * to frames: the gateway's jitter buffer conceals, stretches and resamples, so the n-th frame back is
 * not the n-th frame sent; the marker's sound is. Pure: times passed in.
 */
export class MarkerMatcher {
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
  readonly #onRtt: RttSink;
  readonly #pending = new Float64Array(FIFO);
  #head = 0;
  #tail = 0;
  #loud = false;

  constructor(onRtt: RttSink) {
    this.#onRtt = onRtt;
  }

  /** A frame was handed to the transport at `now`. */
  sent(marker: boolean, now: number): void {
    if (marker) {
      if (this.#tail - this.#head === FIFO) {
        this.#head++;
        this.totals.markersLost++;
      }
      this.#pending[this.#tail % FIFO] = now;
      this.#tail++;
      this.totals.markersSent++;
    }
    this.totals.framesSent++;
  }

  /** A reply frame of this loudness (mean square, PCM16 units²) was read at `now`. */
  received(meanSquare: number, now: number): void {
    this.totals.framesReceived++;
    if (now >= holdWindow.from && now < holdWindow.until) this.totals.framesReceivedInHold++;
    const loud = meanSquare > LOUD_MEAN_SQUARE;
    if (loud && !this.#loud) {
      this.expire(now);
      if (this.#head === this.#tail) {
        this.totals.spuriousOnsets++;
      } else {
        const sentAt = this.#pending[this.#head % FIFO]!;
        this.#head++;
        this.totals.markersMatched++;
        this.#onRtt(now - sentAt, sentAt);
      }
    }
    this.#loud = loud;
  }

  /** Markers outstanding longer than MARKER_TIMEOUT_MS count as lost; `now = ∞` ends the run. */
  expire(now: number): void {
    while (this.#head !== this.#tail && now - this.#pending[this.#head % FIFO]! > MARKER_TIMEOUT_MS) {
      this.#head++;
      this.totals.markersLost++;
    }
  }
}
