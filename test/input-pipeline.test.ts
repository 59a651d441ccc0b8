import { describe, expect, it } from 'vitest';
import { encodeMulaw } from '../src/codecs/g711.js';
import { InputPipeline } from '../src/media-path/input-pipeline.js';

const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;
const packet = (k: number) => encodeMulaw(Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((k * 160 + i) / 3))));

/** Drives the pipeline like the session does: packets at `arrivals[k]`, clock ticks every 20 ms at `tickPhase`. */
function run(arrivals: number[], tickPhase: number) {
  const input = new InputPipeline(format, 8000, 20);
  const released: Array<{ at: number; k: number }> = [];
  let k = 0;
  const events = [
    ...arrivals.map((t, i) => ({ t, kind: 'arrival' as const, i })),
    ...Array.from({ length: Math.ceil((Math.max(...arrivals) + 200) / 20) }, (_, n) => ({ t: tickPhase + n * 20, kind: 'tick' as const, i: -1 })),
  ].sort((a, b) => a.t - b.t);
  for (const e of events) {
    if (e.kind === 'arrival') input.push({ payload: packet(e.i), seq: undefined, timestamp: undefined }, e.t);
    for (const frame of input.pull(e.t, e.kind)) released.push({ at: e.t, k: k++ + 0 * frame.samples.length });
  }
  return { released, stats: input.stats() };
}

describe('InputPipeline (jitter buffer → decode → handler frames)', () => {
  it('passes a smooth stream straight through on arrival, whatever the clock phase, without concealment', () => {
    for (const phase of [0, 3, 9.5, 17]) {
      const arrivals = Array.from({ length: 50 }, (_, i) => 1000 + i * 20);
      const { released, stats } = run(arrivals, phase);
      expect(stats.concealedSamples, `phase ${phase}`).toBe(0);
      expect(stats.jitterBufferEmittedCount).toBe(50 * 160);
      // Each frame leaves within one frame of its packet's arrival.
      for (let i = 1; i < 49; i++) expect(released[i]!.at - arrivals[i]!).toBeLessThanOrEqual(20);
    }
  });

  it('releases each packet on arrival when the first packet of the stream was late (no frame of added delay)', () => {
    for (const phase of [0, 7, 13]) {
      // The first packet is 15 ms late (a slow connection start), the rest keep the 20 ms cadence.
      const arrivals = Array.from({ length: 50 }, (_, i) => (i === 0 ? 1015 : 1000 + i * 20));
      const { released, stats } = run(arrivals, phase);
      expect(released.length).toBe(50);
      expect(stats.concealedSamples + stats.insertedSamplesForDeceleration).toBe(0);
      for (let i = 2; i < 50; i++) expect(released[i]!.at - arrivals[i]!, `phase ${phase}, packet ${i}`).toBe(0);
    }
  });

  it('after a start-up stall (the first 300 ms arrive at once), releases on arrival again within a second', () => {
    // Packets k = 0..14 are held up and arrive together at 1300; from k = 15 on they keep the cadence.
    const arrivals = Array.from({ length: 150 }, (_, i) => Math.max(1300, 1000 + i * 20));
    const { released, stats } = run(arrivals, 5);
    expect(released.length).toBe(150);
    expect(stats.concealedSamples).toBe(0);
    // From 1 s after the burst on, every packet goes out as it arrives (it was held 300 ms for the whole stream).
    for (let i = 70; i < 150; i++) expect(released[i]!.at - arrivals[i]!, `packet ${i}`).toBe(0);
  });

  it('keeps pacing a sender that runs ahead for longer than the settling time', () => {
    // 3 s of audio at 1.5× real time: arrivals every 13.33 ms for 20 ms packets.
    const arrivals = Array.from({ length: 150 }, (_, i) => 1000 + (i * 40) / 3);
    const { released } = run(arrivals, 5);
    const during = released.filter((r) => r.at <= arrivals.at(-1)!);
    // 2 s of arrivals release about 2 s of audio (100 frames), not the 150 sent; never a burst of the backlog.
    expect(during.length).toBeLessThan(110);
    const perArrival = new Map<number, number>();
    for (const r of during) perArrival.set(r.at, (perArrival.get(r.at) ?? 0) + 1);
    expect(Math.max(...perArrival.values())).toBeLessThanOrEqual(2);
  });

  it('paces a sender that runs ahead of real time instead of passing it straight through', () => {
    // Packets every 10 ms for 20 ms of audio each: a file streamed at twice real time.
    const arrivals = Array.from({ length: 40 }, (_, i) => 1000 + i * 10);
    const { released } = run(arrivals, 5);
    const during = released.filter((r) => r.at <= arrivals.at(-1)!);
    expect(during.length).toBeLessThan(30); // 400 ms of arrivals release ~20-25 frames, not 40
  });

  it('rides out a little arrival jitter without concealment', () => {
    const arrivals = Array.from({ length: 50 }, (_, i) => 1000 + i * 20 + (i % 3 === 1 ? 8 : 0));
    const { stats } = run(arrivals, 5);
    expect(stats.concealedSamples).toBe(0);
    expect(stats.jitterBufferEmittedCount).toBe(50 * 160);
  });

  it('starts a new talk spurt after a long pause without made-up audio', () => {
    const arrivals = [...Array.from({ length: 20 }, (_, i) => 1000 + i * 20), ...Array.from({ length: 20 }, (_, i) => 3000 + i * 20)];
    const { stats, released } = run(arrivals, 5);
    expect(stats.insertedSamplesForDeceleration).toBe(0); // the pause is not mistaken for network delay
    expect(stats.concealedSamples).toBe(0);
    expect(released.length).toBe(40);
  });

  it('releases audio delayed by a stall when it arrives, instead of inventing audio for the gap', () => {
    const arrivals = Array.from({ length: 50 }, (_, i) => 1000 + i * 20 + (i >= 20 ? 100 : 0));
    const { stats, released } = run(arrivals, 5);
    expect(stats.concealedSamples).toBe(0);
    expect(stats.jitterBufferEmittedCount).toBe(50 * 160); // every real frame, none replaced
    // Nothing is inserted to grow the buffer after the stall (released on arrival, depth only adds delay).
    expect(stats.insertedSamplesForDeceleration).toBe(0);
    expect(released.length).toBe(50);
    expect(released[20]!.at - arrivals[20]!).toBeLessThanOrEqual(20); // the late frame goes out as it arrives
  });

  it('conceals a packet lost from a numbered stream, and counts it', () => {
    const input = new InputPipeline(format, 8000, 20);
    let frames = 0;
    for (let i = 0; i < 30; i++) {
      const t = 1000 + i * 20;
      if (i !== 12) input.push({ payload: packet(i), seq: i, timestamp: undefined }, t);
      frames += input.pull(t, 'arrival').length + input.pull(t + 5, 'tick').length;
    }
    const stats = input.stats();
    expect(stats.packetsLost).toBe(1);
    expect(stats.concealedSamples).toBe(160);
    expect(frames).toBeGreaterThanOrEqual(29); // 29 real + the concealed one (the last may still wait)
  });

  it('a packet missing from a jittery numbered stream costs one concealed frame, not more', () => {
    const input = new InputPipeline(format, 8000, 20);
    let frames = 0;
    for (let i = 0; i < 80; i++) {
      const t = 1000 + i * 20 + (i < 60 && i % 4 === 1 ? 35 : 0); // jitter first: the target delay rises
      if (i !== 65) input.push({ payload: packet(i), seq: i, timestamp: undefined }, t);
      frames += input.pull(t, 'arrival').length;
      frames += input.pull(t + 10, 'tick').length;
    }
    for (let t = 2700; t < 3000; t += 20) frames += input.pull(t, 'tick').length;
    const stats = input.stats();
    expect(stats.targetDelayMs).toBeGreaterThan(30);
    expect(stats.packetsLost).toBe(1);
    expect(stats.concealedSamples).toBe(160);
    expect(stats.insertedSamplesForDeceleration).toBe(0);
    expect(frames).toBe(80); // 79 real frames and the one concealed, nothing inserted
  });

  it('lossless timing: every frame on arrival, in order, nothing concealed or dropped, even across a stall', () => {
    const input = new InputPipeline(format, 16000, 20, 'lossless');
    const out: Int16Array[] = [];
    const arrivals = Array.from({ length: 30 }, (_, i) => 1000 + i * 20 + (i >= 10 ? 150 : 0));
    arrivals.forEach((t, i) => {
      input.push({ payload: packet(i), seq: undefined, timestamp: undefined }, t);
      out.push(...input.pull(t, 'arrival').map((f) => f.samples));
      out.push(...input.pull(t + 5, 'tick').map((f) => f.samples));
    });
    const total = out.reduce((n, x) => n + x.length, 0);
    expect(total).toBeGreaterThan(30 * 320 - 320); // 8 → 16 kHz: all of it but the resampler's filter delay
    expect(total).toBeLessThanOrEqual(30 * 320);
    expect(input.stats().concealedSamples).toBe(0);
  });
});

