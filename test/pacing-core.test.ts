import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../src/audio/frame-splitter.js';
import { FrameClock } from '../src/pacer/frame-clock.js';
import { SharedPacer } from '../src/pacer/shared-pacer.js';
import { OutputQueue } from '../src/session/output-queue.js';

const payload = (n: number) => new Uint8Array([n]);

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

describe('OutputQueue', () => {
  it('sends the lead at once, then one frame per period', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 40, capacity: 100 });
    for (let i = 0; i < 10; i++) q.pushFrame(payload(i), undefined, 0);
    expect(q.due(0).map((x) => (x.kind === 'frame' ? x.payload[0] : -1))).toEqual([0, 1, 2]);
    expect(q.due(19).length).toBe(0);
    expect(q.due(20).length).toBe(1);
    expect(q.due(100).length).toBe(4);
    expect(q.length).toBe(2);
  });

  it('puts marks out right after the audio before them', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 0, capacity: 100 });
    q.pushFrame(payload(0), undefined, 0);
    q.pushFrame(payload(1), undefined, 0);
    q.pushMark('m', 'client');
    expect(q.due(0).map((x) => x.kind)).toEqual(['frame']);
    expect(q.due(20).map((x) => x.kind)).toEqual(['frame', 'mark']);
  });

  it('clear drops audio, keeps marks, counts, and restarts the lead', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 20, capacity: 100 });
    for (let i = 0; i < 5; i++) q.pushFrame(payload(i), undefined, 0);
    q.pushMark('after', 'handler');
    q.due(0);
    q.clear();
    expect(q.stats.framesCleared).toBe(3);
    expect(q.due(0).map((x) => x.kind)).toEqual(['mark']);
    q.pushFrame(payload(9), undefined, 500);
    expect(q.due(500).length).toBe(1);
  });

  it('is bounded: overflow drops the newest and counts it', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 0, capacity: 3 });
    const accepted = [0, 1, 2, 3, 4].map((i) => q.pushFrame(payload(i), undefined, 0));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(q.stats.framesDroppedOverflow).toBe(2);
  });

  it('does not grant the lead twice when a stream briefly runs dry', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 40, capacity: 100 });
    for (let i = 0; i < 3; i++) q.pushFrame(payload(i), undefined, 0);
    expect(q.due(0).length).toBe(3); // frames due at -40, -20, 0
    q.pushFrame(payload(3), undefined, 5); // timeline is ahead of real time: this one is due at 20
    expect(q.due(5).length).toBe(0);
    expect(q.due(20).length).toBe(1);
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
