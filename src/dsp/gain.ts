import { dbToLinear, type DspBlock, type FrameProcessor } from './dsp-block.js';
import { checkOption, inRange } from './option-check.js';

/** Constant gain in decibels (−60 … +40). */
export function gain(db: number): FrameProcessor {
  checkOption(inRange(db, -60, 40), 'gain', db, 'a number of dB from -60 to 40');
  const factor = dbToLinear(db);
  return {
    name: 'gain',
    process(block: DspBlock): DspBlock {
      const s = block.samples;
      for (let i = 0; i < s.length; i++) s[i] = s[i]! * factor;
      return block;
    },
  };
}
