import { randomInt } from 'node:crypto';
import { opusPacketDurationMs } from '../../codecs/payload-duration.js';

/** The RTP header fields of one outbound Opus packet (ssrc and payload type are the sender's). */
export interface RtpFields {
  readonly sequenceNumber: number;
  readonly timestamp: number;
  readonly marker: boolean;
}

const CLOCK_RATE = 48_000; // Opus RTP always counts 48 kHz (RFC 7587 §4.1)

/**
 * Numbers outbound Opus packets (RFC 3550 §5.1, RFC 7587): sequence +1 per packet, timestamp + the
 * packet's samples at 48 kHz. Output is paced by the shared clock and may stop between talk spurts;
 * after such a silence the timestamp jumps by the silent time (so the receiver's jitter buffer sees
 * real time pass) and the first packet carries the marker bit. Pure: `now` is passed in (ms).
 */
export class OpusRtpPacketizer {
  #seq: number;
  #timestamp: number;
  #lastSamples = 0;
  /** Wall time at which the audio sent so far ends, if played from when it was sent. */
  #audioEnd: number | undefined;

  constructor(initial: { sequenceNumber?: number; timestamp?: number } = {}) {
    // Random initial values (RFC 3550 §5.1).
    this.#seq = initial.sequenceNumber ?? randomInt(0, 0x10000);
    this.#timestamp = initial.timestamp ?? randomInt(0, 0x1_0000_0000);
  }

  /** Fields for the next packet carrying `payload`, sent at `now`. Throws on a payload that is not Opus. */
  next(payload: Uint8Array, now: number): RtpFields {
    const durationMs = opusPacketDurationMs(payload);
    const samples = Math.round((durationMs * CLOCK_RATE) / 1000);
    let marker = false;
    if (this.#audioEnd === undefined) {
      marker = true;
      this.#audioEnd = now;
    } else {
      this.#seq = (this.#seq + 1) & 0xffff;
      let step = this.#lastSamples;
      // A gap of more than one packet's length after the audio ran out is a silence: count it.
      const silentMs = now - this.#audioEnd;
      if (silentMs > durationMs) {
        step += Math.round((silentMs * CLOCK_RATE) / 1000);
        marker = true;
        this.#audioEnd = now;
      }
      this.#timestamp = (this.#timestamp + step) >>> 0;
    }
    this.#audioEnd += durationMs;
    this.#lastSamples = samples;
    return { sequenceNumber: this.#seq, timestamp: this.#timestamp, marker };
  }
}
