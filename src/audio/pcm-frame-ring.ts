/**
 * Pure, growable ring of fixed-size PCM16 frames with a partly filled frame at its tail: audio of any
 * length goes in (copied), whole frames come out oldest first, as views that stay valid until the ring
 * writes over them (the next `append` that wraps round, `clear`, or a shrink). Nothing is allocated per
 * frame: the ring's one buffer grows by doubling while it fills (up to `capacity` frames, plus the one
 * being filled, plus one frame of spill area) and shrinks back once it runs empty, so an idle stream
 * holds no audio memory at all.
 */
export class PcmFrameRing {
  readonly frameSamples: number;
  /** Whole frames it holds at most; the frame that would exceed this is dropped (see `append`). */
  readonly capacity: number;
  private buffer = new Int16Array(0);
  /** One view per slot of `buffer`, made when it grows (so `peek` allocates nothing). */
  private slots: Int16Array[] = [];
  private head = 0;
  private count = 0;
  private fill = 0;

  constructor(frameSamples: number, capacity: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
    this.frameSamples = frameSamples;
    this.capacity = capacity;
  }

  /** Whole frames waiting. */
  get length(): number {
    return this.count;
  }

  /** Samples in the partly filled frame (waiting for more audio or `padPartial`). */
  get partial(): number {
    return this.fill;
  }

  /** Samples of memory held (for tests of the shrink). */
  get allocatedSamples(): number {
    return this.buffer.length;
  }

  /** Frames completed while the ring was full, and so dropped, since it was made. */
  droppedFrames = 0;

  /**
   * Copies `samples[start, end)` in. Each frame it completes joins the ring, or, when the ring already
   * holds `capacity` frames, is dropped (counted in `droppedFrames`). Returns the frames that joined.
   */
  append(samples: Int16Array, start = 0, end = samples.length): number {
    const whole = start === 0 && end === samples.length ? this.appendWhole(samples) : -1;
    if (whole >= 0) return whole;
    let joined = 0;
    let at = start;
    while (at < end) {
      const slot = this.tailSlot();
      const fill = this.fill;
      const take = Math.min(this.frameSamples - fill, end - at);
      if (at === 0 && take === samples.length) {
        slot.set(samples, fill); // the whole array in one copy
      } else {
        // Element by element: a subarray view per call would be the one allocation left on this path.
        for (let i = 0; i < take; i++) slot[fill + i] = samples[at + i]!;
      }
      this.fill = fill + take;
      at += take;
      if (this.fill === this.frameSamples) joined += this.complete();
    }
    return joined;
  }

  /**
   * The common case in one copy (a resampler's output, a handler's chunk): the whole array lands in free
   * slots after the tail without growing the ring or dropping a frame. It is written contiguously from
   * the tail, into the spill area after the last slot when it runs past the end, and what spilled is
   * then moved to the start of the buffer (slot 0 onwards) with copyWithin: no view, no per-sample loop
   * (which cost ~40 instructions a sample in V8; docs/media.md, "Per-frame cost"). Returns the frames that
   * joined, or -1, with nothing done, when it does not fit that way.
   */
  private appendWhole(samples: Int16Array): number {
    const n = samples.length;
    const slotCount = this.slots.length;
    const size = this.frameSamples;
    const total = this.fill + n;
    const completed = Math.floor(total / size);
    const touched = Math.ceil(total / size);
    if (n === 0 || slotCount === 0 || touched > slotCount - this.count || this.count + completed > this.capacity) return -1;
    const from = ((this.head + this.count) % slotCount) * size + this.fill;
    const spill = from + n - slotCount * size;
    if (spill > size) return -1;
    this.buffer.set(samples, from);
    if (spill > 0) this.buffer.copyWithin(0, slotCount * size, slotCount * size + spill);
    this.count += completed;
    this.fill = total - completed * size;
    return completed;
  }

  /** Completes the partly filled frame with silence (the end of a talk spurt); returns 1 when it joined. */
  padPartial(): number {
    if (this.fill === 0) return 0;
    this.tailSlot().fill(0, this.fill);
    this.fill = this.frameSamples;
    return this.complete();
  }

  /** The oldest whole frame, or undefined. A view into the ring: copy it to keep it. */
  peek(): Int16Array | undefined {
    return this.count === 0 ? undefined : this.slots[this.head];
  }

  /** Removes the oldest whole frame (after `peek`). */
  shift(): void {
    if (this.count === 0) return;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    if (this.count === 0 && this.fill === 0) this.shrink();
  }

  /** Drops every whole frame and the partial one; returns how many whole frames went. */
  clear(): number {
    const dropped = this.count;
    this.count = 0;
    this.fill = 0;
    this.head = 0;
    this.shrink();
    return dropped;
  }

  /** Drops the partial frame only. */
  dropPartial(): void {
    this.fill = 0;
    if (this.count === 0) this.shrink();
  }

  private complete(): number {
    this.fill = 0;
    if (this.count >= this.capacity) {
      this.droppedFrames++;
      return 0;
    }
    this.count++;
    return 1;
  }

  /** The slot being filled: the one after the last whole frame, grown into when the ring is full. */
  private tailSlot(): Int16Array {
    if (this.count + 1 > this.slots.length) this.grow();
    return this.slots[(this.head + this.count) % this.slots.length]!;
  }

  private grow(): void {
    const wanted = Math.min(this.capacity + 1, Math.max(MIN_SLOTS, this.slots.length * 2));
    if (wanted <= this.slots.length) return;
    // One frame of spill area after the slots (see appendWhole).
    const next = new Int16Array((wanted + 1) * this.frameSamples);
    const slots = Array.from({ length: wanted }, (_, i) => next.subarray(i * this.frameSamples, (i + 1) * this.frameSamples));
    // Whole frames in order, then the partial frame after them.
    for (let i = 0; i <= this.count && i < this.slots.length; i++) slots[i]!.set(this.slots[(this.head + i) % this.slots.length]!);
    this.buffer = next;
    this.slots = slots;
    this.head = 0;
  }

  /** An empty ring gives back the memory a long reply grew it to (a short one keeps its slots: no churn). */
  private shrink(): void {
    if (this.slots.length <= KEEP_SLOTS) return;
    this.buffer = new Int16Array(0);
    this.slots = [];
    this.head = 0;
  }
}

/** Slots of a ring's first buffer. */
const MIN_SLOTS = 4;
/** An empty ring larger than this (1.3 s of 20 ms frames) frees its buffer. */
const KEEP_SLOTS = 64;
