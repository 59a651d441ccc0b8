/**
 * Opus per stream, mono, 8/12/16/24/48 kHz, 10/20/40/60 ms frames.
 *
 * Encoding runs through `@discordjs/opus` (native libopus 1.3.1). Decoding runs through the same libopus
 * 1.3.1 sources compiled to WebAssembly (opus-wasm/), bit-exact with the native decoder, because the
 * binding cannot conceal losses properly: its `decode(buf)` always calls
 * `opus_decode(st, data, len, pcm, 5760, 0)`, so an empty buffer conceals 5760 samples (120 ms at 48 kHz,
 * 720 ms at 8 kHz) whatever was lost, and `decode_fec` is fixed at 0, so in-band FEC can never be
 * decoded. (@evan/opus 1.0.3, opusscript 0.1.1 and opus-decoder 0.7.12 have the same limits.) Through
 * the WebAssembly build, conceal(n) is libopus PLC of exactly n samples, and conceal(n, next) rebuilds
 * the lost packet from the FEC data in the packet after it. See docs/media.md.
 *
 * `close()` frees the decoder state at once and drops the native encoder (the binding frees libopus
 * state when the object is collected); every method called after close throws.
 */
import opus from '@discordjs/opus';
import { WavegateError } from '../errors/wavegate-error.js';
import { OpusWasmDecoder } from './opus-wasm/opus-wasm-decoder.js';

export const OPUS_SAMPLE_RATES = [8000, 12000, 16000, 24000, 48000] as const;
export const OPUS_FRAME_MS = [10, 20, 40, 60] as const;
export type OpusFrameMs = (typeof OPUS_FRAME_MS)[number];
export type OpusApplication = 'voip' | 'audio' | 'lowdelay';

export interface OpusEncoderOptions {
  /** Frame duration; every encode() takes exactly sampleRate × frameMs / 1000 samples. */
  frameMs?: OpusFrameMs;
  /** Target bits per second (500–512000), or undefined for libopus' automatic choice. */
  bitrate?: number | undefined;
  /** 0 (fastest) … 10 (best). */
  complexity?: number;
  /**
   * In-band forward error correction (SILK LBRR copies of the previous frame): on, off, or 'auto' — on
   * while the far end reports loss (`packetLossPercent` > 0 or `setPacketLossPercent`).
   */
  fec?: boolean | 'auto';
  /** Discontinuous transmission: silence becomes 1–2 byte packets. */
  dtx?: boolean;
  /** Expected packet loss, percent; FEC spends bits in proportion. 10 when fec is true and this is unset, else 0. */
  packetLossPercent?: number | undefined;
  application?: OpusApplication;
}

const DEFAULTS = {
  frameMs: 20 as OpusFrameMs,
  bitrate: undefined as number | undefined,
  complexity: 5,
  fec: false as boolean | 'auto',
  dtx: false,
  packetLossPercent: undefined as number | undefined,
  application: 'voip' as OpusApplication,
};

// libopus CTL request numbers (opus_defines.h).
const CTL = {
  setApplication: 4000,
  setBitrate: 4002,
  setComplexity: 4010,
  setInbandFec: 4012,
  setPacketLossPerc: 4014,
  setDtx: 4016,
  setSignal: 4024,
} as const;
const APPLICATION = { voip: 2048, audio: 2049, lowdelay: 2051 } as const;
const SIGNAL_VOICE = 3001;

export function checkOpusRate(sampleRate: number): void {
  if (!(OPUS_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `Opus sample rate ${sampleRate} (use ${OPUS_SAMPLE_RATES.join(', ')})`);
  }
}

