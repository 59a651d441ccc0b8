import { PcmFrameRing } from '../audio/pcm-frame-ring.js';

/** A mark waiting in the output: `client`, a FastRTC client's mark, echoed back; `handler`, the handler's own, sent to the carrier. */
export interface OutputMark {
  readonly name: string;
  readonly origin: 'client' | 'handler';
}

/** What `next(now)` found due: a frame (take it with `takeFrame`), a mark (`takeMark`), or nothing. */
export type DueKind = 'frame' | 'mark' | undefined;

export interface OutputQueueStats {
  framesQueued: number;
  framesDroppedOverflow: number;
  framesCleared: number;
}

interface QueuedMark extends OutputMark {
  /** Frames queued before it (a running count): it goes out once that many have left. */
  readonly after: number;
}

/**
 * Pure, bounded queue of outgoing audio with a playout timeline (docs/media.md, "Output path"). It
 * holds PCM, not payloads: frames are encoded when they are sent, so audio that a barge-in clears is
 * never encoded. Frame i of a run is due at `runStart + i·frameMs − leadMs`; `next(now)` says what is
 * due, marks in order with the audio before them. A run starts when audio arrives at an empty queue,
 * so pauses never cause a burst; `clear()` drops queued audio and resets the lead. Overflow drops the
 * newest frame, counted. Steady state allocates nothing: the frames live in a PcmFrameRing.
 */
export class OutputQueue {
  readonly frameMs: number;
  readonly leadMs: number;
  readonly capacity: number;
  readonly stats: OutputQueueStats = { framesQueued: 0, framesDroppedOverflow: 0, framesCleared: 0 };
  private readonly ring: PcmFrameRing;
  private marks: QueuedMark[] = [];
  /** Frames that joined the queue, and that left it (sent or cleared), since it was made. */
  private joined = 0;
  private left = 0;
  private runStart = 0;
  private sentInRun = 0;
  private running = false;

  constructor(options: { frameMs: number; leadMs: number; capacity: number; frameSamples: number }) {
    this.frameMs = options.frameMs;
    this.leadMs = options.leadMs;
    this.capacity = options.capacity;
    this.ring = new PcmFrameRing(options.frameSamples, options.capacity);
  }

  /** Whole frames waiting. */
  get length(): number {
    return this.ring.length;
  }

  /** No frame and no mark waiting (a partial frame may be: see `partialSamples`). */
  get isEmpty(): boolean {
    return this.ring.length === 0 && this.marks.length === 0;
  }

  /** Samples of a frame not yet complete (they wait for more audio or `flushPartial`). */
  get partialSamples(): number {
    return this.ring.partial;
  }

  /** Milliseconds of audio queued (whole frames). */
  get backlogMs(): number {
    return this.ring.length * this.frameMs;
  }

  /**
   * Appends `samples[start, end)`: whole frames join the queue, a remainder waits. `lateMs`: how late
   * this audio is (a reply to input a stall held up); a run it starts is due that much earlier, so a
   * stall's backlog goes out at once instead of being paced out behind real time for the rest of the
   * stream (docs/architecture.md, "Timing rules"). Never earlier than the previous run's timeline.
   */
  pushSamples(samples: Int16Array, start: number, end: number, now: number, lateMs = 0): void {
    const wasEmpty = this.ring.length === 0;
    const dropped = this.ring.droppedFrames;
    const joined = this.ring.append(samples, start, end);
    this.account(joined, dropped, wasEmpty, now - lateMs);
  }

  /** The waiting remainder, padded with silence to a whole frame, joins the queue. */
  flushPartial(now: number): void {
    const wasEmpty = this.ring.length === 0;
    const dropped = this.ring.droppedFrames;
    this.account(this.ring.padPartial(), dropped, wasEmpty, now);
  }

  /** Drops the waiting remainder. */
  dropPartial(): void {
    this.ring.dropPartial();
  }

  pushMark(name: string, origin: 'client' | 'handler'): void {
    this.marks.push({ name, origin, after: this.joined });
  }

  /** What is due at `now`: a mark as soon as the audio before it has gone, a frame when its time has come. */
  next(now: number): DueKind {
    const mark = this.marks[0];
    if (mark !== undefined && mark.after <= this.left) return 'mark';
    if (this.ring.length === 0) return undefined;
    return this.runStart + this.sentInRun * this.frameMs - this.leadMs <= now ? 'frame' : undefined;
  }

  /** The due mark `next` reported. */
  takeMark(): OutputMark {
    const mark = this.marks.shift();
    if (mark === undefined) throw new Error('OutputQueue.takeMark() with no mark due');
    return mark;
  }

  /**
   * The due frame `next` reported, removed from the queue. A view into the queue's ring, valid until
   * audio is next pushed: encode or copy it before that.
   */
  takeFrame(): Int16Array {
    const frame = this.ring.peek();
    if (frame === undefined) throw new Error('OutputQueue.takeFrame() with no frame queued');
    this.ring.shift();
    this.sentInRun++;
    this.left++;
    return frame;
  }

  /** Barge-in: drop queued audio and reset the lead. Marks are kept (they come out at once, in order). */
  clear(): void {
    const dropped = this.ring.clear();
    this.stats.framesCleared += dropped;
    this.left += dropped;
    this.running = false;
  }

  /** `from`: when a run this audio starts begins (now, or earlier for late audio). */
  private account(joined: number, droppedBefore: number, wasEmpty: boolean, from: number): void {
    this.stats.framesDroppedOverflow += this.ring.droppedFrames - droppedBefore;
    if (joined === 0) return;
    if (wasEmpty) this.startRun(from);
    this.joined += joined;
    this.stats.framesQueued += joined;
  }

  private startRun(from: number): void {
    // A run whose timeline is still ahead of real time (audio sent so far plays until
    // runStart + sentInRun·frameMs) continues, so the lead is not granted twice; after a pause or a
    // clear the timeline starts afresh at now. (Subtracting the lead here restarted the run on every
    // frame a handler pushed one at a time, so a whole reply went out at once.)
    const continuing = this.running && this.runStart + this.sentInRun * this.frameMs >= from;
    if (!continuing) {
      this.runStart = from;
      this.sentInRun = 0;
    }
    this.running = true;
  }
}
