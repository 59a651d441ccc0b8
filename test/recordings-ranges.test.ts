import { describe, expect, it } from 'vitest';
import { coalesceRanges, contentRange, MAX_RANGE_SPECS, parseRangeHeader, resolveRanges } from '../src/recordings/byte-range.js';
import { ifRangeHolds, isNotModified } from '../src/recordings/conditional-request.js';
import { planRange, type RepresentationState } from '../src/recordings/range-plan.js';

const resolve = (header: string, size: number) => {
  const parsed = parseRangeHeader(header);
  if (parsed.kind !== 'bytes') return parsed.kind;
  return resolveRanges(parsed.specs, size);
};

describe('parseRangeHeader / resolveRanges (RFC 9110 §14.1)', () => {
  it('reads the three forms and the RFC examples', () => {
    expect(resolve('bytes=0-499', 10_000)).toEqual([{ start: 0, end: 499 }]);
    expect(resolve('bytes=500-999', 10_000)).toEqual([{ start: 500, end: 999 }]);
    expect(resolve('bytes=-500', 10_000)).toEqual([{ start: 9500, end: 9999 }]);
    expect(resolve('bytes=9500-', 10_000)).toEqual([{ start: 9500, end: 9999 }]);
    expect(resolve('bytes=0-0,-1', 10_000)).toEqual([{ start: 0, end: 0 }, { start: 9999, end: 9999 }]);
    expect(resolve('bytes=500-600,601-999', 10_000)).toEqual([{ start: 500, end: 600 }, { start: 601, end: 999 }]);
  });

  it('clamps a last byte past the end and a suffix longer than the representation (whole)', () => {
    expect(resolve('bytes=90-5000', 100)).toEqual([{ start: 90, end: 99 }]);
    expect(resolve('bytes=-200', 100)).toEqual([{ start: 0, end: 99 }]);
  });

  it('calls a first byte at or past the end and a zero suffix unsatisfiable', () => {
    expect(resolve('bytes=100-', 100)).toEqual([]);
    expect(resolve('bytes=100-200', 100)).toEqual([]);
    expect(resolve('bytes=-0', 100)).toEqual([]);
    expect(resolve('bytes=0-', 0)).toEqual([]);
    // one satisfiable spec is enough
    expect(resolve('bytes=500-600,10-19', 100)).toEqual([{ start: 10, end: 19 }]);
  });

  it('marks syntax errors invalid and other units unknown', () => {
    for (const bad of ['bytes=5-2', 'bytes=abc', 'bytes=', 'bytes=-', 'bytes=1-2,x', 'bytes=1', '=0-1', 'bytes=0x10-', 'bytes=1.5-2', 'bytes=- 5', 'by tes=0-1', 'bytes=9999999999999999-']) {
      expect(parseRangeHeader(bad).kind, bad).toBe('invalid');
    }
    expect(parseRangeHeader('items=0-5')).toEqual({ kind: 'unknown-unit', unit: 'items' });
    expect(parseRangeHeader('BYTES=0-5').kind).toBe('bytes');
    expect(parseRangeHeader(`bytes=${Array.from({ length: MAX_RANGE_SPECS + 1 }, (_, i) => `${i}-${i}`).join(',')}`).kind).toBe('invalid');
  });

  it('accepts whitespace around list elements and ignores empty elements', () => {
    expect(resolve('bytes= 1-2 , , 5-9', 100)).toEqual([{ start: 1, end: 2 }, { start: 5, end: 9 }]);
  });

  it('coalesces overlapping and adjacent ranges', () => {
    expect(coalesceRanges([{ start: 10, end: 20 }, { start: 0, end: 5 }, { start: 6, end: 9 }, { start: 30, end: 40 }])).toEqual([
      { start: 0, end: 20 },
      { start: 30, end: 40 },
    ]);
    expect(contentRange({ start: 0, end: 9 }, 100)).toBe('bytes 0-9/100');
    expect(contentRange({ start: 0, end: 9 }, undefined)).toBe('bytes 0-9/*');
  });
});

const finished: RepresentationState = { size: 1000, live: false, etag: '"3e8-abc"', lastModified: 'Sat, 21 Nov 2026 18:00:00 GMT' };
const live: RepresentationState = { size: 1000, live: true, etag: undefined, lastModified: undefined };
const get = (range?: string, ifRange?: string) => ({ method: 'GET', range, ifRange });

