import { describe, expect, it } from 'vitest';
import { SegmentMarks } from '../src/media-path/segment-marks.js';
import { SendPolicy } from '../src/media-path/send-policy.js';

describe('SegmentMarks (phone reply segments)', () => {
  it('ends a segment after three dry ticks following audio, numbering the marks', () => {
    const marks = new SegmentMarks();
    expect(marks.tick(true)).toBeUndefined(); // nothing sent yet: no segment
    marks.sent();
    expect(marks.open).toBe(true);
    expect(marks.tick(true)).toBeUndefined();
    expect(marks.tick(false)).toBeUndefined(); // audio still queued: does not count
    expect(marks.tick(true)).toBeUndefined();
    expect(marks.tick(true)).toBe('wg-segment-1');
    expect(marks.open).toBe(false);
    marks.sent();
    for (let i = 0; i < 2; i++) marks.tick(true);
    marks.sent(); // the reply goes on: the count starts again
    expect([marks.tick(true), marks.tick(true), marks.tick(true)]).toEqual([undefined, undefined, 'wg-segment-2']);
  });

  it('a clear ends the segment without a mark', () => {
    const marks = new SegmentMarks();
    marks.sent();
    marks.cleared();
    expect([marks.tick(true), marks.tick(true), marks.tick(true), marks.tick(true)]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe('SendPolicy (slow consumers)', () => {
  it('sends while the socket keeps up, drops while it is behind, gives up after the timeout, forgives on recovery', () => {
    const policy = new SendPolicy(1000, 5000);
    expect(policy.verdict(1000, 0)).toBe('send');
    expect(policy.verdict(1001, 100)).toBe('drop');
    expect(policy.verdict(50_000, 5100)).toBe('drop');
    expect(policy.verdict(50_000, 5101)).toBe('give_up');
    const recovering = new SendPolicy(1000, 5000);
    recovering.verdict(2000, 0);
    expect(recovering.verdict(0, 4000)).toBe('send');
    expect(recovering.verdict(2000, 8000)).toBe('drop'); // behind again: a new 5 s starts
    expect(recovering.verdict(2000, 13_001)).toBe('give_up');
  });
});