function checkChannels(channels: number): void {
  if (channels !== 1) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `Opus channels ${channels} (only mono is supported)`);
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`Opus option ${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

function resolveOptions(options: OpusEncoderOptions): Required<Omit<OpusEncoderOptions, 'bitrate' | 'packetLossPercent'>> & {
  bitrate: number | undefined;
  packetLossPercent: number;
} {
  const o = { ...DEFAULTS, ...stripUndefined(options) };
  if (!(OPUS_FRAME_MS as readonly number[]).includes(o.frameMs)) {
    throw new RangeError(`Opus option frameMs must be one of ${OPUS_FRAME_MS.join(', ')}, got ${String(o.frameMs)}`);
  }
  if (o.bitrate !== undefined) checkInteger('bitrate', o.bitrate, 500, 512000);
  checkInteger('complexity', o.complexity, 0, 10);
  if (typeof o.fec !== 'boolean' && o.fec !== 'auto') throw new TypeError(`Opus option fec must be true, false or 'auto', got ${String(o.fec)}`);
  if (typeof o.dtx !== 'boolean') throw new TypeError(`Opus option dtx must be a boolean, got ${String(o.dtx)}`);
  const loss = o.packetLossPercent ?? (o.fec === true ? 10 : 0);
  checkInteger('packetLossPercent', loss, 0, 100);
  if (!Object.hasOwn(APPLICATION, o.application)) {
    throw new RangeError(`Opus option application must be voip, audio or lowdelay, got ${String(o.application)}`);
  }
  return { ...o, packetLossPercent: loss };
}

function stripUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function asBuffer(view: Uint8Array | Int16Array): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

export class OpusStreamEncoder {
  readonly sampleRate: number;
  readonly frameSamples: number;
  readonly options: Readonly<ReturnType<typeof resolveOptions>>;
  #native: InstanceType<typeof opus.OpusEncoder> | undefined;
  #lossPercent = -1;
  #fecActive = false;

  constructor(sampleRate: number, channels = 1, options: OpusEncoderOptions = {}) {
    checkOpusRate(sampleRate);
    checkChannels(channels);
    this.options = resolveOptions(options);
    this.sampleRate = sampleRate;
    this.frameSamples = (sampleRate * this.options.frameMs) / 1000;
    const native = new opus.OpusEncoder(sampleRate, 1);
    native.applyEncoderCTL(CTL.setApplication, APPLICATION[this.options.application]);
    if (this.options.application === 'voip') native.applyEncoderCTL(CTL.setSignal, SIGNAL_VOICE);
    if (this.options.bitrate !== undefined) native.applyEncoderCTL(CTL.setBitrate, this.options.bitrate);
    native.applyEncoderCTL(CTL.setComplexity, this.options.complexity);
    native.applyEncoderCTL(CTL.setDtx, this.options.dtx ? 1 : 0);
    this.#native = native;
    this.setPacketLossPercent(this.options.packetLossPercent);
  }

  /** Loss the far end reports now, percent; with fec 'auto', in-band FEC is on while it is above 0. */
  get packetLossPercent(): number {
    return this.#lossPercent;
  }

  /** Whether in-band FEC is on now. */
  get fecActive(): boolean {
    return this.#fecActive;
  }

  /**
   * The far end's packet loss, percent (an integer 0–100; RTCP receiver reports, or what a client says):
   * libopus spends FEC bits in proportion, and with fec 'auto' FEC turns on above 0 and off at 0.
   */
  setPacketLossPercent(percent: number): void {
    const native = this.#open('setPacketLossPercent');
    checkInteger('packetLossPercent', percent, 0, 100);
    const fec = this.options.fec === 'auto' ? percent > 0 : this.options.fec;
    if (fec !== this.#fecActive || this.#lossPercent < 0) native.applyEncoderCTL(CTL.setInbandFec, fec ? 1 : 0);
    if (percent !== this.#lossPercent) native.applyEncoderCTL(CTL.setPacketLossPerc, percent);
    this.#fecActive = fec;
    this.#lossPercent = percent;
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  /** One frame of exactly `frameSamples` samples → one Opus packet. */
  encode(pcm: Int16Array): Uint8Array {
    const native = this.#open('encode');
    if (pcm.length !== this.frameSamples) {
      throw new RangeError(`Opus encode needs exactly ${this.frameSamples} samples (${this.options.frameMs} ms at ${this.sampleRate} Hz), got ${pcm.length}`);
    }
    return native.encode(asBuffer(pcm));
  }

  close(): void {
    this.#native = undefined;
  }

  #open(method: string): InstanceType<typeof opus.OpusEncoder> {
    if (this.#native === undefined) throw new Error(`OpusStreamEncoder.${method}() called after close()`);
    return this.#native;
  }
}

export class OpusStreamDecoder {
  readonly sampleRate: number;
  readonly #wasm: OpusWasmDecoder;

  constructor(sampleRate: number, channels = 1) {
    checkOpusRate(sampleRate);
    checkChannels(channels);
    this.sampleRate = sampleRate;
    this.#wasm = new OpusWasmDecoder(sampleRate);
  }

  get closed(): boolean {
    return this.#wasm.closed;
  }

  /** One Opus packet → its PCM (the packet's own duration). Corrupt packets → WG_ERR_BAD_PAYLOAD. */
  decode(payload: Uint8Array): Int16Array {
    return this.#wasm.decode(payload);
  }

  /**
   * `samples` of libopus concealment for a lost stretch; with `nextPayload`, its in-band FEC data
   * rebuilds the end of the stretch (libopus falls back to PLC when the packet carries none).
   */
  conceal(samples: number, nextPayload?: Uint8Array): Int16Array {
    return this.#wasm.conceal(samples, nextPayload);
  }

  /** Forgets the stream's history. */
  reset(): void {
    this.#wasm.reset();
  }

  close(): void {
    this.#wasm.close();
  }
}
