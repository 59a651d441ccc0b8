/**
 * Inbound RTP timestamps (32 bits, wrapping) → a growing time in ms from the stream's first packet,
 * for the jitter buffer (docs/media.md). A step is read as the nearest signed difference modulo 2^32,
 * so packets that arrive out of order map to earlier times. Pure.
 */
export class RtpTimestampUnwrapper {
  readonly #clockRate: number;
  #first: number | undefined;
  #lastRaw = 0;
  #lastExtended = 0;

  constructor(clockRate: number) {
    this.#clockRate = clockRate;
  }

  /** Milliseconds of stream time of an RTP timestamp. */
  toMs(raw: number): number {
    if (this.#first === undefined) {
      this.#first = raw;
      this.#lastRaw = raw;
      this.#lastExtended = 0;
      return 0;
    }
    let step = (raw - this.#lastRaw) >>> 0;
    if (step >= 0x8000_0000) step -= 0x1_0000_0000;
    const extended = this.#lastExtended + step;
    if (step > 0) {
      this.#lastRaw = raw;
      this.#lastExtended = extended;
    }
    return (extended * 1000) / this.#clockRate;
  }
}
