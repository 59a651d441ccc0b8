import { describe, expect, it } from 'vitest';
import { DEFAULT_TRIM_POLICY, TrimPolicy } from '../src/memory/trim-policy.js';

const MB = 2 ** 20;

/** Readings every second from `from` to `to` (ms) with these connections and free bytes; the reasons given, by time. */
function run(policy: TrimPolicy, from: number, to: number, connections: (t: number) => number, freeBytes: (t: number) => number | undefined, released = 10 * MB) {
  const trims: Array<[number, string]> = [];
  for (let t = from; t <= to; t += 1000) {
    const reason = policy.decide({ now: t, connections: connections(t), freeBytes: freeBytes(t) });
    if (reason) {
      trims.push([t, reason]);
      policy.trimmed(t, released, freeBytes(t), connections(t));
    }
  }
  return trims;
}

describe('memory trim policy (src/memory/trim-policy.ts)', () => {
  it('trims once when the load falls, once more when it has been quiet, then not while nothing changes', () => {
    const policy = new TrimPolicy(DEFAULT_TRIM_POLICY, 0);
    // 60 s of 40 connections going up and down by one, then none; 30 MB free all along.
    const trims = run(policy, 0, 200_000, (t) => (t < 60_000 ? 39 + ((t / 1000) % 2) : 0), () => 30 * MB);
    expect(trims).toEqual([
      [60_000, 'load-fell'],
      [70_000, 'quiet'],
    ]);
  });

  it('does not trim under steady load, nor with little free memory in the allocator', () => {
    const busy = new TrimPolicy(DEFAULT_TRIM_POLICY, 0);
    expect(run(busy, 0, 120_000, (t) => 30 + ((t / 1000) % 3), () => 50 * MB)).toEqual([]);
    const tidy = new TrimPolicy(DEFAULT_TRIM_POLICY, 0);
    expect(run(tidy, 0, 120_000, (t) => (t < 30_000 ? 40 : 0), () => 2 * MB)).toEqual([]);
  });

  it('trims again when memory comes back to the allocator after the last trim (garbage collected later)', () => {
    const policy = new TrimPolicy(DEFAULT_TRIM_POLICY, 0);
    const trims = run(policy, 0, 200_000, (t) => (t < 30_000 ? 40 : 0), (t) => (t < 100_000 ? 20 * MB : 40 * MB));
    expect(trims).toEqual([
      [30_000, 'load-fell'],
      [40_000, 'quiet'],
      [100_000, 'freed'],
    ]);
  });

  it('spaces trims that release little further and further apart, up to the longest interval', () => {
    const policy = new TrimPolicy(DEFAULT_TRIM_POLICY, 0);
    // Load rising and falling every 2 s: every check after the interval is a fall.
    const trims = run(policy, 0, 1_000_000, (t) => ((t / 1000) % 2 === 0 ? 40 : 2), () => 30 * MB, 0);
    const gaps = trims.slice(1).map(([t], k) => t - trims[k]![0]);
    expect(gaps.slice(0, 5)).toEqual([20_000, 40_000, 80_000, 160_000, 300_000]);
    expect(Math.max(...gaps)).toBe(DEFAULT_TRIM_POLICY.maxIntervalMs);
    expect(policy.currentIntervalMs).toBe(DEFAULT_TRIM_POLICY.maxIntervalMs);
  });

  it('without an allocator figure (no mallinfo2) it goes by the load alone', () => {
    const policy = new TrimPolicy(DEFAULT_TRIM_POLICY, 0);
    expect(run(policy, 0, 100_000, (t) => (t < 30_000 ? 20 : 1), () => undefined).map(([, r]) => r)).toEqual(['load-fell', 'quiet']);
  });
});