describe('planRange', () => {
  it('finished: whole, one range, 416, multiple → whole, ignored headers → whole', () => {
    expect(planRange(get(), finished, { mayWait: false })).toEqual({ kind: 'full', why: 'no-range' });
    expect(planRange(get('bytes=0-99'), finished, { mayWait: false })).toEqual({ kind: 'partial', range: { start: 0, end: 99 } });
    expect(planRange(get('bytes=1000-'), finished, { mayWait: false })).toEqual({ kind: 'unsatisfiable' });
    expect(planRange(get('bytes=0-0,-1'), finished, { mayWait: false })).toEqual({ kind: 'full', why: 'multiple-ranges' });
    expect(planRange(get('bytes=0-10,5-20'), finished, { mayWait: false })).toEqual({ kind: 'partial', range: { start: 0, end: 20 } });
    expect(planRange(get('bytes=9-3'), finished, { mayWait: false })).toEqual({ kind: 'full', why: 'ignored-range' });
    expect(planRange(get('items=0-1'), finished, { mayWait: false })).toEqual({ kind: 'full', why: 'ignored-range' });
    expect(planRange({ method: 'HEAD', range: 'bytes=0-1', ifRange: undefined }, finished, { mayWait: false })).toEqual({ kind: 'full', why: 'head' });
  });

  it('If-Range: strong tag or exact date keeps the range, anything else sends the whole', () => {
    expect(planRange(get('bytes=0-9', '"3e8-abc"'), finished, { mayWait: false }).kind).toBe('partial');
    expect(planRange(get('bytes=0-9', '"other"'), finished, { mayWait: false })).toEqual({ kind: 'full', why: 'if-range-failed' });
    expect(planRange(get('bytes=0-9', 'W/"3e8-abc"'), finished, { mayWait: false }).kind).toBe('full');
    expect(planRange(get('bytes=0-9', 'Sat, 21 Nov 2026 18:00:00 GMT'), finished, { mayWait: false }).kind).toBe('partial');
    expect(planRange(get('bytes=0-9', 'Sat, 21 Nov 2026 18:00:01 GMT'), finished, { mayWait: false }).kind).toBe('full');
    expect(planRange(get('bytes=0-9', 'not a date'), finished, { mayWait: false }).kind).toBe('full');
    expect(planRange(get('bytes=0-9', '"3e8-abc"'), live, { mayWait: true }).kind).toBe('full');
  });

  it('live: open range follows the whole body, closed range waits for its first byte, suffix takes what exists', () => {
    expect(planRange(get('bytes=0-'), live, { mayWait: true })).toEqual({ kind: 'full', why: 'live-open-range' });
    expect(planRange(get('bytes=500-'), live, { mayWait: true })).toEqual({ kind: 'full', why: 'live-open-range' });
    expect(planRange(get('bytes=100-199'), live, { mayWait: true })).toEqual({ kind: 'partial', range: { start: 100, end: 199 } });
    expect(planRange(get('bytes=900-5000'), live, { mayWait: true })).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(planRange(get('bytes=1000-1999'), live, { mayWait: true })).toEqual({ kind: 'wait', untilSize: 1001 });
    expect(planRange(get('bytes=1000-1999'), live, { mayWait: false })).toEqual({ kind: 'unsatisfiable' });
    expect(planRange(get('bytes=-100'), live, { mayWait: true })).toEqual({ kind: 'partial', range: { start: 900, end: 999 } });
    expect(planRange(get('bytes=0-1,5-6'), live, { mayWait: true })).toEqual({ kind: 'full', why: 'multiple-ranges' });
  });
});

describe('preconditions', () => {
  it('If-None-Match (weak comparison, lists, *) wins over If-Modified-Since', () => {
    const check = (ifNoneMatch?: string, ifModifiedSince?: string) => isNotModified({ ifNoneMatch, ifModifiedSince }, finished);
    expect(check('"3e8-abc"')).toBe(true);
    expect(check('W/"3e8-abc"')).toBe(true);
    expect(check('"x", "3e8-abc"')).toBe(true);
    expect(check('*')).toBe(true);
    expect(check('"x"', 'Sun, 22 Nov 2026 00:00:00 GMT')).toBe(false);
    expect(check(undefined, 'Sun, 22 Nov 2026 00:00:00 GMT')).toBe(true);
    expect(check(undefined, 'Fri, 20 Nov 2026 00:00:00 GMT')).toBe(false);
    expect(isNotModified({ ifNoneMatch: '*', ifModifiedSince: undefined }, live)).toBe(false);
  });

  it('If-Range never holds on a live representation', () => {
    expect(ifRangeHolds('"3e8-abc"', { ...finished, live: true })).toBe(false);
  });
});
