import { describe, expect, it } from 'vitest';
import { concatSamples } from '../src/index.js';

describe('concatSamples', () => {
  it('joins chunks in order, including empty ones', () => {
    const out = concatSamples([Int16Array.of(1, 2), new Int16Array(0), Int16Array.of(-3), Int16Array.of(32767, -32768)]);
    expect(Array.from(out)).toEqual([1, 2, -3, 32767, -32768]);
  });

  it('gives an empty array for no chunks', () => {
    expect(concatSamples([]).length).toBe(0);
  });

  it('always returns a new array, also for a single chunk, and reads subarray views at their offset', () => {
    const whole = Int16Array.of(9, 8, 7, 6);
    const one = concatSamples([whole]);
    expect(one).not.toBe(whole);
    one[0] = 0;
    expect(whole[0]).toBe(9);
    expect(Array.from(concatSamples([whole.subarray(2), whole.subarray(0, 1)]))).toEqual([7, 6, 9]);
  });
});
