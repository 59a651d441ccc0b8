import { describe, expect, test } from 'vitest';
import { alignEcho, EnvelopeTrack } from '../clients/echo-alignment.js';
import { summarize } from '../clients/percentiles.js';
import { readWav } from '../src/wav/wav-file.js';

const FRAME = 320; // 20 ms at 16 kHz

async function speechFrames(): Promise<Int16Array[]> {
  const wav = await readWav('test/fixtures/speech/s04-slt.wav');
  return Array.from({ length: Math.floor(wav.samples.length / FRAME) }, (_, k) => wav.samples.subarray(k * FRAME, (k + 1) * FRAME));
}

describe('echo alignment (content-based round trip)', () => {
  test('a plain echo 60 ms later gives 60 ms everywhere', async () => {
    const frames = await speechFrames();
    const sent = new EnvelopeTrack(16_000);
    const received = new EnvelopeTrack(16_000);
    frames.forEach((f, k) => {
      sent.add(f, k * 20);
      received.add(f, k * 20 + 60);
    });
    const { roundTrips, match } = alignEcho(sent, received);
    expect(match).toBeGreaterThan(0.99);
    expect(roundTrips.length).toBeGreaterThan(frames.length);
    expect(summarize(roundTrips)).toMatchObject({ min: 60, max: 60 });
  });

  test('audio the server inserted or dropped does not skew it (counting samples would)', async () => {
    const frames = await speechFrames();
    const sent = new EnvelopeTrack(16_000);
    const received = new EnvelopeTrack(16_000);
    let arrival = 45;
    frames.forEach((f, k) => {
      sent.add(f, k * 20);
      if (k === 40) {
        // Two frames of concealment inserted before frame 40 (an underrun on the server), and frame 90 dropped.
        received.add(new Int16Array(FRAME), arrival);
        received.add(new Int16Array(FRAME), arrival + 20);
        arrival += 40;
      }
      if (k === 90) return;
      received.add(f, Math.max(arrival, k * 20 + 45));
      arrival = Math.max(arrival, k * 20 + 45) + 20;
    });
    const { roundTrips, match } = alignEcho(sent, received);
    expect(match).toBeGreaterThan(0.95);
    const s = summarize(roundTrips);
    // True round trips: 45 ms up to frame 39, 85 ms after the insertion until the drop, then 65 ms.
    expect(s.min).toBeGreaterThanOrEqual(45);
    expect(s.max).toBeLessThanOrEqual(85);
    expect(s.p50).toBeGreaterThanOrEqual(45);
  });

  test('a reply that is not an echo shows up as a poor match', async () => {
    const frames = await speechFrames();
    const sent = new EnvelopeTrack(16_000);
    const received = new EnvelopeTrack(16_000);
    frames.forEach((f, k) => sent.add(f, k * 20));
    [...frames].reverse().forEach((f, k) => received.add(f, k * 20 + 50));
    expect(alignEcho(sent, received).match).toBeLessThan(0.8);
    expect(alignEcho(new EnvelopeTrack(16_000), received).roundTrips).toEqual([]);
  });
});
