import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { trendPerMinute } from '../bench/soak-slope.js';

describe('soak trend fit', () => {
  it('finds the growth per minute whatever number of sessions each sample caught open', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 20 }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (open, perMinute, perSession, base) => {
          // Not all the same: otherwise the sessions term is not separable (and time alone is the fit).
          fc.pre(new Set(open).size > 1);
          const points = open.map((s, k) => ({ atMin: 0.5 + k / 6, sessionsOpen: s, value: base + perMinute * (0.5 + k / 6) + perSession * s }));
          // Sessions open rising exactly with time cannot be told from a trend: the fit falls back to time alone.
          const t = points.map((p) => p.atMin);
          const collinear = open.every((s, k) => k === 0 || (s - open[0]!) * (t[1]! - t[0]!) === (open[1]! - open[0]!) * (t[k]! - t[0]!));
          fc.pre(!collinear);
          expect(trendPerMinute(points)).toBeCloseTo(perMinute, 6);
        },
      ),
    );
  });

  it('reads a flat gateway as flat: fds that follow the sessions open are not a leak', () => {
    // Nine samples, 10 s apart, of a gateway whose every open session holds 3 fds and nothing leaks.
    const open = [4, 5, 4, 6, 5, 6, 6, 5, 6];
    const points = open.map((s, k) => ({ atMin: 0.5 + k / 6, sessionsOpen: s, value: 40 + 3 * s }));
    expect(trendPerMinute(points)).toBeCloseTo(0, 9);
    // The plain fit on time alone calls it growth.
    const plain = trendPerMinute(points.map((p) => ({ ...p, sessionsOpen: 0 })));
    expect(plain).toBeGreaterThan(2);
    // One fd leaked every 10 s on top of that: 6 a minute.
    expect(trendPerMinute(points.map((p, k) => ({ ...p, value: p.value + k })))).toBeCloseTo(6, 9);
  });

  it('is the plain slope when the sessions open never change, and 0 for fewer than two samples', () => {
    const points = [0, 1, 2, 3].map((k) => ({ atMin: k, sessionsOpen: 6, value: 10 + 2 * k }));
    expect(trendPerMinute(points)).toBeCloseTo(2, 12);
    expect(trendPerMinute(points.slice(0, 1))).toBe(0);
  });
});
