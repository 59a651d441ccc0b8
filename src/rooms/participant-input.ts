import { PcmFrameRing } from '../audio/pcm-frame-ring.js';

export interface ParticipantInputOptions {
  readonly frameSamples: number;
  /** Whole frames buffered before a talk spurt starts playing (absorbs arrival jitter against the mixing clock). */
  readonly primeFrames: number;
  /** More than this many whole frames waiting: the oldest are dropped (latency stays bounded). */
  readonly maxFrames: number;
  /** Ring capacity (a handler's reply may be queued whole). */
  readonly capacity: number;
}

/**
 * One participant's audio on its way into the mix (docs/rooms.md, "Mixing rules"): frames at the room's
 * rate arrive whenever the participant's session releases them (its own jitter buffer has already put
 * them in order and concealed visible losses); the mixing clock takes one per tick. A tick that finds
 * nothing after a played frame conceals with that frame faded out (no click), then the participant
 * counts as silent until `primeFrames` are buffered again. Pure: no clock, no I/O.
 */
export class ParticipantInput {
  readonly frameSamples: number;
  private readonly ring: PcmFrameRing;
  private readonly options: ParticipantInputOptions;
  /** The frame the last `take` returned (owned here: a copy, so the ring may write over its slot). */
  private readonly current: Int16Array;
  private playing = false;
  private lastPlayed = false;
  framesTaken = 0;
  framesConcealed = 0;
  framesDroppedLate = 0;

  constructor(options: ParticipantInputOptions) {
    this.options = options;
    this.frameSamples = options.frameSamples;
    this.ring = new PcmFrameRing(options.frameSamples, options.capacity);
    this.current = new Int16Array(options.frameSamples);
  }

  /** Whole frames waiting. */
  get queuedFrames(): number {
    return this.ring.length;
  }

  get droppedOverflow(): number {
    return this.ring.droppedFrames;
  }

  /** Audio in (any length; copied). */
  push(samples: Int16Array, start = 0, end = samples.length): void {
    this.ring.append(samples, start, end);
  }

  /** Drops everything queued (barge-in on a handler's reply). */
  clear(): void {
    this.ring.clear();
    this.playing = false;
    this.lastPlayed = false;
  }

  /** The frame for this tick, or undefined (nothing to play). Valid until the next `take`. */
  take(): Int16Array | undefined {
    const ring = this.ring;
    if (!this.playing) {
      if (ring.length < this.options.primeFrames) return this.concealOrNothing();
      this.playing = true;
    }
    while (ring.length > this.options.maxFrames) {
      ring.shift();
      this.framesDroppedLate++;
    }
    const frame = ring.peek();
    if (frame === undefined) {
      this.playing = false;
      return this.concealOrNothing();
    }
    this.current.set(frame);
    ring.shift();
    this.lastPlayed = true;
    this.framesTaken++;
    return this.current;
  }

  /** After a played frame: that frame faded to silence, once; else nothing. */
  private concealOrNothing(): Int16Array | undefined {
    if (!this.lastPlayed) return undefined;
    this.lastPlayed = false;
    this.framesConcealed++;
    const c = this.current;
    const n = c.length;
    for (let i = 0; i < n; i++) c[i] = Math.round((c[i]! * (n - i)) / n);
    return c;
  }
}
