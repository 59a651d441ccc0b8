import { WavegateError } from '../errors/wavegate-error.js';
import { ArrivalDelayEstimator } from './arrival-delay-estimator.js';
import { resolveJitterBufferOptions, type JitterBufferOptions } from './jitter-buffer-options.js';
import { emptyJitterBufferStats, type JitterBufferStats } from './jitter-stats.js';
import { PlayoutOrder } from './playout-order.js';

/**
 * The jitter buffer core, in the NetEQ manner (docs/architecture.md, "Timing rules"). Pure: no timers, no I/O; every call
 * takes `now` (ms, any monotonic clock). An adapter calls `push()` when a packet arrives and `pop()`
 * once per playout step (each result covers `durationMs`: call again when that much has played).
 *
 * - Order: by `seq` when packets carry one (16-bit wrap-around like RTP, or Twilio's growing decimal
 *   strings), else by `timestamp` (ms), else by arrival. The first packet decides the mode.
 * - Target delay: packet duration + the 95th percentile of the relative arrival delay (arrival −
 *   sender time, against the smallest delay of the last 2 s), from a histogram with forgetting;
 *   clamped to [minDelayMs, maxDelayMs]. Smooth arrival gives one packet (20 ms).
 * - Playout starts once the buffer holds the target (or its oldest packet waited that long).
 * - A missing packet is awaited (concealing, reason 'underrun') while little is buffered, else
 *   declared lost (reason 'loss'; `nextPayload` is the packet after it, for Opus FEC). Steps
 *   concealed while waiting stand for the packets that turn out missing (no added delay), and a
 *   packet that shows up after its step was given away is late. An empty buffer conceals
 *   ('underrun') for up to maxUnderrunMs, then goes quiet ('empty') and rebuffers to the target.
 * - The level the decisions use is the buffered audio at pop time, including the packet about to
 *   play: smooth arrival keeps it at one packet. Accelerate above target + max(1.5 packets,
 *   target/2); decelerate below target − max(½ packet, target/4); at most one action per
 *   stretchHoldMs.
 * - Time-stretch: far above target a whole packet is dropped (removedSamplesForAcceleration); below
 *   it a concealment step is inserted (reason 'deceleration', insertedSamplesForDeceleration) unless
 *   `decelerate` is off (an adapter that releases audio as it arrives, where depth only adds delay).
 * - Duplicates, late packets (their turn has passed) and overflow (capacity reached: the earliest
 *   packet goes) are dropped and counted. Counters use webrtc-stats names: see jitter-stats.ts.
 *
 * The adapter turns results into audio: 'audio' → decode; 'conceal' → codec PLC or
 * PcmConcealer.conceal(); 'empty' → nothing to play. `discontinuity` marks audio that does not follow
 * the previous audio (a packet was dropped or skipped): cross-fade it (PcmConcealer.play does).
 */
export interface JitterPacket<T> {
  readonly payload: T;
  /** Sequence number: RTP-style 16-bit (wraps) or a growing integer, as a number or decimal string. */
  readonly seq?: number | string;
  /** Sender timestamp, ms (Twilio's media.timestamp). */
  readonly timestamp?: number;
  /** Audio duration of the payload, ms; `frameMs` when absent. */
  readonly durationMs?: number;
}

export type PushOutcome = 'accepted' | 'duplicate' | 'late' | 'overflow';
export type ConcealReason = 'loss' | 'underrun' | 'deceleration';

export type JitterPop<T> =
  | {
      readonly kind: 'audio';
      readonly payload: T;
      readonly durationMs: number;
      readonly samples: number;
      /** True when this packet does not follow the previous audio (a packet was dropped or skipped). */
      readonly discontinuity: boolean;
      /** Time the packet spent in the buffer, ms. */
      readonly delayMs: number;
    }
  | {
      readonly kind: 'conceal';
      readonly reason: ConcealReason;
      readonly durationMs: number;
      readonly samples: number;
      /** For 'loss': the buffered packet right after the lost one, if any (Opus in-band FEC). */
      readonly nextPayload: T | undefined;
    }
  | { readonly kind: 'empty' };

