import { describe, expect, it } from 'vitest';
import { PcmFrameRing } from '../src/audio/pcm-frame-ring.js';
import { OutputQueue } from '../src/media-path/output-queue.js';

/** Frames of `frameSamples` whose samples all equal the frame's number. */
const frame = (n: number, frameSamples = 4) => new Int16Array(frameSamples).fill(n);

/** Everything due at `now`: each frame as its first sample, each mark as its name. */
function drain(q: OutputQueue, now: number): Array<number | string> {
  const out: Array<number | string> = [];
  for (let due = q.next(now); due !== undefined; due = q.next(now)) out.push(due === 'frame' ? q.takeFrame()[0]! : q.takeMark().name);
  return out;
}

function pushFrames(q: OutputQueue, numbers: number[], now: number): void {
  for (const n of numbers) q.pushSamples(frame(n), 0, 4, now);
}

describe('OutputQueue (PCM frames, encoded when sent)', () => {
  it('sends the lead at once, then one frame per period', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 40, capacity: 100, frameSamples: 4 });
    pushFrames(q, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0);
    expect(drain(q, 0)).toEqual([0, 1, 2]);
    expect(drain(q, 19)).toEqual([]);
    expect(drain(q, 20)).toEqual([3]);
    expect(drain(q, 100)).toEqual([4, 5, 6, 7]);
    expect(q.length).toBe(2);
  });

  it('cuts any lengths into whole frames, keeping every sample in order; the remainder waits or is padded', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 1000, capacity: 100, frameSamples: 4 });
    const input = Int16Array.from({ length: 11 }, (_, i) => i + 1);
    q.pushSamples(input, 0, 3, 0);
    expect(q.length).toBe(0);
    expect(q.partialSamples).toBe(3);
    q.pushSamples(input, 3, 9, 0);
    expect(q.length).toBe(2);
    q.pushSamples(input, 9, 11, 0);
    q.flushPartial(0);
    const frames: number[][] = [];
    while (q.next(0) === 'frame') frames.push([...q.takeFrame()]);
    expect(frames).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 0]]);
    expect(q.partialSamples).toBe(0);
  });

  it('puts marks out right after the audio before them, not before a frame still pending', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 0, capacity: 100, frameSamples: 4 });
    q.pushMark('first', 'client');
    pushFrames(q, [0, 1], 0);
    q.pushSamples(frame(7), 0, 2, 0); // half a frame: it comes after the mark
    q.pushMark('m', 'client');
    expect(drain(q, 0)).toEqual(['first', 0]);
    expect(drain(q, 20)).toEqual([1, 'm']);
    expect(q.isEmpty).toBe(true);
  });

  it('clear drops audio (and the partial frame), keeps marks, counts, and restarts the lead', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 20, capacity: 100, frameSamples: 4 });
    pushFrames(q, [0, 1, 2, 3, 4], 0);
    q.pushMark('after', 'handler');
    q.pushSamples(frame(5), 0, 3, 0);
    expect(drain(q, 0)).toEqual([0, 1]);
    q.clear();
    expect(q.stats.framesCleared).toBe(3);
    expect(q.partialSamples).toBe(0);
    expect(drain(q, 0)).toEqual(['after']);
    pushFrames(q, [9], 500);
    expect(drain(q, 500)).toEqual([9]);
  });

  it('is bounded: overflow drops the newest and counts it', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 0, capacity: 3, frameSamples: 4 });
    pushFrames(q, [0, 1, 2, 3, 4], 0);
    expect(q.length).toBe(3);
    expect(q.stats.framesDroppedOverflow).toBe(2);
    expect(q.stats.framesQueued).toBe(3);
    expect(drain(q, 1000)).toEqual([0, 1, 2]);
  });

  it('does not grant the lead twice when a stream briefly runs dry', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 40, capacity: 100, frameSamples: 4 });
    pushFrames(q, [0, 1, 2], 0);
    expect(drain(q, 0)).toEqual([0, 1, 2]); // frames due at -40, -20, 0
    pushFrames(q, [3], 5); // timeline is ahead of real time: this one is due at 20
    expect(drain(q, 5)).toEqual([]);
    expect(drain(q, 20)).toEqual([3]);
  });

  it('throws when asked for a frame or mark that is not there', () => {
    const q = new OutputQueue({ frameMs: 20, leadMs: 0, capacity: 3, frameSamples: 4 });
    expect(() => q.takeFrame()).toThrow(/no frame/);
    expect(() => q.takeMark()).toThrow(/no mark/);
  });
});

