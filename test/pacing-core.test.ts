import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../src/audio/frame-splitter.js';
import { FrameClock } from '../src/pacer/frame-clock.js';
import { SharedPacer } from '../src/pacer/shared-pacer.js';

describe('FrameClock', () => {
  it('keeps deadlines on start + k·period whatever the lateness of wake-ups', () => {
    const clock = new FrameClock(20, 1000);
    expect(clock.nextDeadline()).toBe(1020);
    expect(clock.advance(1023.7)).toBe(1); // woke late
    expect(clock.nextDeadline()).toBe(1040); // not 1043.7: no drift
    expect(clock.advance(1039)).toBe(0); // early wake-up: nothing due
    expect(clock.advance(1101)).toBe(4); // busy loop: 1040, 1060, 1080, 1100 → skipped, not replayed
    expect(clock.nextDeadline()).toBe(1120);
  });
});

describe('SharedPacer', () => {
  it('tells members which ticks ran on schedule: not the one after a busy event loop', async () => {
    const pacer = new SharedPacer(20);
    const ticks: boolean[] = [];
    await new Promise<void>((done) => {
      pacer.join({
        onTick(_now, onSchedule) {
          ticks.push(onSchedule);
          if (ticks.length === 3) {
            const end = performance.now() + 70; // the loop is busy past the next deadlines
            while (performance.now() < end) {
              // busy
            }
          }
          if (ticks.length < 10) return true;
          done();
          return false;
        },
      });
    });
    pacer.stop();
    expect(ticks[3]).toBe(false);
    expect(ticks.slice(4)).toContain(true); // the next deadlines are kept: on schedule again
    expect(pacer.skippedTicks).toBeGreaterThanOrEqual(2);
  });
});

describe('FrameSplitter', () => {
  it('cuts any lengths into fixed frames, keeping every sample in order', () => {
    const s = new FrameSplitter(4);
    const input = Int16Array.from({ length: 11 }, (_, i) => i + 1);
    const frames = [...s.push(input.subarray(0, 3)), ...s.push(input.subarray(3, 9)), ...s.push(input.subarray(9))];
    expect(frames.map((f) => [...f])).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
    expect([...s.flush()!]).toEqual([9, 10, 11, 0]);
    expect(s.flush()).toBeUndefined();
  });
});
