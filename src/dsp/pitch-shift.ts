import type { DspBlock, FrameProcessor } from './dsp-block.js';
import { checkOption, inRange } from './option-check.js';

/**
 * Pitch shift that keeps the duration (a voice changer): the classic delay-line shifter. Two read
 * taps sweep a short delay line at `2^(semitones/12)` times the write speed, half a window apart, and
 * are cross-faded with sin²/cos² weights so each tap is silent when it wraps. Adds up to `windowMs`
 * of delay; per-channel state; no timers.
 */
export function pitchShift(semitones: number, windowMs = 40): FrameProcessor {
  checkOption(inRange(semitones, -12, 12), 'pitch', semitones, 'a number of semitones from -12 to 12');
  checkOption(inRange(windowMs, 10, 200), 'pitch windowMs', windowMs, 'a number of ms from 10 to 200');
  const ratio = Math.pow(2, semitones / 12);
  let rate = 0;
  let size = 0;
  let lines: Float32Array[] = [];
  let write = 0;
  let delay = 0;

  function read(line: Float32Array, d: number): number {
    let pos = write - d;
    if (pos < 0) pos += size;
    const i0 = Math.floor(pos);
    const frac = pos - i0;
    const a = line[i0 % size]!;
    const b = line[(i0 + 1) % size]!;
    return a + (b - a) * frac;
  }

  return {
    name: 'pitch',
    process(block: DspBlock): DspBlock {
      const { samples, sampleRate, channels } = block;
      if (semitones === 0) return block;
      if (sampleRate !== rate || lines.length !== channels) {
        rate = sampleRate;
        size = Math.max(4, Math.round((windowMs * sampleRate) / 1000));
        lines = Array.from({ length: channels }, () => new Float32Array(size));
        write = 0;
        delay = 0;
      }
      const half = size / 2;
      for (let i = 0; i < samples.length; i += channels) {
        const d2 = delay + half >= size ? delay + half - size : delay + half;
        const w1 = Math.sin((Math.PI * delay) / size) ** 2;
        const w2 = 1 - w1;
        for (let c = 0; c < channels; c++) {
          const line = lines[c]!;
          line[write] = samples[i + c]!;
          samples[i + c] = w1 * read(line, delay) + w2 * read(line, d2);
        }
        write = write + 1 === size ? 0 : write + 1;
        delay += 1 - ratio;
        if (delay < 0) delay += size;
        else if (delay >= size) delay -= size;
      }
      return block;
    },
    reset() {
      for (const line of lines) line.fill(0);
      delay = 0;
    },
  };
}
