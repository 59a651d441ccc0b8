/** One thing waiting to go out: an encoded audio frame (with its PCM for recording taps) or a mark. */
export type OutputItem =
  | { readonly kind: 'frame'; readonly payload: Uint8Array; readonly pcm: Int16Array | undefined }
  /** `client`: a FastRTC client's mark, echoed back; `handler`: the handler's own, sent to the carrier. */
  | { readonly kind: 'mark'; readonly name: string; readonly origin: 'client' | 'handler' };

export interface OutputQueueStats {
  framesQueued: number;
  framesDroppedOverflow: number;
  framesCleared: number;
}

/**
 * Pure, bounded queue of outgoing frames with a playout timeline (DESIGN §4). Frame i of a run is
 * due at `runStart + i·frameMs − leadMs`; `due(now)` hands out everything due, marks in order with
 * the audio before them. A run starts when audio arrives at an empty queue, so pauses never cause
 * a burst; `clear()` drops queued audio and resets the lead. Overflow drops the newest frame, counted.
 */
export class OutputQueue {
  readonly frameMs: number;
  readonly leadMs: number;
  readonly capacity: number;
  readonly stats: OutputQueueStats = { framesQueued: 0, framesDroppedOverflow: 0, framesCleared: 0 };
  private items: OutputItem[] = [];
  private head = 0;
  private frames = 0;
  private runStart = 0;
  private sentInRun = 0;
  private running = false;

  constructor(options: { frameMs: number; leadMs: number; capacity: number }) {
    this.frameMs = options.frameMs;
    this.leadMs = options.leadMs;
    this.capacity = options.capacity;
  }

  /** Frames waiting. */
  get length(): number {
    return this.frames;
  }

  get isEmpty(): boolean {
    return this.head === this.items.length;
  }

  /** Milliseconds of audio queued. */
  get backlogMs(): number {
    return this.frames * this.frameMs;
  }

  /** Adds a frame; false when the queue is full and the frame was dropped. */
  pushFrame(payload: Uint8Array, pcm: Int16Array | undefined, now: number): boolean {
    if (this.frames >= this.capacity) {
      this.stats.framesDroppedOverflow++;
      return false;
    }
    if (this.frames === 0) this.startRun(now);
    this.items.push({ kind: 'frame', payload, pcm });
    this.frames++;
    this.stats.framesQueued++;
    return true;
  }

  pushMark(name: string, origin: 'client' | 'handler'): void {
    this.items.push({ kind: 'mark', name, origin });
  }

  /** Everything due at `now`, in order. Marks behind the last due frame come out as soon as it has. */
  due(now: number): OutputItem[] {
    const out: OutputItem[] = [];
    while (this.head < this.items.length) {
      const item = this.items[this.head]!;
      if (item.kind === 'frame') {
        const dueAt = this.runStart + this.sentInRun * this.frameMs - this.leadMs;
        if (dueAt > now) break;
        this.sentInRun++;
        this.frames--;
      }
      out.push(item);
      this.head++;
    }
    this.compact();
    return out;
  }

  /** Barge-in: drop queued audio and reset the lead. Marks are kept (they come out at once, in order). */
  clear(): void {
    const marks: OutputItem[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (item.kind === 'mark') marks.push(item);
      else this.stats.framesCleared++;
    }
    this.items = marks;
    this.head = 0;
    this.frames = 0;
    this.running = false;
  }

  private startRun(now: number): void {
    // A run whose timeline is still ahead of real time (audio sent so far plays until
    // runStart + sentInRun·frameMs) continues, so the lead is not granted twice; after a pause or a
    // clear the timeline starts afresh at now. (Subtracting the lead here restarted the run on every
    // frame a handler pushed one at a time, so a whole reply went out at once.)
    const continuing = this.running && this.runStart + this.sentInRun * this.frameMs >= now;
    if (!continuing) {
      this.runStart = now;
      this.sentInRun = 0;
    }
    this.running = true;
  }

  private compact(): void {
    if (this.head > 64 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
