import { WavegateError } from '../errors/wavegate-error.js';
import type { MediaFormat } from './media-format.js';

/** Opus frame duration (ms) by TOC configuration number (RFC 6716 §3.1, table 2). */
function opusFrameMs(config: number): number {
  if (config < 12) return [10, 20, 40, 60][config % 4]!; // SILK-only
  if (config < 16) return [10, 20][config % 2]!; // hybrid
  return [2.5, 5, 10, 20][config % 4]!; // CELT-only
}

/** Audio duration of an Opus packet from its TOC byte and frame count (RFC 6716 §3.1–3.2). */
export function opusPacketDurationMs(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) throw new WavegateError('WG_ERR_BAD_PAYLOAD', 'empty Opus packet');
  const code = toc & 0x03;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code === 3) {
    const count = packet[1];
    if (count === undefined) throw new WavegateError('WG_ERR_BAD_PAYLOAD', 'Opus code-3 packet without a frame count byte');
    frames = count & 0x3f;
  } else frames = 2;
  const ms = frames * opusFrameMs(toc >> 3);
  if (frames === 0 || ms > 120) throw new WavegateError('WG_ERR_BAD_PAYLOAD', `Opus packet of ${frames} frames, ${ms} ms`);
  return ms;
}

/**
 * How much audio a payload carries, in ms, checked against the format: G.711 is one byte per
 * sample, L16 two (a half sample is an error), Opus says so in its TOC byte.
 */
export function payloadDurationMs(format: MediaFormat, payload: Uint8Array): number {
  if (payload.byteLength === 0) throw new WavegateError('WG_ERR_BAD_PAYLOAD', 'empty payload');
  switch (format.encoding) {
    case 'audio/x-mulaw':
    case 'audio/x-alaw':
      return (payload.byteLength * 1000) / format.sampleRate / format.channels;
    case 'audio/x-l16':
      if (payload.byteLength % (2 * format.channels) !== 0) {
        throw new WavegateError('WG_ERR_BAD_PAYLOAD', `L16 payload of ${payload.byteLength} bytes is not a whole number of samples`);
      }
      return (payload.byteLength * 500) / format.sampleRate / format.channels;
    case 'audio/opus':
      return opusPacketDurationMs(payload);
  }
}
