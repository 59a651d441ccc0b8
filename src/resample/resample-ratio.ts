import { WavegateError } from '../errors/wavegate-error.js';

/** The rates every wavegate stream may use; the resampler converts between any two of them. */
export const STANDARD_RATES = [8000, 16_000, 22_050, 24_000, 44_100, 48_000] as const;

/** Lowest and highest rate accepted; rates in between work too when the ratio stays small (see MAX_PHASES). */
export const MIN_RATE = 8000;
export const MAX_RATE = 192_000;
/**
 * Most filter phases (the L of the reduced ratio L/M) a converter may need. The coefficient table holds
 * L × taps floats; every pair of the standard rates needs at most 441 (8000 ↔ 22050), also 12000 and
 * 32000 and 96000 fit, while odd rates such as 44101 would need tens of thousands and are refused.
 */
export const MAX_PHASES = 1024;

/**
 * A conversion in lowest terms: output sample m sits at input position m·down/up. For 44100 → 48000
 * that is up = 160, down = 147; for 48000 → 16000 up = 1, down = 3.
 */
export interface ResampleRatio {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly up: number;
  readonly down: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Reduces inputRate → outputRate to up/down; throws WG_ERR_UNSUPPORTED_FORMAT for a rate it cannot serve. */
export function resampleRatio(inputRate: number, outputRate: number): ResampleRatio {
  for (const [name, rate] of [['inputRate', inputRate], ['outputRate', outputRate]] as const) {
    if (!Number.isInteger(rate) || rate < MIN_RATE || rate > MAX_RATE) {
      throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `${name} must be an integer from ${MIN_RATE} to ${MAX_RATE} Hz, got ${String(rate)}`);
    }
  }
  const g = gcd(inputRate, outputRate);
  const up = outputRate / g;
  const down = inputRate / g;
  if (up > MAX_PHASES) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `${inputRate} → ${outputRate} Hz reduces to ${up}/${down}, more than ${MAX_PHASES} filter phases`);
  }
  return { inputRate, outputRate, up, down };
}
