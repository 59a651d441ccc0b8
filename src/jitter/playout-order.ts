import { parseSequenceNumber, SequenceUnwrapper } from './sequence-unwrapper.js';

/**
 * The ordered packet store behind the jitter buffer: gives every packet a position (unwrapped
 * sequence number, sender timestamp in ms, or arrival index), keeps packets sorted by it, knows the
 * position expected next, and recognises duplicates and late packets. Also does the RFC 3550 loss
 * accounting (expected − received) when packets carry sequence numbers. Pure.
 *
 * Fast path (docs/architecture.md, "Allocation-free steady state"): a packet that lands after every
 * buffered one (in-order arrival, the usual case) is appended without a search; entries are recycled
 * (the jitter buffer hands each back with `recycle` once it has read it), the placement result is one
 * reused object, and played positions are remembered in a ring: nothing is allocated per packet.
 * Everything else (reordering, duplicates, late packets) takes the general path.
 */
export type OrderMode = 'seq' | 'timestamp' | 'arrival';

export interface OrderEntry<T> {
  readonly pos: number;
  readonly payload: T;
  readonly durationMs: number;
  readonly arrivalMs: number;
}

/** What `place` returns; one object reused by every call, so read it before the next. */
export interface Placement<T> {
  readonly outcome: 'accepted' | 'duplicate' | 'late';
  /** The stored entry (accepted packets only). */
  readonly entry: OrderEntry<T> | undefined;
  /** The packet's time on the sender's clock (ms), for the arrival-delay estimator. */
  readonly senderMs: number;
}

type MutableEntry<T> = { -readonly [K in keyof OrderEntry<T>]: OrderEntry<T>[K] };
type MutablePlacement<T> = { -readonly [K in keyof Placement<T>]: Placement<T>[K] };

interface PacketFields<T> {
  readonly payload: T;
  readonly seq?: number | string;
  readonly timestamp?: number;
}

/** How many played positions are remembered to tell duplicates from late packets. */
const PLAYED_MEMORY = 256;

export class PlayoutOrder<T> {
  #mode: OrderMode | undefined;
  readonly #unwrapper = new SequenceUnwrapper();
  #entries: OrderEntry<T>[] = [];
  #bufferedMs = 0;
  /** Position expected next; undefined until playout starts. */
  #nextPos: number | undefined;
  #stepMs: number;
  #arrivalIndex = 0;
  #senderClockMs = 0;
  #lastArrivalMs: number | undefined;
  readonly #arrivalPauseMs: number;
  #highestEndPos: number | undefined;
  /**
   * The last PLAYED_MEMORY played positions, oldest at #playedAt once the ring is full, and the highest
   * of them: a packet above it cannot repeat one (the in-order case, so no search per packet).
   */
  readonly #playedRing = new Float64Array(PLAYED_MEMORY);
  #playedAt = 0;
  #playedCount = 0;
  #maxPlayed = -Infinity;
  /** Entries given back, for reuse. */
  readonly #spare: MutableEntry<T>[] = [];
  readonly #placement: MutablePlacement<T> = { outcome: 'accepted', entry: undefined, senderMs: 0 };
  // RFC 3550 loss accounting (seq mode), per numbering epoch.
  #minSeq = Infinity;
  #maxSeq = -Infinity;
  #receivedInEpoch = 0;
  #lostBeforeEpoch = 0;

  /**
   * `arrivalPauseMs`: in arrival order (no sequence numbers or timestamps), a packet that reaches an
   * empty buffer this long after the previous one starts a new talk spurt: the sender is taken to have
   * paused, so the pause is not counted as network delay.
   */
  constructor(frameMs: number, arrivalPauseMs = Infinity) {
    this.#arrivalPauseMs = arrivalPauseMs;
    this.#stepMs = frameMs;
  }

