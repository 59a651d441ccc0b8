import { describe, expect, test } from 'vitest';
import { JitterBuffer } from '../src/jitter/jitter-buffer.js';
import { WavegateError } from '../src/errors/wavegate-error.js';
import { simulate, stream, trace, type Arrival } from './jitter-sim.js';

// 48 kHz (the default) → 960 samples per 20 ms packet.
const PACKET = 960;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const audioPayloads = (t: (number | string)[]) => t.filter((x): x is number => typeof x === 'number');
/** 100 smooth packets first, so the delay histogram has settled before the event under test. */
const WARM = 100;

describe('jitter buffer core', () => {
  test('in-order smooth arrival plays every packet at one packet of delay, then conceals and goes quiet', () => {
    // Packets arrive 3 ms into each 20 ms slot, ticks come at 10 ms: each waits exactly 7 ms.
    const { jb, results, outcomes } = simulate(stream(20), 30);
    expect(trace(results)).toEqual([...range(0, 20), 'U', 'U', 'U', 'U', 'U', 'U', '.', '.', '.', '.']);
    expect(outcomes.every((o) => o === 'accepted')).toBe(true);
    const s = jb.stats();
    expect(s).toMatchObject({
      packetsReceived: 20, packetsLost: 0, packetsDiscarded: 0, packetsLate: 0, packetsDuplicate: 0, packetsOverflow: 0,
      jitterBufferEmittedCount: 20 * PACKET,
      // maxUnderrunMs 120 → six 20 ms concealment steps after the stream stops, one event.
      concealedSamples: 6 * PACKET, concealmentEvents: 1,
      insertedSamplesForDeceleration: 0, removedSamplesForAcceleration: 0,
      totalSamplesReceived: 26 * PACKET, targetDelayMs: 20, bufferedPackets: 0,
    });
    expect(s.jitterBufferDelay).toBeCloseTo(20 * PACKET * 0.007, 9);
    expect(s.jitterBufferTargetDelay).toBeCloseTo(20 * PACKET * 0.02, 9);
    expect(s.jitter).toBe(0);
  });

  test('reordered packets within the target are played in order, none late or concealed', () => {
    // Warm up with 0/30 ms alternating delay: the target settles at 20 + 30 = 50 ms.
    const arrivals = stream(WARM + 100, { extra: (i) => (i < WARM ? (i % 2) * 30 : i % 2 === 0 ? 25 : 0) });
    // From WARM on, every even packet arrives 5 ms after the odd one that follows it.
    const { jb, results } = simulate(arrivals, WARM + 110);
    expect(results[WARM]!.targetMs).toBe(50);
    const t = trace(results);
    const start = t.indexOf(WARM);
    expect(t.slice(start, start + 100)).toEqual(range(WARM, WARM + 100));
    // Only the first packets, before the target had learnt the jitter, came too late.
    expect(audioPayloads(t.slice(0, start)).length).toBeGreaterThanOrEqual(WARM - 4);
    expect(jb.stats().packetsLate).toBe(WARM - audioPayloads(t.slice(0, start)).length);
  });

  test('duplicates (buffered or already played) are dropped and counted, not in packetsDiscarded', () => {
    const arrivals: Arrival[] = [...stream(20)];
    arrivals.push({ at: 5 * 20 + 4, packet: { payload: 5, seq: 5 } }); // while 5 is buffered
    arrivals.push({ at: 7 * 20 + 4, packet: { payload: 7, seq: 7 } });
    arrivals.push({ at: 12 * 20 + 4, packet: { payload: 3, seq: 3 } }); // long after 3 was played
    const { jb, results, outcomes } = simulate(arrivals, 20);
    expect(trace(results)).toEqual(range(0, 20));
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(3);
    expect(jb.stats()).toMatchObject({ packetsReceived: 23, packetsDuplicate: 3, packetsDiscarded: 0, packetsLate: 0 });
    // RFC 3550: duplicates count as received, so the loss count goes negative.
    expect(jb.stats().packetsLost).toBe(-3);
  });

  test('a packet arriving after its turn is late: dropped and counted, its slot concealed', () => {
    const late = WARM + 10;
    const arrivals = stream(WARM + 30).map((a) => (a.packet.payload === late ? { ...a, at: a.at + 100 } : a));
    const { jb, results, outcomes } = simulate(arrivals, WARM + 30);
    const t = trace(results);
    // Nothing buffered at its tick: one step concealed while waiting, which then stands for it.
    expect(t.slice(late - 1, late + 3)).toEqual([late - 1, 'U', late + 1, late + 2]);
    expect(outcomes.filter((o) => o === 'late')).toHaveLength(1);
    expect(jb.stats()).toMatchObject({ packetsLate: 1, packetsDiscarded: 1, packetsLost: 0, concealedSamples: PACKET, concealmentEvents: 1 });
  });

  test('a lost burst is concealed step for step with no added delay', () => {
    const lost = range(WARM + 20, WARM + 25);
    const arrivals = stream(WARM + 40).filter((a) => !lost.includes(a.packet.payload));
    const { jb, results } = simulate(arrivals, WARM + 40);
    const t = trace(results);
    expect(t.slice(WARM + 19, WARM + 26)).toEqual([WARM + 19, 'U', 'U', 'U', 'U', 'U', WARM + 25]);
    // Same playout slot as without the loss: packet n plays at tick n.
    expect(t.slice(WARM + 25, WARM + 40)).toEqual(range(WARM + 25, WARM + 40));
    expect(jb.stats()).toMatchObject({
      packetsReceived: WARM + 35, packetsLost: 5, packetsDiscarded: 0,
      concealedSamples: 5 * PACKET, concealmentEvents: 1, jitterBufferEmittedCount: (WARM + 35) * PACKET,
    });
  });

  test('with later packets buffered a gap is declared lost at once, handing over the next packet for FEC', () => {
    const lost = [WARM + 20, WARM + 30, WARM + 31];
    const arrivals = stream(WARM + 40).filter((a) => !lost.includes(a.packet.payload));
    // A 100 ms minimum delay keeps five packets buffered, so the ones after a gap are there in time.
    const { jb, results } = simulate(arrivals, WARM + 60, { minDelayMs: 100 });
    const t = trace(results);
    const one = t.indexOf(WARM + 19) + 1;
    expect(t.slice(one, one + 2)).toEqual(['L', WARM + 21]);
    expect(results[one]!.result).toMatchObject({ kind: 'conceal', reason: 'loss', nextPayload: WARM + 21 });
    // Two missing leave only 60 ms buffered (< the 75 ms low limit): wait one step, then give up on both.
    const two = t.indexOf(WARM + 29) + 1;
    expect(t.slice(two, two + 3)).toEqual(['U', 'L', WARM + 32]);
    expect(results[two + 1]!.result).toMatchObject({ kind: 'conceal', reason: 'loss', nextPayload: WARM + 32 });
    expect(audioPayloads(t)).toEqual(range(0, WARM + 40).filter((p) => !lost.includes(p)));
    // Afterwards only the end of the stream is concealed (six steps, maxUnderrunMs = 120).
    expect(t.slice(two + 3).filter((x) => x === 'U' || x === 'L')).toEqual(['U', 'U', 'U', 'U', 'U', 'U']);
    expect(jb.stats()).toMatchObject({ packetsLost: 3, packetsLate: 0, concealedSamples: (1 + 2 + 6) * PACKET, concealmentEvents: 3 });
  });

  test('a jitter spike raises the target; forgetting brings it back down and acceleration drains the buffer', () => {
    // Packets 50..59 are held up and arrive together, 200 ms late for the first.
    const arrivals = stream(300, { extra: (i) => (i >= 50 && i < 60 ? (60 - i) * 20 : 0) });
    const { jb, results } = simulate(arrivals, 330);
    const at = (tick: number) => results.find((r) => r.tick === tick)!;
    expect(at(990).targetMs).toBe(20);
    expect(at(1230).targetMs).toBeGreaterThanOrEqual(180);
    expect(at(3230).targetMs).toBe(20);
    // The buffer shrank back with the target (one packet waits in it besides the one playing).
    expect(at(3230).bufferedMs).toBeLessThanOrEqual(20);
    const s = jb.stats();
    expect(s.removedSamplesForAcceleration).toBeGreaterThanOrEqual(6 * PACKET);
    expect(s.removedSamplesForAcceleration % PACKET).toBe(0);
    expect(s).toMatchObject({ packetsLost: 0, packetsLate: 0, packetsDiscarded: 0 });
    // Played out in order: the dropped packets are exactly the ones not played.
    const played = audioPayloads(trace(results));
    expect(played).toEqual([...played].sort((a, b) => a - b));
    expect(s.jitterBufferEmittedCount).toBe(played.length * PACKET);
    // Every packet was either played or dropped to catch up.
    expect(played.length + s.removedSamplesForAcceleration / PACKET).toBe(300);
  });

  test('when jitter grows the buffer decelerates (inserts steps) to reach the new target, then underruns stop', () => {
    // Smooth, then every other packet arrives 50 ms late. Until the target has learnt that, some of
    // them miss their turn (their slot concealed, they are late); afterwards none does.
    const arrivals = stream(WARM + 200, { extra: (i) => (i >= WARM && i % 2 === 1 ? 50 : 0) });
    const { jb, results, outcomes } = simulate(arrivals, WARM + 200);
    expect(results[WARM - 1]!.targetMs).toBe(20);
    expect(results.at(-1)!.targetMs).toBe(70);
    expect(jb.stats().insertedSamplesForDeceleration).toBeGreaterThan(0);
    expect(trace(results).slice(-150).filter((x) => typeof x === 'string')).toEqual([]);
    expect(outcomes.slice(-150).filter((o) => o !== 'accepted')).toEqual([]);
    expect(jb.stats().packetsLate).toBeLessThanOrEqual(6);
  });

  test('timeStretch: false neither drops nor inserts', () => {
    const arrivals = stream(300, { extra: (i) => (i >= 50 && i < 60 ? (60 - i) * 20 : 0) });
    const { jb } = simulate(arrivals, 300, { timeStretch: false });
    expect(jb.stats()).toMatchObject({ removedSamplesForAcceleration: 0, insertedSamplesForDeceleration: 0 });
  });

  test('decelerate: false never inserts a step below target', () => {
    const arrivals = stream(300, { extra: (i) => (i < 100 && i % 4 === 1 ? 35 : 0) });
    const withInserts = simulate(arrivals, 300, {}).jb.stats();
    expect(withInserts.insertedSamplesForDeceleration).toBeGreaterThan(0); // the same stream does insert by default
    const { jb, results } = simulate(arrivals, 300, { decelerate: false });
    expect(jb.stats().insertedSamplesForDeceleration).toBe(0);
    expect(trace(results)).not.toContain('D');
  });

  test('16-bit sequence numbers wrap around (65535 → 0), also when reordered across the wrap', () => {
    const arrivals = stream(20, { seqStart: 65_530 });
    // 65535 (payload 5) arrives after 0 (payload 6) — a 5 ms reorder straddling the wrap.
    const swapped = arrivals.map((a) => (a.packet.payload === 5 ? { ...a, at: a.at + 2 } : a.packet.payload === 6 ? { ...a, at: a.at - 19 } : a));
    const { jb, results } = simulate(swapped, 22, { minDelayMs: 40 });
    expect(audioPayloads(trace(results))).toEqual(range(0, 20));
    expect(jb.stats()).toMatchObject({ packetsLost: 0, packetsLate: 0, packetsDuplicate: 0 });
  });

  test("Twilio's growing decimal string sequence numbers order packets, past 65535 too", () => {
    const arrivals: Arrival[] = range(0, 20).map((i) => ({ at: i * 20 + 3, packet: { payload: i, seq: String(65_530 + i), timestamp: i * 20 } }));
    const { jb, results } = simulate(arrivals, 20);
    expect(trace(results)).toEqual(range(0, 20));
    expect(jb.stats().packetsLost).toBe(0);
  });

  test('without sequence numbers, timestamps order packets and show gaps', () => {
    // Packet 12 is lost; packet 20 comes 25 ms late (after 21).
    const arrivals: Arrival[] = range(0, 30)
      .filter((i) => i !== 12)
      .map((i) => ({ at: i * 20 + 3 + (i === 20 ? 25 : 0), packet: { payload: i, timestamp: 1000 + i * 20 } }));
    const { jb, results } = simulate(arrivals, 33, { minDelayMs: 60 });
    // 60 ms target: playout starts at the third tick. At 12 only 40 ms are buffered (< the 45 ms low
    // limit), so one step is concealed while waiting; 12 never comes and that step stands for it.
    // 20 is 25 ms late but still in time. The stream ends with a concealed step.
    expect(trace(results)).toEqual(['.', '.', ...range(0, 12), 'U', ...range(13, 30), 'U']);
    expect(jb.stats()).toMatchObject({ packetsLate: 0, packetsLost: 0, concealedSamples: 2 * PACKET, concealmentEvents: 2 });
  });

  test('without sequence numbers or timestamps, packets play in arrival order', () => {
    const arrivals: Arrival[] = range(0, 20).map((i) => ({ at: i * 20 + 3, packet: { payload: 19 - i } }));
    const { results } = simulate(arrivals, 20);
    expect(trace(results)).toEqual(range(0, 20).map((i) => 19 - i));
  });

  test('arrival jitter without any numbering (WebSocket head-of-line blocking) still raises the target', () => {
    // Every 10th packet is held up 60 ms and the next ones queue behind it, as on one TCP stream.
    let previous = -Infinity;
    const arrivals: Arrival[] = range(0, 300).map((i) => {
      previous = Math.max(previous, i * 20 + 3 + (i % 10 === 0 ? 60 : 0));
      return { at: previous, packet: { payload: i } };
    });
    const { jb, results } = simulate(arrivals, 300);
    expect(audioPayloads(trace(results))).toEqual(range(0, 300).filter((p) => audioPayloads(trace(results)).includes(p)));
    // Relative delays 60/40/20 ms for 3 packets in 10: the 95th percentile is the 60 ms bucket.
    expect(results.at(-1)!.targetMs).toBe(80);
    expect(trace(results).slice(-100).filter((x) => typeof x === 'string')).toEqual([]);
    expect(jb.stats().packetsLost).toBe(0);
  });

  test('overflow drops the earliest packets and counts them', () => {
    const arrivals: Arrival[] = range(0, 20).map((i) => ({ at: 0, packet: { payload: i, seq: i } }));
    const { jb, results, outcomes } = simulate(arrivals, 12, { capacity: 8, timeStretch: false });
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(20);
    expect(trace(results).slice(0, 8)).toEqual(range(12, 20));
    expect(jb.stats()).toMatchObject({ packetsOverflow: 12, packetsDiscarded: 12, packetsReceived: 20, packetsLost: 0 });
    // A packet older than everything buffered is the one dropped when full.
    const full = new JitterBuffer<number>({ capacity: 2 });
    full.push({ payload: 5, seq: 5 }, 0);
    full.push({ payload: 6, seq: 6 }, 0);
    expect(full.push({ payload: 4, seq: 4 }, 0)).toBe('overflow');
  });

  test('a sender that restarts its numbering is followed after a few late packets', () => {
    const first = stream(WARM, { seqStart: 5000 });
    const second = stream(40, { seqStart: 10, offset: WARM * 20 + 3 }).map((a) => ({ ...a, packet: { ...a.packet, payload: 1000 + a.packet.payload } }));
    const { jb, results } = simulate([...first, ...second], WARM + 40);
    const played = audioPayloads(trace(results));
    expect(played.slice(0, WARM)).toEqual(range(0, WARM));
    // lateResetCount (8) late packets, then the new numbering plays from the 8th on.
    expect(played.slice(WARM)).toEqual(range(1007, 1040));
    expect(jb.stats()).toMatchObject({ streamResets: 1, packetsLate: 7 });
  });

  test('flush drops what is buffered (barge-in) and counts it', () => {
    const jb = new JitterBuffer<number>({ minDelayMs: 100 });
    for (let i = 0; i < 4; i++) jb.push({ payload: i, seq: i }, i * 20);
    expect(jb.flush()).toBe(4);
    expect(jb.pop(100)).toEqual({ kind: 'empty' });
    expect(jb.stats()).toMatchObject({ packetsFlushed: 4, bufferedPackets: 0 });
    expect(jb.active).toBe(false);
  });

  test('bad input gets a WG_ERR code, bad options a message naming the value', () => {
    const jb = new JitterBuffer<number>();
    const err = (() => { try { jb.push({ payload: 0, seq: 'abc' }, 0); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(WavegateError);
    expect((err as WavegateError).code).toBe('WG_ERR_MALFORMED_MESSAGE');
    expect(() => jb.push({ payload: 0, seq: -1 }, 0)).toThrow(/sequence number/);
    expect(() => jb.push({ payload: 0, durationMs: 0 }, 0)).toThrow(/duration/);
    expect(() => jb.push({ payload: 0, timestamp: Number.NaN }, 0)).toThrow(/timestamp/);
    expect(() => new JitterBuffer({ minDelayMs: -1 })).toThrow('Expected `minDelayMs` to be a number ≥ 0, got `-1` (number)');
    expect(() => new JitterBuffer({ maxDelayMs: 10, minDelayMs: 20 })).toThrow(/maxDelayMs/);
    expect(() => new JitterBuffer({ capacity: 1.5 })).toThrow(/capacity/);
    expect(() => new JitterBuffer({ quantile: 1 })).toThrow(/quantile/);
  });
});
