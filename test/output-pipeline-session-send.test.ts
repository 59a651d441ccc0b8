import { describe, expect, it } from 'vitest';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { defineHandler, type HandlerContext } from '../src/handler/handler.js';
import type { SharedPacer } from '../src/pacer/shared-pacer.js';
import { Session } from '../src/session/session.js';
import type { SessionSink } from '../src/media-path/session-sink.js';
import { FastRtcSerializer } from '../src/transport/fastrtc/fastrtc-serializer.js';

const L16_24K: MediaFormat = { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 };
const FRAMES = 60;

/** Sends FRAMES frames at start: frame k holds the sample value k + 1 throughout. */
const counter = defineHandler<Record<string, never>>({
  name: 'counter',
  create() {
    let ctx: HandlerContext | undefined;
    return {
      startUp(context) {
        ctx = context;
        for (let k = 0; k < FRAMES; k++) ctx.send({ type: 'audio', frame: { samples: new Int16Array(480).fill(k + 1), sampleRate: 24_000, channels: 1, timestamp: k * 20 } });
      },
      receive() {},
    };
  },
});

/**
 * A sink that behaves like a socket the client reads slowly: while `blocked`, what it is given stays
 * queued as given (a Buffer view, as ws keeps it) and counts in bufferedAmount; the bytes are read
 * when it drains. Binary L16 output goes out as a view of the session's payload buffer, so this checks
 * that the session never reuses a buffer a socket still holds.
 */
function slowSocket() {
  const serializer = new FastRtcSerializer();
  serializer.binaryOutput = true;
  const queued: Buffer[] = [];
  const written: number[] = [];
  const read = (b: Buffer) => {
    const samples = new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    expect(new Set(samples).size).toBe(1); // one frame, one value
    written.push(samples[0]!);
  };
  const sink: SessionSink & { blocked: boolean; drain(): void; written: number[] } = {
    blocked: true,
    written,
    send(message) {
      const data = serializer.serialize(message);
      if (!Buffer.isBuffer(data)) return true;
      if (this.blocked) queued.push(data);
      else read(data);
      return true;
    },
    get bufferedAmount() {
      return queued.reduce((n, b) => n + b.byteLength, 0);
    },
    drain() {
      for (const b of queued.splice(0)) read(b);
      this.blocked = false;
    },
    close() {},
  };
  return sink;
}

describe('Session send path: payload buffers and a socket that keeps them', () => {
  it('every frame arrives with its own bytes, through a stretch where the socket holds what it was given', async () => {
    let clock = 0;
    const sink = slowSocket();
    const session = new Session({
      id: 'slow',
      carrier: 'fastrtc',
      handler: counter.create({}),
      handlerInputRate: undefined,
      inputTiming: 'realtime',
      inputFormat: L16_24K,
      outputFormat: L16_24K,
      phone: undefined,
      carrierConfirmsMarks: false,
      frameMs: 20,
      outputLeadMs: 60,
      outputCapacityFrames: 6000,
      maxPendingFrames: 100,
      maxBufferedBytes: 1 << 20,
      slowConsumerTimeoutMs: 5000,
      shutdownTimeoutMs: 5000,
      pacer: { join() {}, leave() {} } as unknown as SharedPacer,
      sink,
      taps: [],
      now: () => clock,
    });
    session.start();
    await new Promise((r) => setImmediate(r));
    for (let k = 0; k < FRAMES + 5; k++) {
      clock += 20;
      if (k === 25) sink.drain();
      session.onTick(clock, true);
    }
    await session.close('client_stop');
    expect(sink.written).toEqual(Array.from({ length: FRAMES }, (_, k) => k + 1));
  });
});
