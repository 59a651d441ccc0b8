import { describe, expect, it } from 'vitest';
import { createAudioFrame } from '../src/audio/audio-frame.js';
import type { DspBlock, FrameProcessor } from '../src/dsp/dsp-block.js';
import { DspChain } from '../src/dsp/dsp-chain.js';
import { DSP_PROCESSORS, parseDspSpec, resolveDspSteps } from '../src/dsp/dsp-spec.js';
import { gain } from '../src/dsp/gain.js';

const frame = (values: number[], timestamp = 40) => createAudioFrame(Int16Array.from(values), 16_000, 1, timestamp);

const throwing: FrameProcessor = {
  name: 'broken',
  process(block: DspBlock) {
    block.samples.fill(0.9); // scribbles on its input first: the chain must not let that through
    throw new Error('boom');
  },
};

describe('DspChain', () => {
  it('applies processors in order and keeps the timestamp', () => {
    const out = new DspChain([gain(6), gain(-6)]).process(frame([1000, -2000, 3000]));
    expect(Array.from(out.samples)).toEqual([1000, -2000, 3000]);
    expect(out.timestamp).toBe(40);
    expect(out.sampleRate).toBe(16_000);
  });

  it('bypasses a processor that throws, counts it, and runs the rest', () => {
    const failures: string[] = [];
    const chain = new DspChain([gain(6), throwing, gain(-6)], (stats) => failures.push(stats.name));
    const out1 = chain.process(frame([1000, -2000]));
    const out2 = chain.process(frame([500]));
    expect(Array.from(out1.samples)).toEqual([1000, -2000]);
    expect(Array.from(out2.samples)).toEqual([500]);
    expect(chain.stats.map((s) => [s.name, s.frames, s.failures])).toEqual([
      ['gain', 2, 0],
      ['broken', 2, 2],
      ['gain', 2, 0],
    ]);
    expect(chain.stats[1]!.lastError).toBe('boom');
    expect(chain.failures).toBe(2);
    expect(failures).toEqual(['broken', 'broken']);
  });

  it('bypasses a processor that returns NaN or changes the channel count', () => {
    const nan: FrameProcessor = { name: 'nan', process: (b) => ({ ...b, samples: b.samples.map(() => Number.NaN) }) };
    const stereo: FrameProcessor = { name: 'stereo', process: (b) => ({ ...b, channels: 2 }) };
    const chain = new DspChain([nan, stereo]);
    expect(Array.from(chain.process(frame([7, 8])).samples)).toEqual([7, 8]);
    expect(chain.stats.map((s) => s.failures)).toEqual([1, 1]);
    expect(chain.stats[0]!.lastError).toMatch(/non-finite/);
    expect(chain.stats[1]!.lastError).toMatch(/channels/);
  });

  it('clips once at the end, not between processors', () => {
    const out = new DspChain([gain(20), gain(-20)]).process(frame([20_000]));
    expect(out.samples[0]).toBe(20_000);
    expect(new DspChain([gain(20)]).process(frame([20_000, -20_000])).samples).toEqual(Int16Array.from([32767, -32768]));
  });

  it('returns the frame untouched when empty', () => {
    const f = frame([1, 2, 3]);
    expect(new DspChain([]).process(f)).toBe(f);
  });
});

describe('DSP spec', () => {
  it('parses the CLI form', () => {
    expect(parseDspSpec('gain=6, highpass=120,lowpass=3400,gate=-50,limiter=-1,pitch=3').map((p) => p.name)).toEqual([
      'gain',
      'highpass',
      'lowpass',
      'gate',
      'limiter',
      'pitch',
    ]);
    expect(parseDspSpec('')).toEqual([]);
  });

  it('names the bad step and the offending value', () => {
    expect(() => parseDspSpec('gain=6,reverb=3')).toThrow(/Unknown DSP processor "reverb".*known: gain/);
    expect(() => parseDspSpec('gain=loud')).toThrow(/gain=.*"loud"/);
    expect(() => parseDspSpec('gain')).toThrow(/like "gain=6", got "gain"/);
    expect(() => parseDspSpec('highpass=1')).toThrow(/`highpass`.*`1`/);
    expect(() => parseDspSpec('constructor=1')).toThrow(/Unknown DSP processor/);
  });

  it('mixes names and processor objects from code', () => {
    const custom: FrameProcessor = { name: 'custom', process: (b) => b };
    expect(resolveDspSteps(['gain=3,limiter=-1', custom]).map((p) => p.name)).toEqual(['gain', 'limiter', 'custom']);
    expect(() => resolveDspSteps([42 as unknown as string])).toThrow(/step 0/);
  });

  it('every documented processor builds from its example', () => {
    for (const kind of Object.values(DSP_PROCESSORS)) expect(parseDspSpec(kind.example)).toHaveLength(1);
  });
});