export type JitterState = 'buffering' | 'playing';

const EMPTY = { kind: 'empty' } as const;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type AudioPop<T> = Mutable<Extract<JitterPop<T>, { kind: 'audio' }>>;
type ConcealPop<T> = Mutable<Extract<JitterPop<T>, { kind: 'conceal' }>>;
/** Buffer-level filter weight per pop (≈ the last 8 pops). */
const LEVEL_ALPHA = 1 / 8;

export class JitterBuffer<T> {
  readonly options: JitterBufferOptions;
  readonly #estimator: ArrivalDelayEstimator;
  readonly #order: PlayoutOrder<T>;
  readonly #stats: JitterBufferStats = emptyJitterBufferStats();
  #state: JitterState = 'buffering';
  #targetMs: number;
  #filteredLevelMs: number | undefined;
  /** Time concealed in a row while the expected packet was missing, ms. */
  #underrunMs = 0;
  /** Concealment steps taken while waiting (not yet charged to a missing packet). */
  #waitedSteps = 0;
  #concealing = false;
  #discontinuity = false;
  #lastStretchAt = -Infinity;
  #lateStreak = 0;

  readonly #canAccelerate: ((payload: T) => boolean) | undefined;
  readonly #release: ((payload: T) => void) | undefined;
  /** What `popLent` returns: one object per kind, reused (the allocation-free path AudioPlayout takes). */
  readonly #audio: AudioPop<T> = { kind: 'audio', payload: undefined as T, durationMs: 0, samples: 0, discontinuity: false, delayMs: 0 };
  readonly #concealed: ConcealPop<T> = { kind: 'conceal', reason: 'loss', durationMs: 0, samples: 0, nextPayload: undefined };

