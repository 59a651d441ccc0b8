import { describe, expect, it } from 'vitest';
import type { AudioFrame } from '../src/audio/audio-frame.js';
import { decodeMulaw, encodeMulaw } from '../src/codecs/g711.js';
import type { Handler, HandlerContext } from '../src/handler/handler.js';
import type { SharedPacer } from '../src/pacer/shared-pacer.js';
import { InputPipeline } from '../src/media-path/input-pipeline.js';
import { Session } from '../src/session/session.js';
import type { SessionSink } from '../src/media-path/session-sink.js';
import type { SessionTap } from '../src/session/session-tap.js';

const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;
/** Packet k: a tone whose phase runs on across packets, so every frame's samples differ. */
const packet = (k: number) => encodeMulaw(Int16Array.from({ length: 160 }, (_, i) => Math.round(8000 * Math.sin((k * 160 + i) / 3))));

describe('InputPipeline ownership: recycled frames and borrowed payloads', () => {
  it('a steady stream whose frames are released makes no new frames after the first', () => {
    const input = new InputPipeline(format, 8000, 20);
    const before = input.framesCreated; // the pool is the process's, shared with the other tests' pipelines
    for (let k = 0; k < 200; k++) {
      input.push({ payload: packet(k), seq: undefined, timestamp: undefined }, 1000 + 20 * k);
      for (const frame of input.pull(1000 + 20 * k, 'arrival')) input.release(frame);
    }
    expect(input.stats().jitterBufferEmittedCount).toBe(200 * 160);
    expect(input.framesCreated - before).toBeLessThanOrEqual(1);
  });

  it('a released frame is reused (so keeping one past release would see it change), a kept one never is', () => {
    const input = new InputPipeline(format, 8000, 20);
    const kept: { frame: AudioFrame; copy: Int16Array }[] = [];
    let released: AudioFrame | undefined;
    let reusedAndOverwritten = false;
    for (let k = 0; k < 40; k++) {
      input.push({ payload: packet(k), seq: undefined, timestamp: undefined }, 1000 + 20 * k);
      for (const frame of input.pull(1000 + 20 * k, 'arrival')) {
        if (frame === released) reusedAndOverwritten = true;
        if (k % 2 === 0) {
          kept.push({ frame, copy: frame.samples.slice() });
        } else {
          input.release(frame);
          released = frame;
        }
      }
    }
    expect(reusedAndOverwritten).toBe(true);
    // Frames not released are never handed out again: their audio is what they were given.
    for (const { frame, copy } of kept) expect(frame.samples).toEqual(copy);
    expect(new Set(kept.map((k) => k.frame)).size).toBe(kept.length);
  });

  it('pipelines at one rate share their frames: one session\'s released frame is the next another fills, a kept one never is', () => {
    const a = new InputPipeline(format, 8000, 20);
    const b = new InputPipeline(format, 8000, 20);
    a.push({ payload: packet(0), seq: undefined, timestamp: undefined }, 1000);
    const [fromA] = a.pull(1000, 'arrival');
    a.release(fromA!);
    b.push({ payload: packet(1), seq: undefined, timestamp: undefined }, 1000);
    const [fromB] = b.pull(1000, 'arrival');
    // Last in, first out: the frame a just gave back, still in cache, now carries b's audio.
    expect(fromB).toBe(fromA);
    expect(fromB!.samples).toEqual(decodeMulaw(packet(1)));
    // b keeps its frame (an asynchronous handler still reading it): a's next frame is another array.
    a.push({ payload: packet(2), seq: undefined, timestamp: undefined }, 1020);
    const [next] = a.pull(1020, 'arrival');
    expect(next).not.toBe(fromB);
    expect(fromB!.samples).toEqual(decodeMulaw(packet(1)));
    expect(next!.samples).toEqual(decodeMulaw(packet(2)));
  });

  it('payloads the buffer drops or plays go back to the pool: repeated half-second stalls do not keep allocating', () => {
    const input = new InputPipeline(format, 8000, 20);
    const pool = (input as unknown as { payloads: { created: number } }).payloads;
    const createdAfter: number[] = [];
    let t = 1000;
    let k = 0;
    for (let burst = 0; burst < 6; burst++) {
      // 500 ms of stalled input arriving at once, then played out (some of it dropped to catch up).
      // Near-silent packets, which the buffer may drop to catch up (it never drops speech).
      for (let i = 0; i < 25; i++, k++) input.push({ payload: new Uint8Array(160).fill(0xff), seq: k, timestamp: undefined }, t);
      for (let i = 0; i < 40; i++, t += 20) for (const frame of input.pull(t, 'tick')) input.release(frame);
      createdAfter.push(pool.created);
    }
    expect(input.stats().removedSamplesForAcceleration).toBeGreaterThan(0);
    expect(createdAfter.at(-1)).toBe(createdAfter[0]);
  });

  it('copies the payload it keeps: the caller may reuse its bytes right after push', () => {
    const input = new InputPipeline(format, 8000, 20);
    const wire = new Uint8Array(160);
    const frames: Int16Array[] = [];
    // A sender running ahead: packets wait in the jitter buffer between push and pull.
    for (let k = 0; k < 10; k++) {
      wire.set(packet(k));
      input.push({ payload: wire, seq: k, timestamp: undefined }, 1000);
      wire.fill(0xff); // what a serializer reusing its buffer would do
    }
    for (let t = 1000; t <= 1400; t += 20) for (const frame of input.pull(t, 'tick')) frames.push(frame.samples.slice());
    expect(frames.length).toBe(10);
    frames.forEach((samples, k) => expect(samples).toEqual(decodeMulaw(packet(k))));
  });
});

