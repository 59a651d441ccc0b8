import { dbToLinear, timeConstant, type DspBlock, type FrameProcessor } from './dsp-block.js';
import { checkOption, inRange } from './option-check.js';

export interface LimiterOptions {
  /** Highest peak let through (dBFS). */
  ceilingDb: number;
  /** Time for the gain to recover after a peak (ms). */
  releaseMs: number;
}

export const DEFAULT_LIMITER_OPTIONS: LimiterOptions = { ceilingDb: -1, releaseMs: 50 };

/**
 * Peak limiter without look-ahead (so it adds no delay): the gain drops at once to what keeps the
 * current sample under the ceiling and recovers exponentially. No output sample exceeds the ceiling.
 * Channels are linked.
 */
export function limiter(options: Partial<LimiterOptions> = {}): FrameProcessor {
  const o: LimiterOptions = { ...DEFAULT_LIMITER_OPTIONS, ...options };
  checkOption(inRange(o.ceilingDb, -60, 0), 'limiter ceilingDb', o.ceilingDb, 'a number of dBFS from -60 to 0');
  checkOption(inRange(o.releaseMs, 0, 5000), 'limiter releaseMs', o.releaseMs, 'a number of ms from 0 to 5000');
  const ceiling = dbToLinear(o.ceilingDb);
  let rate = 0;
  let release = 0;
  let gainNow = 1;
  return {
    name: 'limiter',
    process(block: DspBlock): DspBlock {
      const { samples, sampleRate, channels } = block;
      if (sampleRate !== rate) {
        rate = sampleRate;
        release = timeConstant(o.releaseMs, sampleRate);
      }
      for (let i = 0; i < samples.length; i += channels) {
        let peak = 0;
        for (let c = 0; c < channels; c++) peak = Math.max(peak, Math.abs(samples[i + c]!));
        const needed = peak > ceiling ? ceiling / peak : 1;
        const recovered = 1 + (gainNow - 1) * release;
        gainNow = Math.min(needed, recovered);
        for (let c = 0; c < channels; c++) samples[i + c] = samples[i + c]! * gainNow;
      }
      return block;
    },
    reset() {
      gainNow = 1;
    },
  };
}
