import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ActiveSpeaker } from '../src/rooms/active-speaker.js';
import { ParticipantInput } from '../src/rooms/participant-input.js';
import { RoomMixer, type MixerMember } from '../src/rooms/room-mixer.js';
import { LIMIT_KNEE, softLimit } from '../src/rooms/soft-limit.js';

const N = 32;

function member(id: string, received: Int16Array[][], options: Partial<MixerMember> = {}): MixerMember {
  const input = new ParticipantInput({ frameSamples: N, primeFrames: 1, maxFrames: 4, capacity: 8 });
  const log: Int16Array[] = [];
  received.push(log);
  return { id, input, muted: false, gain: 1, listener: (pcm) => log.push(pcm.slice()), always: true, frame: undefined, level: 0, heard: false, ...options };
}

const frameArb = fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: N, maxLength: N }).map((a) => Int16Array.from(a));

describe('soft limiter', () => {
  it('is exact below the knee, monotonic, and never reaches full scale', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e7, max: 1e7, noNaN: true }), fc.double({ min: -1e7, max: 1e7, noNaN: true }), (a, b) => {
        const ya = softLimit(a);
        const yb = softLimit(b);
        expect(Math.abs(ya)).toBeLessThan(32767);
        if (Math.abs(a) <= LIMIT_KNEE) expect(ya).toBe(Math.round(a));
        if (a <= b) expect(ya).toBeLessThanOrEqual(yb);
      }),
    );
  });
});

describe('RoomMixer', () => {
  it('gives every member the sum of the others (N−1): its own contribution is absent', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(frameArb, fc.boolean(), fc.constantFrom(0, 0.5, 1, 2)), { minLength: 1, maxLength: 7 }), (specs) => {
        const received: Int16Array[][] = [];
        const mixer = new RoomMixer(N, 0);
        const members = specs.map(([frame, muted, gain], i) => {
          const m = member(`p${i}`, received, { muted, gain });
          m.input.push(frame);
          mixer.add(m);
          return m;
        });
        mixer.tick(0);
        members.forEach((m, i) => {
          const expected = new Int16Array(N);
          for (let s = 0; s < N; s++) {
            let sum = 0;
            specs.forEach(([frame, muted, gain], j) => {
              if (j !== i && !muted && gain > 0) sum += gain * frame[s]!;
            });
            expected[s] = softLimit(sum);
          }
          expect(received[i]).toHaveLength(1);
          // Float sums in another order may differ by rounding of the last bit before the limiter.
          for (let s = 0; s < N; s++) expect(Math.abs(received[i]![0]![s]! - expected[s]!)).toBeLessThanOrEqual(1);
          void m;
        });
      }),
    );
  });

  it('never clips: every mixed sample stays inside int16, however loud the room', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 2, maxLength: 12 }), (frames) => {
        const received: Int16Array[][] = [];
        const mixer = new RoomMixer(N, 0);
        for (const [i, frame] of frames.entries()) {
          const m = member(`p${i}`, received, { gain: 2 });
          m.input.push(frame);
          mixer.add(m);
        }
        mixer.tick(0);
        for (const log of received) for (const s of log[0]!) expect(Math.abs(s)).toBeLessThan(32767);
      }),
    );
  });

  it('skips silent members: nothing is delivered to people when nobody else is heard', () => {
    const received: Int16Array[][] = [];
    const mixer = new RoomMixer(N, 0.001);
    const a = member('a', received, { always: false });
    const b = member('b', received, { always: false });
    mixer.add(a);
    mixer.add(b);
    a.input.push(new Int16Array(N)); // silence: below the gate
    expect(mixer.tick(0)).toEqual({ heard: 0, delivered: 0 });
    a.input.push(new Int16Array(N).fill(3000));
    expect(mixer.tick(20)).toEqual({ heard: 1, delivered: 1 }); // only b hears a; a hears nobody
    expect(received[0]).toHaveLength(0);
    expect(received[1]![0]![0]).toBe(3000);
  });

  it('conceals a late frame by fading the last one out, then goes quiet', () => {
    const input = new ParticipantInput({ frameSamples: 4, primeFrames: 1, maxFrames: 4, capacity: 8 });
    input.push(Int16Array.from([1000, 1000, 1000, 1000]));
    expect([...input.take()!]).toEqual([1000, 1000, 1000, 1000]);
    expect([...input.take()!]).toEqual([1000, 750, 500, 250]);
    expect(input.take()).toBeUndefined();
    expect(input.framesConcealed).toBe(1);
  });

  it('bounds the latency a participant running ahead builds up', () => {
    const input = new ParticipantInput({ frameSamples: 2, primeFrames: 1, maxFrames: 2, capacity: 16 });
    for (let i = 0; i < 6; i++) input.push(Int16Array.from([i, i]));
    expect(input.take()![0]).toBe(4);
    expect(input.framesDroppedLate).toBe(4);
  });
});

describe('ActiveSpeaker', () => {
  it('follows the loudest speaker with hysteresis and reports onsets', () => {
    const detector = new ActiveSpeaker();
    let r = detector.update([['a', 0.1], ['b', 0]]);
    expect(r).toEqual({ onsets: ['a'], changed: true });
    expect(detector.current).toBe('a');
    r = detector.update([['a', 0.1], ['b', 0.12]]); // b a little louder: a stays
    expect(detector.current).toBe('a');
    for (let i = 0; i < 60; i++) r = detector.update([['a', 0], ['b', 0.12]]);
    expect(detector.current).toBe('b');
    for (let i = 0; i < 100; i++) detector.update([['a', 0], ['b', 0]]);
    expect(detector.current).toBeUndefined();
  });
});
