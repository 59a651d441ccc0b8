import { WavegateError } from '../../errors/wavegate-error.js';

/**
 * Swaps the two bytes of every 16-bit sample: RTP's big-endian `L16` (RFC 3551, what Telnyx streams)
 * ↔ wavegate's little-endian `audio/x-l16`. The swap is its own inverse. Returns a new buffer.
 */
export function swapL16ByteOrder(payload: Uint8Array): Uint8Array {
  if (payload.length % 2 !== 0) {
    throw new WavegateError('WG_ERR_BAD_PAYLOAD', `L16 payload has an odd length of ${payload.length} bytes (2 bytes per sample)`);
  }
  const out = new Uint8Array(payload.length);
  for (let i = 0; i < payload.length; i += 2) {
    out[i] = payload[i + 1]!;
    out[i + 1] = payload[i]!;
  }
  return out;
}
