import { describe, expect, it } from 'vitest';
import { SenderPace } from '../src/media-path/sender-pace.js';

/** Feeds 20 ms packets at `arrivals` and returns `ahead` after each. */
function aheadAfter(arrivals: readonly number[], pace = new SenderPace({ leewayMs: 60 })): boolean[] {
  pace.restart(arrivals[0]!);
  return arrivals.map((t) => {
    pace.onPacket(t, 20);
    return pace.ahead(t);
  });
}

describe('SenderPace (is the sender ahead of real time?)', () => {
  it('a sender on cadence, with jitter, is never ahead', () => {
    const arrivals = Array.from({ length: 500 }, (_, i) => i * 20 + ((i * 7) % 13));
    expect(aheadAfter(arrivals).some(Boolean)).toBe(false);
  });

  it('a late first packet is ahead for at most the settling time, then on time', () => {
    const arrivals = Array.from({ length: 200 }, (_, i) => Math.max(400, i * 20));
    const ahead = aheadAfter(arrivals);
    expect(ahead[20]).toBe(true); // the burst right after the stall looks early
    const lastAhead = ahead.lastIndexOf(true);
    expect(arrivals[lastAhead]! - 400).toBeLessThanOrEqual(1000 + 20);
    expect(ahead.slice(lastAhead + 1).every((a) => !a)).toBe(true);
  });

  it('a sender at twice real time stays ahead for as long as it keeps it up', () => {
    const arrivals = Array.from({ length: 500 }, (_, i) => i * 10); // 5 s, 10 s of audio
    const ahead = aheadAfter(arrivals);
    expect(ahead.slice(10).every(Boolean)).toBe(true);
  });

  it('a sender 10 % fast stays ahead once past the leeway; 2 % fast is let through', () => {
    const fast = aheadAfter(Array.from({ length: 1000 }, (_, i) => (i * 20) / 1.1));
    expect(fast.slice(100).every(Boolean)).toBe(true);
    const slightly = aheadAfter(Array.from({ length: 1000 }, (_, i) => (i * 20) / 1.02));
    expect(slightly.some(Boolean)).toBe(false);
  });

  it('a burst larger than its ring settles early instead of growing memory', () => {
    const pace = new SenderPace({ leewayMs: 60, capacity: 8 });
    const ahead = aheadAfter(Array.from({ length: 100 }, () => 0), pace);
    expect(ahead.at(-1)).toBe(true); // 2 s of audio at one instant is still ahead
  });

  it('restart begins a new spurt', () => {
    const pace = new SenderPace({ leewayMs: 60 });
    aheadAfter(Array.from({ length: 50 }, () => 0), pace);
    expect(pace.ahead(0)).toBe(true);
    pace.restart(5000);
    pace.onPacket(5000, 20);
    expect(pace.ahead(5000)).toBe(false);
    expect(pace.spurtAudioMs).toBe(20);
  });
});

describe('SenderPace: a stall is not a sender ahead', () => {
  it('the burst after a 300 ms stall mid-stream is on time, and says how late it came', () => {
    const pace = new SenderPace({ leewayMs: 60 });
    // 20 ms packets on cadence; packets 50..64 are held up and arrive together at 1300 (a stall).
    const arrivals = Array.from({ length: 150 }, (_, i) => (i >= 50 && i < 65 ? 1300 : i * 20));
    pace.restart(0);
    const late: number[] = [];
    const ahead = arrivals.map((t) => {
      pace.onPacket(t, 20);
      late.push(pace.lateMs(t, 20));
      return pace.ahead(t);
    });
    expect(ahead.some(Boolean)).toBe(false);
    expect(late[50]).toBe(300); // the first of the burst is as late as the stall
    expect(late[64]).toBe(20);
    expect(late[100]).toBe(0);
  });

  it('a first packet read late because the session was being set up is a stall, not a sender ahead', () => {
    const pace = new SenderPace({ leewayMs: 60 });
    const arrivals = Array.from({ length: 100 }, (_, i) => Math.max(300, i * 20)); // opened at 0, read from 300
    pace.restart(arrivals[0]!, 0);
    const ahead = arrivals.map((t) => {
      pace.onPacket(t, 20);
      return pace.ahead(t);
    });
    expect(ahead.some(Boolean)).toBe(false);
    // Without the session's start it would be ahead for a second (the spurt seems to begin at 300).
    expect(aheadAfter(arrivals)[15]).toBe(true);
  });

  it('pauses give at most maxCatchUpMs of credit, however many: a bigger burst is ahead', () => {
    const pace = new SenderPace({ leewayMs: 60, maxCatchUpMs: 1000 });
    pace.restart(0);
    let t = 0;
    // Ten talk spurts of 200 ms, each followed by 800 ms of silence not sent (8 s behind real time by the end).
    for (let spurt = 0; spurt < 10; spurt++, t += 800) for (let k = 0; k < 10; k++, t += 20) pace.onPacket(t, 20);
    // Then 1.5 s of audio at once: the first second of it is the credit, the rest is ahead.
    const ahead: boolean[] = [];
    for (let k = 0; k < 75; k++) {
      pace.onPacket(t, 20);
      ahead.push(pace.ahead(t));
    }
    expect(ahead[40]).toBe(false);
    expect(ahead[74]).toBe(true);
  });
});
