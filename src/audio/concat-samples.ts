/**
 * Joins PCM16 chunks, in order, into one new array (always a copy, even of a single chunk).
 * Interleaved multi-channel chunks join the same way as long as each holds whole frames.
 */
export function concatSamples(chunks: readonly Int16Array[]): Int16Array {
  let length = 0;
  for (const c of chunks) length += c.length;
  const out = new Int16Array(length);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}