function sessionWith(handler: Handler, taps: SessionTap[] = []) {
  let clock = 0;
  const sink: SessionSink = { send: () => true, bufferedAmount: 0, close() {} };
  const session = new Session({
    id: 'own',
    carrier: 'fastrtc',
    handler,
    handlerInputRate: undefined,
    inputTiming: 'realtime',
    inputFormat: format,
    outputFormat: format,
    phone: undefined,
    carrierConfirmsMarks: false,
    frameMs: 20,
    outputLeadMs: 60,
    outputCapacityFrames: 1000,
    maxPendingFrames: 100,
    maxBufferedBytes: 1 << 20,
    slowConsumerTimeoutMs: 5000,
    shutdownTimeoutMs: 1000,
    pacer: { join() {}, leave() {} } as unknown as SharedPacer,
    sink,
    taps,
    now: () => clock,
  });
  session.start();
  const send = (k: number) => {
    clock += 20;
    session.onInbound({ type: 'media', payload: packet(k), seq: undefined, timestamp: undefined }, false);
  };
  return { session, send };
}

describe('Session ownership: the frame a handler gets is lent until receive returns or settles', () => {
  it('an async handler sees its frame intact until its promise settles, while later frames arrive', async () => {
    const problems: string[] = [];
    let settle: (() => void) | undefined;
    let seen = 0;
    const handler: Handler = {
      receive(frame) {
        const copy = frame.samples.slice();
        seen++;
        return new Promise<void>((resolve) => {
          settle = () => {
            if (!frame.samples.every((v, i) => v === copy[i])) problems.push(`frame ${frame.timestamp} changed before its receive settled`);
            resolve();
          };
        });
      },
    };
    const { session, send } = sessionWith(handler);
    for (let k = 0; k < 30; k++) {
      send(k);
      if (k % 3 === 2) {
        settle?.();
        await new Promise(setImmediate);
      }
    }
    for (let i = 0; i < 40 && seen < 30; i++) {
      settle?.();
      await new Promise(setImmediate);
    }
    expect(seen).toBe(30);
    expect(problems).toEqual([]);
    await session.close('client_stop');
  });

  it('a synchronous handler gets recycled frames; taps get copies they may keep', async () => {
    const frames = new Set<AudioFrame>();
    const tapped: { frame: AudioFrame; copy: Int16Array }[] = [];
    let ctx: HandlerContext | undefined;
    const handler: Handler = {
      startUp: (c) => void (ctx = c),
      receive(frame) {
        frames.add(frame);
        ctx!.send({ type: 'audio', frame }); // the echo: read during the call, not kept
      },
    };
    const tap: SessionTap = { onInput: (frame) => void tapped.push({ frame, copy: frame.samples.slice() }), onOutput() {}, close: async () => {} };
    const { session, send } = sessionWith(handler, [tap]);
    for (let k = 0; k < 50; k++) send(k);
    expect(tapped.length).toBe(50);
    expect(frames.size).toBe(1); // one frame object, lent 50 times
    for (const { frame, copy } of tapped) expect(frame.samples).toEqual(copy);
    expect(session.stats().framesOut).toBeGreaterThan(40);
    await session.close('client_stop');
  });
});
