import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrivalDelayEstimator } from '../src/jitter/arrival-delay-estimator.js';

const options = { windowMs: 2000, bucketMs: 20, buckets: 11, forgetFactor: 0.983, startWeight: 2 };

/** The definition, by brute force: delay minus the smallest delay among packets that arrived in the window. */
function reference(packets: readonly { senderMs: number; arrivalMs: number }[]): number[] {
  return packets.map((p, i) => {
    let min = Infinity;
    for (let j = 0; j <= i; j++) {
      const q = packets[j]!;
      if (q.arrivalMs >= p.arrivalMs - options.windowMs || j === i) min = Math.min(min, q.arrivalMs - q.senderMs);
    }
    return p.arrivalMs - p.senderMs - min;
  });
}

describe('ArrivalDelayEstimator (sliding minimum in ring buffers)', () => {
  it('gives each packet its delay relative to the window minimum, as the definition does (property)', () => {
    const stream = fc.array(fc.record({ step: fc.integer({ min: 0, max: 400 }), jitter: fc.integer({ min: 0, max: 300 }) }), { maxLength: 300 });
    fc.assert(
      fc.property(stream, (steps) => {
        let arrival = 1000;
        const packets = steps.map(({ step, jitter }, k) => {
          arrival += step;
          return { senderMs: k * 20 - jitter + arrival - 1000 - k * 20, arrivalMs: arrival };
        });
        const estimator = new ArrivalDelayEstimator(options);
        const got = packets.map((p) => estimator.add(p.senderMs, p.arrivalMs));
        expect(got).toEqual(reference(packets));
      }),
      { numRuns: 300 },
    );
  });

  it('grows its window past the first capacity (1 ms packets over 2 s, delays rising) and still finds the minimum', () => {
    const estimator = new ArrivalDelayEstimator(options);
    const packets = Array.from({ length: 3000 }, (_, k) => ({ senderMs: 0, arrivalMs: 1000 + k }));
    const got = packets.map((p) => estimator.add(p.senderMs, p.arrivalMs));
    expect(got).toEqual(reference(packets));
  });

  it('forgets everything on reset', () => {
    const estimator = new ArrivalDelayEstimator(options);
    estimator.add(0, 100);
    estimator.add(20, 300);
    expect(estimator.jitterMs).toBeGreaterThan(0);
    estimator.reset();
    expect(estimator.add(0, 500)).toBe(0);
    expect(estimator.jitterMs).toBe(0);
  });
});
