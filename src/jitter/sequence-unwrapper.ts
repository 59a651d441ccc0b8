import { WavegateError } from '../errors/wavegate-error.js';

/**
 * Turns wire sequence numbers into one growing integer. RTP sequence numbers are 16 bits and wrap
 * (65535 → 0); Twilio's `sequenceNumber` is a string of a growing integer that never wraps. Both work
 * with one rule: a step whose plain difference is small (< 32768) is taken as is, otherwise it is read
 * modulo 2^16 as the nearest signed step. So 65535 → 0 is +1, and "70000" → "70001" is +1 too.
 */
const HALF = 0x8000;
const MODULUS = 0x10000;

/** Parses a sequence number from the wire (number or decimal string); throws WG_ERR_MALFORMED_MESSAGE. */
export function parseSequenceNumber(value: number | string): number {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `sequence number must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return n;
}

export class SequenceUnwrapper {
  #lastRaw: number | undefined;
  #lastExtended = 0;

  /** The extended (unwrapped) value of `raw`, relative to the highest number seen so far. */
  unwrap(raw: number): number {
    if (this.#lastRaw === undefined) {
      this.#lastRaw = raw;
      this.#lastExtended = raw;
      return raw;
    }
    let step = raw - this.#lastRaw;
    if (Math.abs(step) >= HALF) {
      step = (((step % MODULUS) + MODULUS) % MODULUS);
      if (step >= HALF) step -= MODULUS;
    }
    const extended = this.#lastExtended + step;
    if (extended > this.#lastExtended) {
      this.#lastRaw = raw;
      this.#lastExtended = extended;
    }
    return extended;
  }

  reset(): void {
    this.#lastRaw = undefined;
    this.#lastExtended = 0;
  }
}
