/**
 * L16 payloads (`audio/x-l16`): 16-bit signed linear PCM, two's complement, LITTLE-ENDIAN — low byte
 * first, sample n at bytes 2n (low) and 2n+1 (high); channels interleaved. This is the byte order of WAV
 * files and of the Int16Array a browser or Node client builds, so clients send their buffers as they are.
 * Note that RTP's `audio/L16` (RFC 3551) is big-endian; wavegate's `audio/x-l16` is not that format.
 *
 * A payload with an odd number of bytes cannot be L16 and is refused with WG_ERR_BAD_PAYLOAD.
 */
import { endianness } from 'node:os';
import { allocBytes, allocSamples } from '../audio/sample-pool.js';
import { WavegateError } from '../errors/wavegate-error.js';

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

/** Samples in an L16 payload of `byteLength` bytes; WG_ERR_BAD_PAYLOAD when the length is odd. */
export function l16SampleCount(byteLength: number): number {
  if (byteLength % 2 !== 0) {
    throw new WavegateError('WG_ERR_BAD_PAYLOAD', `L16 payload has an odd length of ${byteLength} bytes (2 bytes per sample)`);
  }
  return byteLength / 2;
}

/** Decodes `src` into `dst[0..n)`, n = src.length / 2; returns n. No buffer is allocated. */
export function decodeL16Into(src: Uint8Array, dst: Int16Array): number {
  const n = l16SampleCount(src.length);
  if (dst.length < n) throw new RangeError(`decodeL16Into: destination holds ${dst.length} samples, ${n} needed`);
  if (HOST_IS_LITTLE_ENDIAN) {
    // Same byte order as the host: a byte copy (works for any alignment of src).
    new Uint8Array(dst.buffer, dst.byteOffset, n * 2).set(src);
  } else {
    for (let i = 0; i < n; i++) dst[i] = ((src[2 * i]! | (src[2 * i + 1]! << 8)) << 16) >> 16;
  }
  return n;
}

/** Encodes `src` into `dst[0..2n)`; returns the number of bytes written. No buffer is allocated. */
export function encodeL16Into(src: Int16Array, dst: Uint8Array): number {
  const bytes = src.length * 2;
  if (dst.length < bytes) throw new RangeError(`encodeL16Into: destination holds ${dst.length} bytes, ${bytes} needed`);
  if (HOST_IS_LITTLE_ENDIAN) {
    dst.set(new Uint8Array(src.buffer, src.byteOffset, bytes));
  } else {
    for (let i = 0; i < src.length; i++) {
      const s = src[i]!;
      dst[2 * i] = s & 0xff;
      dst[2 * i + 1] = (s >> 8) & 0xff;
    }
  }
  return bytes;
}

/** The samples may share their ArrayBuffer with other arrays (see audio/sample-pool.ts). */
export function decodeL16(src: Uint8Array): Int16Array {
  const dst = allocSamples(l16SampleCount(src.length));
  decodeL16Into(src, dst);
  return dst;
}

/** The bytes may share their ArrayBuffer with other arrays (see audio/sample-pool.ts). */
export function encodeL16(src: Int16Array): Uint8Array {
  const dst = allocBytes(src.length * 2);
  encodeL16Into(src, dst);
  return dst;
}
