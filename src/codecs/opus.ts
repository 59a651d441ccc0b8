/**
 * Opus through `@discordjs/opus` (libopus, native): one encoder and one decoder object per stream, mono,
 * 8/12/16/24/48 kHz, 10/20/40/60 ms frames.
 *
 * Loss concealment. The binding's `decode(buf)` always calls `opus_decode(st, data, len, pcm, 5760, 0)`:
 * an empty buffer would conceal 5760 samples (120 ms at 48 kHz, 720 ms at 8 kHz), never the length of
 * the lost packet, and `decode_fec` is hard-wired to 0. What works exactly is a one-byte packet that holds
 * only a TOC byte: libopus treats a frame of 0–1 bytes as lost and conceals exactly the frame duration the
 * TOC names ("Payloads of 1 (2 including ToC) or 0 trigger the PLC/DTX … don't conceal more than what the
 * ToC says", opus_decoder.c) using the mode of the last real packet — the same path DTX packets take. So
 * `conceal(n)` feeds TOC-only packets of 20/10/5/2.5 ms until n samples are produced: real libopus PLC
 * (pitch-repeating SILK/CELT concealment that fades, and a smooth merge into the next real packet).
 *
 * In-band FEC: decoding the redundant copy in the next packet needs `opus_decode(…, decode_fec = 1)`,
 * which this binding (0.10.0) and the other npm bindings examined (@evan/opus 1.0.3, opusscript 0.1.1,
 * opus-decoder 0.7.12) do not expose. `conceal(n, nextPayload)` therefore conceals with PLC; the
 * encoder still emits FEC when asked (for peers that can use it). See docs/media.md.
 *
 * `close()` drops the native object (the binding frees libopus state when it is collected); every
 * method called after close throws.
 */
import opus from '@discordjs/opus';
import { WavegateError } from '../errors/wavegate-error.js';

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
  /** In-band forward error correction (SILK LBRR copies of the previous frame). */
  fec?: boolean;
  /** Discontinuous transmission: silence becomes 1–2 byte packets. */
  dtx?: boolean;
  /** Expected packet loss, percent; FEC spends bits in proportion. 10 when fec is on and this is unset. */
  packetLossPercent?: number | undefined;
  application?: OpusApplication;
}

const DEFAULTS = {
  frameMs: 20 as OpusFrameMs,
  bitrate: undefined as number | undefined,
  complexity: 5,
  fec: false,
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

/** TOC bytes of mono code-0 CELT packets (configs 16–19: 2.5, 5, 10, 20 ms); duration in 1/10 ms. */
const PLC_TOCS: ReadonlyArray<readonly [tenthsMs: number, toc: number]> = [
  [200, 19 << 3],
  [100, 18 << 3],
  [50, 17 << 3],
  [25, 16 << 3],
];

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
  if (typeof o.fec !== 'boolean') throw new TypeError(`Opus option fec must be a boolean, got ${String(o.fec)}`);
  if (typeof o.dtx !== 'boolean') throw new TypeError(`Opus option dtx must be a boolean, got ${String(o.dtx)}`);
  const loss = o.packetLossPercent ?? (o.fec ? 10 : 0);
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

function toInt16(buf: Buffer): Int16Array {
  if (buf.byteOffset % 2 === 0) return new Int16Array(buf.buffer, buf.byteOffset, buf.byteLength >> 1);
  const out = new Int16Array(buf.byteLength >> 1);
  new Uint8Array(out.buffer).set(buf.subarray(0, out.byteLength));
  return out;
}

export class OpusStreamEncoder {
  readonly sampleRate: number;
  readonly frameSamples: number;
  readonly options: Readonly<ReturnType<typeof resolveOptions>>;
  #native: InstanceType<typeof opus.OpusEncoder> | undefined;

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
    native.applyEncoderCTL(CTL.setInbandFec, this.options.fec ? 1 : 0);
    native.applyEncoderCTL(CTL.setPacketLossPerc, this.options.packetLossPercent);
    native.applyEncoderCTL(CTL.setDtx, this.options.dtx ? 1 : 0);
    this.#native = native;
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
  #native: InstanceType<typeof opus.OpusEncoder> | undefined;
  readonly #plcPackets: ReadonlyArray<readonly [samples: number, packet: Buffer]>;

  constructor(sampleRate: number, channels = 1) {
    checkOpusRate(sampleRate);
    checkChannels(channels);
    this.sampleRate = sampleRate;
    this.#native = new opus.OpusEncoder(sampleRate, 1);
    this.#plcPackets = PLC_TOCS.map(([tenths, toc]) => [(sampleRate * tenths) / 10000, Buffer.of(toc)] as const);
  }

  get closed(): boolean {
    return this.#native === undefined;
  }

  /** One Opus packet → its PCM (the packet's own duration). Corrupt packets → WG_ERR_BAD_PAYLOAD. */
  decode(payload: Uint8Array): Int16Array {
    const native = this.#open('decode');
    if (payload.length === 0) throw new WavegateError('WG_ERR_BAD_PAYLOAD', 'empty Opus packet');
    try {
      return toInt16(native.decode(asBuffer(payload)));
    } catch (err) {
      throw new WavegateError('WG_ERR_BAD_PAYLOAD', `Opus packet of ${payload.length} bytes: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * `samples` of libopus loss concealment for a lost stretch. Lengths are produced in 20/10/5/2.5 ms
   * steps; a remainder below 2.5 ms is concealed as 2.5 ms and cut. `nextPayload` (the packet after the
   * gap) is accepted for the PayloadDecoder contract; see the module comment on FEC.
   */
  conceal(samples: number, _nextPayload?: Uint8Array): Int16Array {
    const native = this.#open('conceal');
    if (!Number.isInteger(samples) || samples <= 0) throw new RangeError(`conceal needs a positive whole number of samples, got ${String(samples)}`);
    const out = new Int16Array(samples);
    let written = 0;
    while (written < samples) {
      const remaining = samples - written;
      const step = this.#plcPackets.find(([n]) => n <= remaining) ?? this.#plcPackets[this.#plcPackets.length - 1]!;
      const pcm = toInt16(native.decode(step[1]));
      const take = Math.min(pcm.length, remaining);
      out.set(pcm.subarray(0, take), written);
      written += take;
      if (pcm.length === 0) break; // cannot happen with a valid TOC; guards against an endless loop
    }
    return out;
  }

  close(): void {
    this.#native = undefined;
  }

  #open(method: string): InstanceType<typeof opus.OpusEncoder> {
    if (this.#native === undefined) throw new Error(`OpusStreamDecoder.${method}() called after close()`);
    return this.#native;
  }
}
