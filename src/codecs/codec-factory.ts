/**
 * One decoder and one encoder per stream from a MediaFormat (docs/protocol.md `mediaFormat`).
 *
 * Supported: μ-law, A-law and L16 at any whole rate from 4000 to 192000 Hz (FastRTC sends μ-law at
 * 48000 Hz, Twilio at 8000 Hz); Opus at 8000, 12000, 16000, 24000 and 48000 Hz. Mono only. Anything else
 * is refused with WG_ERR_UNSUPPORTED_FORMAT naming the value.
 */
import { WavegateError } from '../errors/wavegate-error.js';
import type { EncoderOptions, PayloadDecoder, PayloadEncoder } from './codec.js';
import { decodeAlaw, decodeMulaw, encodeAlaw, encodeAlawInto, encodeMulaw, encodeMulawInto } from './g711.js';
import { decodeL16, encodeL16, encodeL16Into } from './l16.js';
import { isEncoding, type MediaFormat } from './media-format.js';
import { checkOpusRate, OpusStreamDecoder, OpusStreamEncoder } from './opus.js';

export const MIN_PCM_RATE = 4000;
export const MAX_PCM_RATE = 192000;

/** Throws WG_ERR_UNSUPPORTED_FORMAT unless a codec exists for `format`; returns a frozen copy. */
export function checkMediaFormat(format: MediaFormat): MediaFormat {
  if (typeof format !== 'object' || format === null) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `format ${String(format)}`);
  const { encoding, sampleRate, channels } = format;
  if (!isEncoding(encoding)) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `encoding ${JSON.stringify(encoding)}`);
  if (channels !== 1) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `channels ${String(channels)} (only mono is supported)`);
  if (encoding === 'audio/opus') {
    checkOpusRate(sampleRate);
  } else if (!Number.isInteger(sampleRate) || sampleRate < MIN_PCM_RATE || sampleRate > MAX_PCM_RATE) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `sample rate ${String(sampleRate)} for ${encoding} (whole Hz, ${MIN_PCM_RATE}–${MAX_PCM_RATE})`);
  }
  return Object.freeze({ encoding, sampleRate, channels });
}

/** A stateless codec (G.711, L16) behind the per-stream interfaces, with the same closed-state rules. */
class StatelessDecoder implements PayloadDecoder {
  #closed = false;
  constructor(
    readonly format: MediaFormat,
    private readonly fn: (payload: Uint8Array) => Int16Array,
  ) {}
  decode(payload: Uint8Array): Int16Array {
    if (this.#closed) throw new Error(`${this.format.encoding} decoder used after close()`);
    return this.fn(payload);
  }
  close(): void {
    this.#closed = true;
  }
}

class StatelessEncoder implements PayloadEncoder {
  readonly frameSamples = undefined;
  #closed = false;
  constructor(
    readonly format: MediaFormat,
    private readonly fn: (pcm: Int16Array) => Uint8Array,
    private readonly fnInto: (pcm: Int16Array, out: Uint8Array) => number,
    private readonly bytesPerSample: number,
  ) {}
  encode(pcm: Int16Array): Uint8Array {
    if (this.#closed) throw new Error(`${this.format.encoding} encoder used after close()`);
    return this.fn(pcm);
  }
  encodeInto(pcm: Int16Array, out: Uint8Array): Uint8Array {
    if (this.#closed) throw new Error(`${this.format.encoding} encoder used after close()`);
    const n = this.fnInto(pcm, out);
    return n === out.length ? out : out.subarray(0, n);
  }
  payloadBytes(samples: number): number {
    return samples * this.bytesPerSample;
  }
  close(): void {
    this.#closed = true;
  }
}

class OpusPayloadDecoder implements PayloadDecoder {
  readonly #opus: OpusStreamDecoder;
  constructor(readonly format: MediaFormat) {
    this.#opus = new OpusStreamDecoder(format.sampleRate, format.channels);
  }
  decode(payload: Uint8Array): Int16Array {
    return this.#opus.decode(payload);
  }
  conceal(samples: number, nextPayload?: Uint8Array): Int16Array {
    return this.#opus.conceal(samples, nextPayload);
  }
  close(): void {
    this.#opus.close();
  }
}

class OpusPayloadEncoder implements PayloadEncoder {
  readonly #opus: OpusStreamEncoder;
  readonly frameSamples: number;
  constructor(
    readonly format: MediaFormat,
    options: EncoderOptions,
  ) {
    this.#opus = new OpusStreamEncoder(format.sampleRate, format.channels, options);
    this.frameSamples = this.#opus.frameSamples;
  }
  encode(pcm: Int16Array): Uint8Array {
    return this.#opus.encode(pcm);
  }
  encodeInto(pcm: Int16Array): Uint8Array {
    return this.#opus.encode(pcm);
  }
  payloadBytes(): number {
    return 0;
  }
  setPacketLossPercent(percent: number): void {
    this.#opus.setPacketLossPercent(percent);
  }
  close(): void {
    this.#opus.close();
  }
}

export function createDecoder(format: MediaFormat): PayloadDecoder {
  const f = checkMediaFormat(format);
  switch (f.encoding) {
    case 'audio/x-mulaw':
      return new StatelessDecoder(f, decodeMulaw);
    case 'audio/x-alaw':
      return new StatelessDecoder(f, decodeAlaw);
    case 'audio/x-l16':
      return new StatelessDecoder(f, decodeL16);
    case 'audio/opus':
      return new OpusPayloadDecoder(f);
  }
}

/** `options` apply to Opus; G.711 and L16 take none and accept PCM of any length. */
export function createEncoder(format: MediaFormat, options: EncoderOptions = {}): PayloadEncoder {
  const f = checkMediaFormat(format);
  switch (f.encoding) {
    case 'audio/x-mulaw':
      return new StatelessEncoder(f, encodeMulaw, encodeMulawInto, 1);
    case 'audio/x-alaw':
      return new StatelessEncoder(f, encodeAlaw, encodeAlawInto, 1);
    case 'audio/x-l16':
      return new StatelessEncoder(f, encodeL16, encodeL16Into, 2);
    case 'audio/opus':
      return new OpusPayloadEncoder(f, options);
  }
}
