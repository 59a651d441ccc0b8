/**
 * Whether a client sends audio faster than real time (docs/architecture.md, "Timing rules": a sender
 * running ahead is paced by a playhead, one that keeps to real time has its audio released as it
 * arrives). A pure core: arrival times come in as `now`.
 *
 * Each packet says when its talk spurt would have started had it arrived without delay: its arrival
 * minus the audio sent before it (its *offset*). Network and scheduling delay only make offsets later,
 * so the spurt's start is the smallest offset seen, and a sender is ahead when its audio so far
 * exceeds the time since that start (plus a leeway). The smallest offset is taken over packets at
 * least `settleMs` old, not over all of them: a sender running ahead lowers the offset with every
 * packet, so the minimum over all packets would always excuse it. What that delay tells apart:
 *
 * - a stall, then a burst that catches up (a late first packet, the process or the network held up for
 *   a moment): the offsets step down once and stay; `settleMs` later the start is where the step put
 *   it and the stream counts as on time again. (Measured from the first packet alone, a start-up stall
 *   of 300 ms made every later packet look 300 ms early for the rest of the call, and its audio was held
 *   back 300 ms.)
 * - a sender faster than real time: the offsets keep falling, by (speed − 1) × `settleMs` over the
 *   delay, so a sender more than (leeway ÷ `settleMs`) fast stays ahead: at the defaults, 60 ms over
 *   1 s, about 6 % and more.
 *
 * - a pause in the sender's audio (silence not sent, DTX): the offsets step up and the start stays, so
 *   the sender falls behind real time by the pause. That credit is capped at `maxCatchUpMs`: a sender
 *   may catch up on at most that much audio at once unpaced (a stall of the gateway, the sender or the
 *   network that long), however many pauses came before. A stall is not a new spurt: the burst after
 *   it is the same audio, late, and catches up (restarting at the burst made it look ahead by its whole
 *   length, and it was paced out a frame per tick: docs/architecture.md, "Timing rules").
 *
 * `lateMs` says how late audio is against that start when it is released (what arrived late, or was
 * held back while the sender seemed ahead): what a synchronous handler's reply to it may catch up on
 * the way out.
 *
 * Allocation-free: offsets younger than `settleMs` wait in a fixed ring; a full ring folds its oldest
 * entry in early (the start then settles sooner, never later).
 */
export class SenderPace {
  readonly settleMs: number;
  readonly leewayMs: number;
  readonly maxCatchUpMs: number;
  private readonly times: Float64Array;
  private readonly offsets: Float64Array;
  private head = 0;
  private count = 0;
  /** The smallest offset among packets at least settleMs old (the spurt's start, on our clock). */
  private start = 0;
  /** The start never goes below this: the sender is at most maxCatchUpMs behind real time. */
  private floor = -Infinity;
  /** Audio received in the spurt, ms. */
  private audioMs = 0;

  constructor(options: { settleMs?: number; leewayMs: number; maxCatchUpMs?: number; capacity?: number }) {
    this.settleMs = options.settleMs ?? 1000;
    this.leewayMs = options.leewayMs;
    this.maxCatchUpMs = options.maxCatchUpMs ?? 1000;
    const capacity = options.capacity ?? 128;
    this.times = new Float64Array(capacity);
    this.offsets = new Float64Array(capacity);
  }

  /** Audio received in the current spurt, ms. */
  get spurtAudioMs(): number {
    return this.audioMs;
  }

  /**
   * A new talk spurt starts with a packet arriving at `now`. `since`: the earliest the spurt can have
   * begun (the session's start for its first packet: media read late because the gateway was busy
   * setting it up is a stall, not a sender ahead), at most `maxCatchUpMs` back.
   */
  restart(now: number, since = now): void {
    this.head = 0;
    this.count = 0;
    this.floor = now - this.maxCatchUpMs;
    this.start = Math.max(Math.min(since, now), this.floor);
    this.audioMs = 0;
  }

  /**
   * How late, at `now`, the oldest audio still held (`heldMs` of the spurt's latest audio, not yet
   * released) is against the spurt's start, ms; 0 when on time or early. With nothing held back but
   * the packet just received (`heldMs` = its duration), that is how late the packet arrived.
   */
  lateMs(now: number, heldMs: number): number {
    this.settle(now);
    return Math.max(0, now - this.start - (this.audioMs - heldMs));
  }

  /** A packet of `durationMs` arrived at `now` (call `restart` first for the first packet of a spurt). */
  onPacket(now: number, durationMs: number): void {
    this.settle(now);
    const offset = now - this.audioMs;
    if (offset - this.maxCatchUpMs > this.floor) this.floor = offset - this.maxCatchUpMs;
    if (this.start < this.floor) this.start = this.floor;
    const capacity = this.times.length;
    if (this.count === capacity) this.fold();
    const at = (this.head + this.count) % capacity;
    this.times[at] = now;
    this.offsets[at] = offset;
    this.count++;
    this.audioMs += durationMs;
  }

  /**
   * The sender has sent more audio this spurt than real time allows since the spurt's start, by more
   * than the leeway. (A sender's clock a little fast needs no allowance of its own: 0.5 % fast lowers
   * the offsets by 5 ms per second, so the start it settles on is never more than that behind.)
   */
  ahead(now: number): boolean {
    this.settle(now);
    return this.audioMs > now - this.start + this.leewayMs;
  }

  /** Folds the offsets of packets at least settleMs old into the start. */
  private settle(now: number): void {
    while (this.count > 0 && this.times[this.head]! <= now - this.settleMs) this.fold();
  }

  private fold(): void {
    const offset = Math.max(this.offsets[this.head]!, this.floor);
    if (offset < this.start) this.start = offset;
    this.head = (this.head + 1) % this.times.length;
    this.count--;
  }
}