describe('InputPipeline.releasedLateMs (what a reply may catch up on)', () => {
  it('a stall: the first packet of the burst is as late as the stall; on cadence again, nothing', () => {
    const input = new InputPipeline(format, 8000, 20, 'realtime', 1000);
    const arrivals = Array.from({ length: 60 }, (_, i) => (i >= 20 && i < 35 ? 1700 : 1000 + i * 20));
    const late: number[] = [];
    arrivals.forEach((t, i) => {
      input.push({ payload: packet(i), seq: undefined, timestamp: undefined }, t);
      input.pull(t, 'arrival');
      late.push(input.releasedLateMs);
    });
    expect(late[10]).toBe(0);
    expect(late[20]).toBe(300);
    expect(late[34]).toBe(20);
    expect(late[50]).toBe(0);
  });

  it('audio held back while a start-up burst looked ahead is late by what it waited when the hold ends', () => {
    // No session start to go by: the first 300 ms arrive at once and look like a sender ahead for a second.
    const input = new InputPipeline(format, 8000, 20);
    const arrivals = Array.from({ length: 100 }, (_, i) => Math.max(1300, 1000 + i * 20));
    let released = 0;
    let lateAtCatchUp = -1;
    for (const [i, t] of arrivals.entries()) {
      input.push({ payload: packet(i), seq: undefined, timestamp: undefined }, t);
      const n = input.pull(t, 'arrival').length;
      const late = input.releasedLateMs;
      if (n > 1 && lateAtCatchUp < 0 && t > 1300) lateAtCatchUp = late;
      released += n;
      for (let tick = t + 10; tick < t + 20; tick += 20) released += input.pull(tick, 'tick').length;
    }
    expect(released).toBe(100);
    // The backlog (about the 300 ms of the burst, less the leeway the playhead allowed) goes out at once, marked late.
    expect(lateAtCatchUp).toBeGreaterThan(150);
  });
});
