import { dbToLinear, timeConstant, type DspBlock, type FrameProcessor } from './dsp-block.js';
import { checkOption, inRange } from './option-check.js';

export interface NoiseGateOptions {
  /** Level (dBFS, peak envelope) below which the gate closes. */
  thresholdDb: number;
  /** How far the gate attenuates when closed (dB, negative). */
  rangeDb: number;
  /** Time to open (ms). */
  attackMs: number;
  /** Time the gate stays open after the level drops (ms). */
  holdMs: number;
  /** Time to close (ms). */
  releaseMs: number;
}

export const DEFAULT_NOISE_GATE_OPTIONS: NoiseGateOptions = {
  thresholdDb: -50,
  rangeDb: -80,
  attackMs: 2,
  holdMs: 80,
  releaseMs: 60,
};

/**
 * Downward gate with hold: a peak envelope (instant rise, release-time fall) is compared with the
 * threshold; the gain glides to 1 (attack) or to the floor (release) so opening and closing do not click.
 * Channels are linked (the loudest decides).
 */
export function noiseGate(options: Partial<NoiseGateOptions> = {}): FrameProcessor {
  const o: NoiseGateOptions = { ...DEFAULT_NOISE_GATE_OPTIONS, ...options };
  checkOption(inRange(o.thresholdDb, -100, 0), 'gate thresholdDb', o.thresholdDb, 'a number of dBFS from -100 to 0');
  checkOption(inRange(o.rangeDb, -120, 0), 'gate rangeDb', o.rangeDb, 'a number of dB from -120 to 0');
  checkOption(inRange(o.attackMs, 0, 1000), 'gate attackMs', o.attackMs, 'a number of ms from 0 to 1000');
  checkOption(inRange(o.holdMs, 0, 5000), 'gate holdMs', o.holdMs, 'a number of ms from 0 to 5000');
  checkOption(inRange(o.releaseMs, 0, 5000), 'gate releaseMs', o.releaseMs, 'a number of ms from 0 to 5000');
  const threshold = dbToLinear(o.thresholdDb);
  const floor = dbToLinear(o.rangeDb);
  let rate = 0;
  let attack = 0;
  let release = 0;
  let holdSamples = 0;
  let envelope = 0;
  let gainNow = floor;
  let held = 0;
  return {
    name: 'gate',
    process(block: DspBlock): DspBlock {
      const { samples, sampleRate, channels } = block;
      if (sampleRate !== rate) {
        rate = sampleRate;
        attack = timeConstant(o.attackMs, sampleRate);
        release = timeConstant(o.releaseMs, sampleRate);
        holdSamples = Math.round((o.holdMs * sampleRate) / 1000);
      }
      for (let i = 0; i < samples.length; i += channels) {
        let peak = 0;
        for (let c = 0; c < channels; c++) peak = Math.max(peak, Math.abs(samples[i + c]!));
        envelope = peak > envelope ? peak : envelope * release;
        if (envelope >= threshold) held = holdSamples;
        else if (held > 0) held--;
        const open = envelope >= threshold || held > 0;
        const target = open ? 1 : floor;
        const coeff = open ? attack : release;
        gainNow = target + (gainNow - target) * coeff;
        for (let c = 0; c < channels; c++) samples[i + c] = samples[i + c]! * gainNow;
      }
      return block;
    },
    reset() {
      envelope = 0;
      gainNow = floor;
      held = 0;
    },
  };
}