describe('PcmFrameRing', () => {
  it('keeps frames in order across wrap-arounds and growth, with the partial frame behind them', () => {
    const ring = new PcmFrameRing(3, 1000);
    let next = 0;
    let expected = 0;
    const chunk = (n: number) => Int16Array.from({ length: n }, () => next++);
    // Uneven chunks, taken out at an uneven pace: the ring grows, wraps and keeps order.
    for (let round = 0; round < 200; round++) {
      ring.append(chunk(1 + (round % 7)));
      const take = round % 3 === 0 ? 0 : Math.min(ring.length, 1 + (round % 4));
      for (let i = 0; i < take; i++) {
        expect([...ring.peek()!]).toEqual([expected, expected + 1, expected + 2]);
        expected += 3;
        ring.shift();
      }
    }
    while (ring.length > 0) {
      expect(ring.peek()![0]).toBe(expected);
      expected += 3;
      ring.shift();
    }
    expect(expected + ring.partial).toBe(next);
  });

  it('keeps a stream of frame-sized chunks behind a short lead in order as it wraps (the resampler output path)', () => {
    const ring = new PcmFrameRing(480, 6000);
    let next = 0;
    let expected = 0;
    const chunk = (n: number) => Int16Array.from({ length: n }, () => next++ & 0x7fff);
    ring.append(chunk(33));
    for (let round = 0; round < 40; round++) {
      expect(ring.append(chunk(480))).toBe(1);
      const frame = ring.peek()!;
      for (let i = 0; i < 480; i++) expect(frame[i]).toBe((expected + i) & 0x7fff);
      expected += 480;
      ring.shift();
    }
    expect(ring.partial).toBe(33);
  });

  it('holds no memory until audio comes, and gives a long reply back once empty', () => {
    const ring = new PcmFrameRing(480, 6000);
    expect(ring.allocatedSamples).toBe(0);
    ring.append(new Int16Array(480 * 3 + 10));
    const small = ring.allocatedSamples;
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThanOrEqual(480 * 5); // four slots and one frame of spill area
    while (ring.length > 0) ring.shift();
    ring.dropPartial();
    expect(ring.allocatedSamples).toBe(small); // a short reply keeps its slots: no churn
    ring.append(new Int16Array(480 * 500));
    expect(ring.allocatedSamples).toBeGreaterThanOrEqual(480 * 500);
    expect(ring.clear()).toBe(500);
    expect(ring.allocatedSamples).toBe(0);
  });

  it('refuses bad sizes with the offending value', () => {
    expect(() => new PcmFrameRing(0, 10)).toThrow(/frameSamples must be a positive integer, got 0/);
    expect(() => new PcmFrameRing(10, 1.5)).toThrow(/capacity must be a positive integer, got 1.5/);
  });
});

describe('OutputQueue: late audio catches up', () => {
  const frame = (v: number) => new Int16Array(160).fill(v);
  /** Frames sent at each ms from `from` to `to`, ticking every ms. */
  function sendUntil(q: OutputQueue, from: number, to: number, sent: Array<{ at: number; v: number }>) {
    for (let t = from; t <= to; t++) while (q.next(t) === 'frame') sent.push({ at: t, v: q.takeFrame()[0]! });
  }

  for (const late of [false, true]) {
    it(late ? 'a reply to input a stall held up goes out at once, and what follows keeps real time' : 'without lateness, a burst is paced out (the lead, then one frame per period)', () => {
      const q = new OutputQueue({ frameMs: 20, leadMs: 60, capacity: 100, frameSamples: 160 });
      const sent: Array<{ at: number; v: number }> = [];
      // An echo on cadence: frame k pushed at 20k, sent at once.
      for (let k = 0; k < 20; k++) {
        q.pushSamples(frame(k), 0, 160, k * 20);
        sendUntil(q, k * 20, k * 20 + 19, sent);
      }
      // The process stalls 300 ms: frames 20..34 (due 400..680) are pushed together at 700, 300 ms late for the first.
      for (let k = 20; k < 35; k++) q.pushSamples(frame(k), 0, 160, 700, late ? 700 - k * 20 : 0);
      sendUntil(q, 700, 700, sent);
      // Then the cadence again: frame k at 20k.
      for (let k = 35; k < 60; k++) {
        q.pushSamples(frame(k), 0, 160, k * 20);
        sendUntil(q, k * 20, k * 20 + 19, sent);
      }
      sendUntil(q, 1200, 1600, sent);
      const at = (v: number) => sent.find((s) => s.v === v)!.at;
      expect(sent.map((s) => s.v)).toEqual(Array.from({ length: 60 }, (_, k) => k));
      if (late) {
        expect(at(34)).toBe(700); // the whole backlog at once
        for (let k = 35; k < 60; k++) expect(at(k) - k * 20).toBe(0); // no delay carried on
      } else {
        expect(at(34)).toBeGreaterThan(800);
        expect(at(59) - 59 * 20).toBeGreaterThan(200); // the stall minus the lead, for the rest of the stream
      }
    });
  }
});
