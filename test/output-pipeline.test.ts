import { describe, expect, it } from 'vitest';
import { FrameSplitter } from '../src/audio/frame-splitter.js';
import { encodeL16 } from '../src/codecs/l16.js';
import { encodeMulaw } from '../src/codecs/g711.js';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { resamplerFor } from '../src/resample/resampler-tier.js';
import { OutputPipeline } from '../src/media-path/output-pipeline.js';

const MULAW_24K: MediaFormat = { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 };
const L16_24K: MediaFormat = { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 };

function tone(samples: number, rate: number, phase = 0): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(9000 * Math.sin((2 * Math.PI * 440 * (i + phase)) / rate) + 3000 * Math.sin((2 * Math.PI * 3100 * (i + phase)) / rate)));
}

/** Everything due, far in the future: payloads copied (they are lent), marks as strings. */
function drainAll(p: OutputPipeline): Array<Uint8Array | string> {
  const out: Array<Uint8Array | string> = [];
  for (let due = p.next(1e12); due !== undefined; due = p.next(1e12)) out.push(due === 'frame' ? Uint8Array.from(p.takeFrame()) : p.takeMark().name);
  return out;
}

/**
 * The output path written out by hand, as the pipeline did it before it was made allocation-free:
 * per spurt, the resampler's delay as leading silence, then its output, cut into frames (the last one
 * padded), each encoded.
 */
function reference(chunks: Int16Array[], from: number, format: MediaFormat, encode: (pcm: Int16Array) => Uint8Array): Uint8Array[] {
  const frameSamples = format.sampleRate / 50;
  const splitter = new FrameSplitter(frameSamples);
  const resampler = resamplerFor(from, format.sampleRate, format.encoding);
  const out: Uint8Array[] = [];
  out.push(...splitter.push(new Int16Array(Math.round((resampler.latencyMs * format.sampleRate) / 1000))).map(encode));
  for (const c of chunks) out.push(...splitter.push(resampler.process(c)).map(encode));
  out.push(...splitter.push(resampler.flush()).map(encode));
  const tail = splitter.flush();
  if (tail) out.push(encode(tail));
  return out;
}

describe('OutputPipeline', () => {
  for (const [format, encode] of [
    [MULAW_24K, encodeMulaw],
    [L16_24K, encodeL16],
  ] as const) {
    it(`${format.encoding}: the same bytes as resample → split → encode by hand, for chunks of any length`, () => {
      const lengths = [960, 960, 500, 1, 2000, 959, 960, 3, 4000];
      let phase = 0;
      const chunks = lengths.map((n) => {
        const c = tone(n, 48_000, phase);
        phase += n;
        return c;
      });
      const p = new OutputPipeline(format, { frameMs: 20, leadMs: 60, capacity: 10_000 });
      const got: Array<Uint8Array | string> = [];
      let now = 0;
      for (const c of chunks) {
        p.pushAudio({ samples: c, sampleRate: 48_000, channels: 1, timestamp: now }, now);
        got.push(...drainAll(p));
        now += 20;
      }
      p.flush(now);
      got.push(...drainAll(p));
      const want = reference(chunks, 48_000, format, encode);
      expect(got.length).toBe(want.length);
      for (let i = 0; i < want.length; i++) expect(Buffer.from(got[i] as Uint8Array).equals(Buffer.from(want[i]!))).toBe(true);
    });
  }

  it('reuses its buffers in steady state: one payload buffer, PCM views of one ring', () => {
    const p = new OutputPipeline(MULAW_24K, { frameMs: 20, leadMs: 60, capacity: 10_000 });
    const payloads = new Set<Uint8Array>();
    const pcmBuffers = new Set<ArrayBufferLike>();
    for (let k = 0; k < 200; k++) {
      p.pushAudio({ samples: tone(960, 48_000, k * 960), sampleRate: 48_000, channels: 1, timestamp: k * 20 }, k * 20);
      for (let due = p.next(k * 20); due !== undefined; due = p.next(k * 20)) {
        payloads.add(p.takeFrame());
        pcmBuffers.add(p.lastPcm.buffer);
      }
    }
    expect(payloads.size).toBe(1);
    expect(pcmBuffers.size).toBe(1);
  });

  it('gives up a payload buffer the socket kept: the next frame goes into a fresh one, the kept bytes stay', () => {
    const p = new OutputPipeline(L16_24K, { frameMs: 20, leadMs: 1000, capacity: 100 });
    p.pushAudio({ samples: tone(480 * 3, 24_000), sampleRate: 24_000, channels: 1, timestamp: 0 }, 0);
    const first = p.takeFrame();
    const kept = Uint8Array.from(first);
    p.payloadKept();
    const second = p.takeFrame();
    expect(second.buffer).not.toBe(first.buffer);
    expect(Buffer.from(first).equals(Buffer.from(kept))).toBe(true);
    const third = p.takeFrame(); // not kept: the buffer is reused again
    expect(third.buffer).toBe(second.buffer);
  });

  it('passes audio at the client rate through without a resampler, and mixes stereo down', () => {
    const p = new OutputPipeline(L16_24K, { frameMs: 20, leadMs: 0, capacity: 100 });
    const mono = tone(480, 24_000);
    p.pushAudio({ samples: mono, sampleRate: 24_000, channels: 1, timestamp: 0 }, 0);
    expect(Buffer.from(p.takeFrame()).equals(Buffer.from(encodeL16(mono)))).toBe(true);
    const stereo = new Int16Array(960);
    for (let i = 0; i < 480; i++) stereo[2 * i] = stereo[2 * i + 1] = mono[i]!;
    p.pushAudio({ samples: stereo, sampleRate: 24_000, channels: 2, timestamp: 20 }, 20);
    expect(p.next(20)).toBe('frame');
    expect(Buffer.from(p.takeFrame()).equals(Buffer.from(encodeL16(mono)))).toBe(true);
  });

  it('drops a frame unsent and unencoded, and clears what is queued (marks stay)', () => {
    const p = new OutputPipeline(MULAW_24K, { frameMs: 20, leadMs: 0, capacity: 100 });
    p.pushAudio({ samples: tone(480 * 4, 24_000), sampleRate: 24_000, channels: 1, timestamp: 0 }, 0);
    p.pushMark('m', 'client');
    expect(p.next(0)).toBe('frame');
    p.dropFrame();
    expect(p.backlogMs).toBe(60);
    p.clear();
    expect(p.stats.framesCleared).toBe(3);
    expect(drainAll(p)).toEqual(['m']);
  });

  it('Opus: frames encoded when sent; the far-end loss turns FEC on (fec auto) and off', () => {
    const p = new OutputPipeline({ encoding: 'audio/opus', sampleRate: 48_000, channels: 1 }, { frameMs: 20, leadMs: 0, capacity: 100, encoder: { fec: 'auto' } });
    p.pushAudio({ samples: tone(960 * 3, 48_000), sampleRate: 48_000, channels: 1, timestamp: 0 }, 0);
    const packets = drainAll(p) as Uint8Array[];
    expect(packets.length).toBe(3);
    for (const packet of packets) expect(packet.length).toBeGreaterThan(2);
    expect(() => p.setRemoteLossPercent(101)).toThrow(/packetLossPercent must be an integer in 0..100, got 101/);
    p.setRemoteLossPercent(20);
    p.setRemoteLossPercent(0);
    p.close();
  });
});
