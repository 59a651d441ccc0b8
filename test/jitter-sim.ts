import { JitterBuffer, type JitterPacket, type JitterPop } from '../src/jitter/jitter-buffer.js';
import type { JitterBufferOptions } from '../src/jitter/jitter-buffer-options.js';

/** One packet arriving at `at` ms. */
export interface Arrival {
  readonly at: number;
  readonly packet: JitterPacket<number>;
}

export interface TickResult {
  readonly tick: number;
  readonly result: JitterPop<number>;
  readonly targetMs: number;
  readonly bufferedMs: number;
}

/**
 * Feeds arrivals to a jitter buffer and pops once per tick (`firstTick + k·tickMs`), pushing
 * everything that arrived at or before a tick before popping it — the way an adapter on a 20 ms
 * clock drives the pure core. Payloads are numbers (the packet's index in the sender's stream).
 */
export function simulate(arrivals: readonly Arrival[], ticks: number, options: Partial<JitterBufferOptions> = {}, firstTick = 10, tickMs = 20) {
  const jb = new JitterBuffer<number>(options);
  const sorted = [...arrivals].sort((a, b) => a.at - b.at);
  const results: TickResult[] = [];
  const outcomes: string[] = [];
  let next = 0;
  for (let k = 0; k < ticks; k++) {
    const tick = firstTick + k * tickMs;
    while (next < sorted.length && sorted[next]!.at <= tick) {
      const a = sorted[next++]!;
      outcomes.push(jb.push(a.packet, a.at));
    }
    const result = jb.pop(tick);
    results.push({ tick, result, targetMs: jb.targetDelayMs, bufferedMs: jb.bufferedMs });
  }
  return { jb, results, outcomes };
}

/** Compact trace: the payload number for audio, 'L' loss, 'U' underrun, 'D' deceleration, '.' empty. */
export function trace(results: readonly TickResult[]): (number | string)[] {
  return results.map(({ result: r }) => (r.kind === 'audio' ? r.payload : r.kind === 'empty' ? '.' : r.reason === 'loss' ? 'L' : r.reason === 'underrun' ? 'U' : 'D'));
}

/** `count` packets 20 ms apart with seq = first + i, arriving at i·20 + offset + extra(i). */
export function stream(count: number, opts: { seqStart?: number; offset?: number; extra?: (i: number) => number; withTimestamp?: boolean } = {}): Arrival[] {
  const { seqStart = 0, offset = 3, extra = () => 0, withTimestamp = false } = opts;
  return Array.from({ length: count }, (_, i) => ({
    at: i * 20 + offset + extra(i),
    packet: { payload: i, seq: (seqStart + i) % 65536, ...(withTimestamp && { timestamp: i * 20 }) },
  }));
}
