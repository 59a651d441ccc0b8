/** Options of the jitter buffer core (src/jitter/jitter-buffer.ts); every one validated. */
export interface JitterBufferOptions {
  /** Sample rate of the audio the packets carry: the webrtc-stats sample counters are in these samples. */
  sampleRate: number;
  /** Nominal packet duration (used when a packet has no durationMs) and the length of one concealment step, ms. */
  frameMs: number;
  /** Lowest target delay, ms. */
  minDelayMs: number;
  /** Highest target delay, ms. */
  maxDelayMs: number;
  /** Quantile of the relative arrival delay the target covers (NetEQ: 0.95). */
  quantile: number;
  /** Per-packet forget factor of the delay histogram (NetEQ: 0.983 ≈ the last 1–3 s of packets). */
  forgetFactor: number;
  /** Window in which the smallest (reference) arrival delay is searched, ms. */
  delayWindowMs: number;
  /** Delay histogram bucket width, ms. */
  bucketMs: number;
  /** Most packets held; beyond it the earliest are dropped and counted (packetsOverflow). */
  capacity: number;
  /** Drop a frame when the buffer runs far above target, insert one when it runs below. */
  timeStretch: boolean;
  /**
   * With timeStretch, also insert steps below target. Off for an adapter that releases audio as it
   * arrives rather than on a playout clock (the gateway's input): there nothing drains the buffer on a
   * schedule, so depth built by inserting guards against nothing and only adds delay.
   */
  decelerate: boolean;
  /** Least time between two time-stretch actions, ms. */
  stretchHoldMs: number;
  /** After this long with nothing to play, stop concealing, go quiet and rebuffer, ms. */
  maxUnderrunMs: number;
  /** This many late packets in a row (nothing accepted between) mean the sender restarted its numbering. */
  lateResetCount: number;
}

export const DEFAULT_JITTER_BUFFER_OPTIONS: JitterBufferOptions = {
  sampleRate: 48_000,
  frameMs: 20,
  minDelayMs: 20,
  maxDelayMs: 200,
  quantile: 0.95,
  forgetFactor: 0.983,
  delayWindowMs: 2000,
  bucketMs: 10,
  capacity: 64,
  timeStretch: true,
  decelerate: true,
  stretchHoldMs: 60,
  maxUnderrunMs: 120,
  lateResetCount: 8,
};

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Defaults first, then the caller's options; every option checked, naming the offending value. */
export function resolveJitterBufferOptions(options: Partial<JitterBufferOptions> = {}): JitterBufferOptions {
  const o: JitterBufferOptions = { ...DEFAULT_JITTER_BUFFER_OPTIONS, ...options };
  check(Number.isInteger(o.sampleRate) && o.sampleRate >= 1000 && o.sampleRate <= 384_000, 'sampleRate', o.sampleRate, 'an integer from 1000 to 384000');
  check(isNumber(o.frameMs) && o.frameMs >= 2.5 && o.frameMs <= 120, 'frameMs', o.frameMs, 'a number from 2.5 to 120');
  check(isNumber(o.minDelayMs) && o.minDelayMs >= 0, 'minDelayMs', o.minDelayMs, 'a number ≥ 0');
  check(isNumber(o.maxDelayMs) && o.maxDelayMs >= o.minDelayMs && o.maxDelayMs <= 10_000, 'maxDelayMs', o.maxDelayMs, `a number from minDelayMs (${o.minDelayMs}) to 10000`);
  check(isNumber(o.quantile) && o.quantile > 0 && o.quantile < 1, 'quantile', o.quantile, 'a number in (0, 1)');
  check(isNumber(o.forgetFactor) && o.forgetFactor > 0 && o.forgetFactor < 1, 'forgetFactor', o.forgetFactor, 'a number in (0, 1)');
  check(isNumber(o.delayWindowMs) && o.delayWindowMs > 0, 'delayWindowMs', o.delayWindowMs, 'a number > 0');
  check(isNumber(o.bucketMs) && o.bucketMs >= 1 && o.maxDelayMs / o.bucketMs <= 10_000, 'bucketMs', o.bucketMs, 'a number ≥ 1 giving at most 10000 buckets up to maxDelayMs');
  check(Number.isInteger(o.capacity) && o.capacity >= 2 && o.capacity <= 100_000, 'capacity', o.capacity, 'an integer from 2 to 100000');
  check(typeof o.timeStretch === 'boolean', 'timeStretch', o.timeStretch, 'a boolean');
  check(typeof o.decelerate === 'boolean', 'decelerate', o.decelerate, 'a boolean');
  check(isNumber(o.stretchHoldMs) && o.stretchHoldMs >= 0, 'stretchHoldMs', o.stretchHoldMs, 'a number ≥ 0');
  check(isNumber(o.maxUnderrunMs) && o.maxUnderrunMs >= 0, 'maxUnderrunMs', o.maxUnderrunMs, 'a number ≥ 0');
  check(Number.isInteger(o.lateResetCount) && o.lateResetCount >= 1, 'lateResetCount', o.lateResetCount, 'an integer ≥ 1');
  return o;
}
