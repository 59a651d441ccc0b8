import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatSamples } from '../src/audio/concat-samples.js';
import { decodeMulaw, encodeMulaw } from '../src/codecs/g711.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import echo from '../handlers/echo.js';
import { align, piecewiseCorrelation } from './support/audio-compare.js';
import { soxLoad } from './support/sox.js';
import { sendPaced, WsTestClient } from './support/ws-test-client.js';

const FIXTURE = new URL('./fixtures/speech/s01-slt.wav', import.meta.url).pathname;

let gateway: Gateway;
let wsUrl: string;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  const { url } = await gateway.listen();
  wsUrl = `${url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(() => gateway.close());

describe('FastRTC client, exact message shapes (μ-law 48 kHz in, 24 kHz out)', () => {
  it('gets its speech echoed: correlation ≥ 0.95 after alignment, no frame lost', async () => {
    const input48 = soxLoad(FIXTURE, 48_000);
    const reference24 = soxLoad(FIXTURE, 24_000);
    const frameSamples = 960; // 20 ms at 48 kHz
    const frames: string[] = [];
    for (let i = 0; i < input48.length; i += frameSamples) {
      const chunk = new Int16Array(frameSamples);
      chunk.set(input48.subarray(i, i + frameSamples));
      frames.push(Buffer.from(encodeMulaw(chunk)).toString('base64'));
    }

    const client = await WsTestClient.connect(wsUrl);
    client.send({ event: 'start', websocket_id: 'fastrtc-exact-1' });
    await sendPaced(frames, (payload) => client.send({ event: 'media', media: { payload } }));
    const session = gateway.sessions.registry.get('fastrtc-exact-1')!;
    const spurtsWhileSending = session.stats().outputSpurts;
    // Let the tail play out — the talk spurt's end flushed, the output queue empty, every frame sent
    // received — then stop like a FastRTC client does. (A fixed wait is not enough: after a stall of
    // the busy machine the echo can be several frames behind.)
    const expectedFrames = frames.length; // 24 kHz output keeps 20 ms frames: one out per one in
    const jitterStats = () => session.stats().jitterBuffer;
    const received = () => client.json().filter((m) => m.event === 'media').length;
    const playedOut = () => {
      const s = session.stats();
      return s.jitterBuffer.bufferedPackets === 0 && s.outputSpurts > spurtsWhileSending && s.outputBacklogMs === 0 && received() === s.framesOut;
    };
    const deadline = Date.now() + 5000;
    while (!playedOut() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const stats = { jitterBuffer: jitterStats(), spurts: session.stats().outputSpurts };
    client.send({ event: 'stop' });
    const code = await client.waitClose();
    expect(code).toBe(1000);

    const media = client.json().filter((m) => m.event === 'media');
    for (const m of media) expect(Object.keys(m).sort()).toEqual(['event', 'media']);
    const output = concatSamples(media.map((m) => decodeMulaw(Buffer.from(m.media.payload, 'base64'))));
    expect(media[0]!.media.payload.length).toBe(640); // 480 μ-law bytes = 20 ms at 24 kHz
    // No frame lost: every sample sent came out of the jitter buffer, nothing was discarded, and every
    // 20 ms in produced 20 ms out. Concealment may add frames when the busy test machine delays a packet
    // (FastRTC clients send no timestamps, so lateness can only be seen as an empty buffer).
    const jb = stats.jitterBuffer;
    // Time-stretching may drop near-silent packets only (counted as removedSamplesForAcceleration).
    expect(jb.packetsDiscarded).toBe(0);
    expect(jb.jitterBufferEmittedCount + jb.removedSamplesForAcceleration).toBe(frames.length * frameSamples);
    const addedFrames = Math.round((jb.concealedSamples + jb.insertedSamplesForDeceleration) / frameSamples);
    const removedFrames = Math.round(jb.removedSamplesForAcceleration / frameSamples);
    expect(media.length).toBeGreaterThanOrEqual(expectedFrames - removedFrames - 1);
    // Each output talk spurt (a pause of the sender ends one) may add a frame: filter lead + padding.
    expect(media.length).toBeLessThanOrEqual(expectedFrames + addedFrames + stats.spurts + 1);
    const whole = align(reference24, output, 24_000 / 2);
    const piecewise = piecewiseCorrelation(reference24, output, 2400, 1200, 12_000);
    console.log(`echo: ${media.length}/${expectedFrames} frames (+${addedFrames} concealed, −${removedFrames} silent), lag ${whole.lag} samples, correlation ${whole.correlation.toFixed(4)} whole, ${piecewise.correlation.toFixed(4)} piecewise`);
    expect(Math.max(whole.correlation, piecewise.correlation)).toBeGreaterThanOrEqual(0.95);
  });

  it('answers ping with pong before and after start', async () => {
    const client = await WsTestClient.connect(wsUrl);
    client.send({ event: 'ping' });
    await client.waitFor((m) => m.event === 'pong');
    client.close();
  });
});