  /**
   * `canAccelerate` (optional) vetoes dropping a packet to speed playout up: a gateway feeding
   * speech to a handler lets only near-silent packets go, so time-stretching never removes words.
   */
  /**
   * `release` (optional) is told of every payload the buffer lets go of without handing it out
   * (overflow, acceleration, flush, a stream restart), so its owner may reuse it; payloads `pop`
   * hands out are the caller's to release.
   */
  constructor(options: Partial<JitterBufferOptions> = {}, canAccelerate?: (payload: T) => boolean, release?: (payload: T) => void) {
    this.#canAccelerate = canAccelerate;
    this.#release = release;
    this.options = resolveJitterBufferOptions(options);
    const o = this.options;
    this.#estimator = new ArrivalDelayEstimator({
      windowMs: o.delayWindowMs,
      bucketMs: o.bucketMs,
      buckets: Math.ceil(o.maxDelayMs / o.bucketMs) + 1,
      forgetFactor: o.forgetFactor,
      startWeight: 2,
    });
    this.#order = new PlayoutOrder<T>(o.frameMs, o.maxUnderrunMs);
    this.#targetMs = this.#computeTarget();
  }

  get state(): JitterState {
    return this.#state;
  }

  get targetDelayMs(): number {
    return this.#targetMs;
  }

  get bufferedMs(): number {
    return this.#order.bufferedMs;
  }

  /** Packets buffered (the buffer holds at most `options.capacity`; the next one over drops the earliest). */
  get bufferedPackets(): number {
    return this.#order.size;
  }

  /** True while pop() can return something other than 'empty' (an adapter may stop ticking otherwise). */
  get active(): boolean {
    return this.#state === 'playing' || this.#order.size > 0;
  }

  push(packet: JitterPacket<T>, now: number): PushOutcome {
    const durationMs = packet.durationMs ?? this.options.frameMs;
    if (!(Number.isFinite(durationMs) && durationMs > 0 && durationMs <= 1000)) {
      throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `packet duration must be in (0, 1000] ms, got ${String(packet.durationMs)}`);
    }
    if (packet.timestamp !== undefined && !Number.isFinite(packet.timestamp)) {
      throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `timestamp must be a finite number of ms, got ${String(packet.timestamp)}`);
    }
    const s = this.#stats;
    s.packetsReceived++;
    let placed = this.#order.place(packet, durationMs, now);
    if (placed.outcome === 'late' && this.#lateStreak + 1 >= this.options.lateResetCount) {
      // The sender restarted its numbering: start over with this packet as the first of a new stream.
      this.#restartStream();
      placed = this.#order.place(packet, durationMs, now);
    }
    if (placed.outcome === 'duplicate') {
      s.packetsDuplicate++;
      return 'duplicate';
    }
    this.#estimator.add(placed.senderMs, now);
    this.#targetMs = this.#computeTarget();
    s.jitter = this.#estimator.jitterMs / 1000;
    if (placed.outcome === 'late') {
      this.#lateStreak++;
      s.packetsLate++;
      s.packetsDiscarded++;
      return 'late';
    }
    this.#lateStreak = 0;
    if (this.#order.size > this.options.capacity) {
      const dropped = this.#order.dropEarliest();
      s.packetsOverflow++;
      s.packetsDiscarded++;
      const mine = dropped === placed.entry;
      this.#release?.(dropped.payload);
      this.#order.recycle(dropped);
      if (mine) return 'overflow';
      if (this.#state === 'playing') this.#discontinuity = true;
    }
    return 'accepted';
  }

  /** The next playout step (a new object each call). */
  pop(now: number): JitterPop<T> {
    const step = this.popLent(now);
    return step.kind === 'empty' ? step : { ...step };
  }

  /** `pop`, but the result is one reused object: read it before the next call. Allocates nothing. */
  popLent(now: number): JitterPop<T> {
    if (this.#state === 'buffering' && !this.#startPlaying(now)) return EMPTY;
    const order = this.#order;
    const head = order.head;
    if (head === undefined) return this.#underrun();
    let gap = order.gapBefore(head);
    if (gap > this.options.capacity) {
      order.jumpTo(head);
      this.#stats.streamResets++;
      this.#discontinuity = true;
      gap = 0;
    }
    if (gap > 0 && this.#waitedSteps > 0) {
      // Steps already concealed while waiting stand for the missing packets: don't conceal them twice.
      const covered = Math.min(gap, this.#waitedSteps);
      for (let i = 0; i < covered; i++) order.skipOne();
      this.#waitedSteps -= covered;
      gap -= covered;
    }
    if (gap > 0) {
      if (order.bufferedMs < this.#lowLimit() && this.#underrunMs < this.#targetMs) return this.#underrun();
      const nextPayload = gap === 1 ? head.payload : undefined;
      order.skipOne();
      return this.#conceal('loss', nextPayload);
    }
    this.#underrunMs = 0;
    this.#waitedSteps = 0;
    const stretch = this.#timeStretch(now);
    if (stretch !== undefined) return stretch;
    return this.#emit(now);
  }

  /** Drops everything buffered (barge-in / clear); returns how many packets went. */
  flush(): number {
    const n = this.#order.clear(this.#release);
    this.#stats.packetsFlushed += n;
    this.#state = 'buffering';
    this.#concealing = false;
    return n;
  }

  stats(): JitterBufferStats {
    return {
      ...this.#stats,
      packetsLost: this.#order.lostCount(),
      targetDelayMs: this.#targetMs,
      bufferedMs: this.#order.bufferedMs,
      bufferedPackets: this.#order.size,
    };
  }

  #computeTarget(): number {
    const { minDelayMs, maxDelayMs, quantile } = this.options;
    const wanted = this.#order.stepMs + this.#estimator.quantileMs(quantile);
    return Math.min(maxDelayMs, Math.max(minDelayMs, wanted));
  }

  #lowLimit(): number {
    return this.#targetMs - Math.max(this.#order.stepMs / 2, this.#targetMs / 4);
  }

  #highLimit(): number {
    return this.#targetMs + Math.max(1.5 * this.#order.stepMs, this.#targetMs / 2);
  }

  #startPlaying(now: number): boolean {
    const order = this.#order;
    if (order.size === 0) return false;
    if (order.bufferedMs < this.#targetMs && now - order.oldestArrivalMs < this.#targetMs) return false;
    const head = order.head!;
    if (order.gapBefore(head) !== 0) {
      if (order.started) this.#discontinuity = true;
      order.jumpTo(head);
    }
    this.#state = 'playing';
    this.#underrunMs = 0;
    this.#waitedSteps = 0;
    this.#filteredLevelMs = undefined;
    return true;
  }

  #underrun(): JitterPop<T> {
    this.#underrunMs += this.#order.stepMs;
    this.#waitedSteps++;
    if (this.#underrunMs > this.options.maxUnderrunMs) {
      this.#state = 'buffering';
      this.#concealing = false;
      return EMPTY;
    }
    return this.#conceal('underrun', undefined);
  }

  #conceal(reason: ConcealReason, nextPayload: T | undefined): JitterPop<T> {
    const durationMs = this.#order.stepMs;
    const samples = this.#samplesOf(durationMs);
    const s = this.#stats;
    if (reason === 'deceleration') {
      s.insertedSamplesForDeceleration += samples;
    } else {
      s.concealedSamples += samples;
      if (!this.#concealing) s.concealmentEvents++;
      this.#concealing = true;
    }
    s.totalSamplesReceived += samples;
    const c = this.#concealed;
    c.reason = reason;
    c.durationMs = durationMs;
    c.samples = samples;
    c.nextPayload = nextPayload;
    return c;
  }

  /**
   * Accelerate (drop the head, then play the next) or decelerate (insert a step), or nothing. Both the
   * filtered and the instantaneous level must agree: the filter ignores momentary swings, the
   * instantaneous level keeps a lagging filter from acting on a buffer that has already moved.
   */
  #timeStretch(now: number): JitterPop<T> | undefined {
    const level = this.#order.bufferedMs;
    const filtered = this.#filteredLevelMs === undefined ? level : this.#filteredLevelMs + (level - this.#filteredLevelMs) * LEVEL_ALPHA;
    this.#filteredLevelMs = filtered;
    if (!this.options.timeStretch || now - this.#lastStretchAt < this.options.stretchHoldMs) return undefined;
    const high = this.#highLimit();
    const head = this.#order.head;
    if (filtered >= high && level >= high && this.#order.secondFollowsHead() && head && (this.#canAccelerate?.(head.payload) ?? true)) {
      const dropped = this.#order.takeHead();
      this.#stats.removedSamplesForAcceleration += this.#samplesOf(dropped.durationMs);
      this.#filteredLevelMs = filtered - dropped.durationMs;
      this.#release?.(dropped.payload);
      this.#order.recycle(dropped);
      this.#lastStretchAt = now;
      this.#discontinuity = true;
      return undefined;
    }
    const low = this.#lowLimit();
    if (filtered < low && level < low && this.options.decelerate) {
      this.#filteredLevelMs = filtered + this.#order.stepMs;
      this.#lastStretchAt = now;
      return this.#conceal('deceleration', undefined);
    }
    return undefined;
  }

  #emit(now: number): JitterPop<T> {
    const entry = this.#order.takeHead();
    const samples = this.#samplesOf(entry.durationMs);
    const delayMs = Math.max(0, now - entry.arrivalMs);
    const s = this.#stats;
    s.jitterBufferDelay += (delayMs / 1000) * samples;
    s.jitterBufferTargetDelay += (this.#targetMs / 1000) * samples;
    s.jitterBufferEmittedCount += samples;
    s.totalSamplesReceived += samples;
    this.#concealing = false;
    const a = this.#audio;
    a.payload = entry.payload;
    a.durationMs = entry.durationMs;
    a.samples = samples;
    a.discontinuity = this.#discontinuity;
    a.delayMs = delayMs;
    this.#discontinuity = false;
    this.#order.recycle(entry);
    return a;
  }

  #restartStream(): void {
    this.#stats.streamResets++;
    this.#stats.packetsFlushed += this.#order.restart(this.#release);
    this.#estimator.reset();
    this.#state = 'buffering';
    this.#concealing = false;
    this.#lateStreak = 0;
  }

  #samplesOf(durationMs: number): number {
    return Math.round((durationMs * this.options.sampleRate) / 1000);
  }
}
