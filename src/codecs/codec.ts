import type { MediaFormat } from './media-format.js';

/**
 * A per-stream decoder: wire payload → PCM16 at `format.sampleRate`. Stateful codecs (Opus) keep
 * their state between calls, so one decoder serves exactly one stream.
 */
export interface PayloadDecoder {
  readonly format: MediaFormat;
  decode(payload: Uint8Array): Int16Array;
  /**
   * Audio for a lost packet of `samples` samples. Opus uses libopus loss concealment, or in-band FEC
   * when the packet after the gap is given. Codecs without concealment of their own leave this out;
   * the jitter buffer then repeats the last waveform with a fade.
   */
  conceal?(samples: number, nextPayload?: Uint8Array): Int16Array;
  close(): void;
}

/** A per-stream encoder: PCM16 at `format.sampleRate` → one wire payload. */
export interface PayloadEncoder {
  readonly format: MediaFormat;
  /** Samples per payload the codec requires (Opus), or undefined when any length is accepted. */
  readonly frameSamples: number | undefined;
  encode(pcm: Int16Array): Uint8Array;
  /**
   * Encodes into `out` where the codec can (G.711, L16: `out` must hold `payloadBytes(pcm.length)`
   * bytes) and returns the payload: `out` itself when it is exactly that size, else a view of it.
   * Opus returns a fresh packet (libopus's binding allocates it) and leaves `out` alone.
   */
  encodeInto(pcm: Int16Array, out: Uint8Array): Uint8Array;
  /** Bytes `encodeInto` writes for `samples` samples; 0 when it does not use `out` (Opus). */
  payloadBytes(samples: number): number;
  /**
   * The far end's packet loss, percent (0–100), as it reports it (RTCP receiver reports, a client's
   * own figure). Opus spends in-band FEC in proportion when its `fec` is on or 'auto'; other codecs
   * leave this out.
   */
  setPacketLossPercent?(percent: number): void;
  close(): void;
}

export interface EncoderOptions {
  /** Opus frame duration; 20 ms unless told. */
  frameMs?: 10 | 20 | 40 | 60;
  bitrate?: number;
  complexity?: number;
  /** Opus in-band forward error correction: on, off, or 'auto' (on while the far end reports loss). */
  fec?: boolean | 'auto';
  /** Opus discontinuous transmission. */
  dtx?: boolean;
  /** Expected packet loss in percent (drives how much FEC Opus spends). */
  packetLossPercent?: number;
  /** Opus mode: 'voip' (SILK/hybrid, speech; the default), 'audio' (music), 'lowdelay' (CELT only). */
  application?: 'voip' | 'audio' | 'lowdelay';
}
