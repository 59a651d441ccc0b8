import { describe, expect, it } from 'vitest';
import { decodeMulaw } from '../src/codecs/g711.js';
import { OutputPipeline } from '../src/media-path/output-pipeline.js';

/**
 * Payloads for a sink that copies them at once (SessionSink.copiesMedia, the socket adapter on a plain
 * socket) are encoded into memory every output pipeline shares; any other sink gets the pipeline's own.
 */
const format = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } as const;
const tone = (k: number) => Int16Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin((k * 160 + i) / (3 + k))));

function pipelineWith(k: number): OutputPipeline {
  const output = new OutputPipeline(format, { frameMs: 20, leadMs: 60, capacity: 100 });
  output.pushAudio({ samples: tone(k), sampleRate: 8000, channels: 1, timestamp: 0 }, 1000);
  expect(output.next(1000)).toBe('frame');
  return output;
}

describe('OutputPipeline payload memory', () => {
  it('takeFrame(true) encodes into one area shared by every pipeline, takeFrame() into the pipeline\'s own', () => {
    const [a, b, c, d] = [1, 2, 3, 4].map(pipelineWith);
    const fromA = a!.takeFrame(true);
    const copyA = fromA.slice();
    const fromB = b!.takeFrame(true);
    expect(fromB.buffer).toBe(fromA.buffer); // the same memory: a's bytes are gone once b encodes
    expect(Array.from(decodeMulaw(fromB))).not.toEqual(Array.from(decodeMulaw(copyA)));
    const fromC = c!.takeFrame();
    const fromD = d!.takeFrame();
    expect(fromC.buffer).not.toBe(fromA.buffer);
    expect(fromD.buffer).not.toBe(fromC.buffer);
    // Each is the μ-law of its own tone (G.711 round trip within its quantisation step).
    const err = (pcm: Int16Array, k: number) => Math.max(...Array.from(pcm, (v, i) => Math.abs(v - tone(k)[i]!)));
    expect(err(decodeMulaw(copyA), 1)).toBeLessThan(300);
    expect(err(decodeMulaw(fromB), 2)).toBeLessThan(300);
    expect(err(decodeMulaw(fromC), 3)).toBeLessThan(300);
    expect(err(decodeMulaw(fromD), 4)).toBeLessThan(300);
  });
});