  get mode(): OrderMode | undefined {
    return this.#mode;
  }
  get size(): number {
    return this.#entries.length;
  }
  get head(): OrderEntry<T> | undefined {
    return this.#entries[0];
  }
  get bufferedMs(): number {
    return this.#bufferedMs;
  }
  /** Duration of the last packet played (or the nominal frame): the length of one playout step. */
  get stepMs(): number {
    return this.#stepMs;
  }
  /** Playout has started at least once (a next position is expected). */
  get started(): boolean {
    return this.#nextPos !== undefined;
  }
  get oldestArrivalMs(): number {
    let oldest = Infinity;
    for (const e of this.#entries) oldest = Math.min(oldest, e.arrivalMs);
    return oldest;
  }

  place(packet: PacketFields<T>, durationMs: number, now: number): Placement<T> {
    this.#mode ??= packet.seq !== undefined ? 'seq' : packet.timestamp !== undefined ? 'timestamp' : 'arrival';
    let pos: number;
    let senderMs: number;
    if (this.#mode === 'seq') {
      pos = packet.seq !== undefined ? this.#unwrapper.unwrap(parseSequenceNumber(packet.seq)) : (this.#highestEndPos ?? 0);
      senderMs = packet.timestamp ?? pos * durationMs;
      this.#minSeq = Math.min(this.#minSeq, pos);
      this.#maxSeq = Math.max(this.#maxSeq, pos);
      this.#receivedInEpoch++;
    } else if (this.#mode === 'timestamp') {
      pos = packet.timestamp ?? this.#highestEndPos ?? 0;
      senderMs = pos;
    } else {
      pos = this.#arrivalIndex++;
      const sinceLast = this.#lastArrivalMs === undefined ? 0 : now - this.#lastArrivalMs;
      if (this.#entries.length === 0 && sinceLast > this.#arrivalPauseMs) this.#senderClockMs += sinceLast - durationMs;
      this.#lastArrivalMs = now;
      senderMs = this.#senderClockMs;
      this.#senderClockMs += durationMs;
    }
    const end = this.#mode === 'timestamp' ? pos + durationMs : pos + 1;
    this.#highestEndPos = Math.max(this.#highestEndPos ?? end, end);
    const placement = this.#placement;
    placement.senderMs = senderMs;
    placement.entry = undefined;
    if (this.#wasPlayed(pos)) return this.#outcome('duplicate');
    if (this.#nextPos !== undefined && pos < this.#nextPos - this.#tolerance()) return this.#outcome('late');
    const entries = this.#entries;
    // Not entries[-1] on an empty buffer (the steady case): an index that is no array index is a
    // property lookup by the string "-1" up the prototype chain, in V8's runtime, once per packet.
    const last = entries.length === 0 ? undefined : entries[entries.length - 1];
    const entry = this.#entry(pos, packet.payload, durationMs, now);
    if (last === undefined || last.pos < pos) {
      entries.push(entry); // in order: the fast path
    } else {
      let i = entries.length;
      while (i > 0 && entries[i - 1]!.pos > pos) i--;
      if (i > 0 && entries[i - 1]!.pos === pos) {
        this.recycle(entry);
        return this.#outcome('duplicate');
      }
      entries.splice(i, 0, entry);
    }
    this.#bufferedMs += durationMs;
    placement.entry = entry;
    return this.#outcome('accepted');
  }

  /** An entry taken out (takeHead, dropEarliest) and read: it may be reused for a later packet. */
  recycle(entry: OrderEntry<T>): void {
    const e = entry as MutableEntry<T>;
    e.payload = undefined as T; // let the payload go
    if (this.#spare.length < 8) this.#spare.push(e);
  }

  #entry(pos: number, payload: T, durationMs: number, arrivalMs: number): MutableEntry<T> {
    const e = this.#spare.pop();
    if (e === undefined) return { pos, payload, durationMs, arrivalMs };
    e.pos = pos;
    e.payload = payload;
    e.durationMs = durationMs;
    e.arrivalMs = arrivalMs;
    return e;
  }

  #outcome(outcome: Placement<T>['outcome']): Placement<T> {
    this.#placement.outcome = outcome;
    return this.#placement;
  }

  /** Packets missing between the expected position and `entry` (0 when it is next or playout has not started). */
  gapBefore(entry: OrderEntry<T>): number {
    if (this.#nextPos === undefined) return 0;
    const delta = entry.pos - this.#nextPos;
    return this.#mode === 'timestamp' ? Math.max(0, Math.round(delta / this.#stepMs)) : Math.max(0, delta);
  }

  /** The second packet follows the head directly (so dropping the head leaves no gap). */
  secondFollowsHead(): boolean {
    const [a, b] = this.#entries;
    if (a === undefined || b === undefined) return false;
    return this.#mode === 'timestamp' ? Math.abs(b.pos - (a.pos + a.durationMs)) < a.durationMs / 2 : b.pos === a.pos + 1;
  }

  takeHead(): OrderEntry<T> {
    const entry = this.#entries.shift();
    if (entry === undefined) throw new Error('PlayoutOrder.takeHead on an empty buffer');
    this.#bufferedMs -= entry.durationMs;
    this.#stepMs = entry.durationMs;
    this.#nextPos = this.#after(entry);
    this.#remember(entry.pos);
    return entry;
  }

  /** Drops the earliest packet (overflow); playout then expects the one after it. */
  dropEarliest(): OrderEntry<T> {
    const entry = this.#entries.shift()!;
    this.#bufferedMs -= entry.durationMs;
    if (this.#nextPos !== undefined) this.#nextPos = Math.max(this.#nextPos, this.#after(entry));
    return entry;
  }

  /** The expected packet is given up as lost: expect the one after it. */
  skipOne(): void {
    if (this.#nextPos === undefined) return;
    this.#nextPos += this.#mode === 'timestamp' ? this.#stepMs : 1;
  }

  /** Continue playout at `entry`, whatever was expected. */
  jumpTo(entry: OrderEntry<T>): void {
    this.#nextPos = entry.pos;
  }

  /** Removes every buffered packet (each payload to `release`, if given); returns how many. */
  clear(release?: (payload: T) => void): number {
    const n = this.#entries.length;
    if (release) for (const e of this.#entries) release(e.payload);
    this.#entries = [];
    this.#bufferedMs = 0;
    return n;
  }

  /** The sender restarted its numbering: forget positions (loss so far is kept). Returns packets dropped. */
  restart(release?: (payload: T) => void): number {
    this.#lostBeforeEpoch = this.lostCount();
    this.#minSeq = Infinity;
    this.#maxSeq = -Infinity;
    this.#receivedInEpoch = 0;
    this.#mode = undefined;
    this.#unwrapper.reset();
    this.#nextPos = undefined;
    this.#highestEndPos = undefined;
    this.#playedAt = 0;
    this.#playedCount = 0;
    this.#maxPlayed = -Infinity;
    return this.clear(release);
  }

  /** RFC 3550 cumulative loss (seq mode only; 0 otherwise). */
  lostCount(): number {
    const epoch = this.#receivedInEpoch > 0 ? this.#maxSeq - this.#minSeq + 1 - this.#receivedInEpoch : 0;
    return this.#lostBeforeEpoch + epoch;
  }

  #tolerance(): number {
    return this.#mode === 'timestamp' ? this.#stepMs / 2 : 0;
  }

  #after(entry: OrderEntry<T>): number {
    return this.#mode === 'timestamp' ? entry.pos + entry.durationMs : entry.pos + 1;
  }

  #remember(pos: number): void {
    if (this.#playedCount < PLAYED_MEMORY) this.#playedCount++;
    this.#playedRing[this.#playedAt] = pos;
    this.#playedAt = (this.#playedAt + 1) % PLAYED_MEMORY;
    if (pos > this.#maxPlayed) this.#maxPlayed = pos;
  }

  /** `pos` is among the last PLAYED_MEMORY played (searched only for a packet at or below the highest). */
  #wasPlayed(pos: number): boolean {
    if (pos > this.#maxPlayed) return false;
    const ring = this.#playedRing;
    for (let i = 0; i < this.#playedCount; i++) if (ring[i] === pos) return true;
    return false;
  }
}
