/**
 * Cuts PCM16 into frames of exactly `frameSamples` samples (mono) for real-time sending. The last
 * frame is padded with silence so every frame is whole (Opus only takes whole frames, and a pacer
 * sends whole frames). Returns views into one padded copy, no per-frame allocation.
 */
export function chunkFrames(pcm: Int16Array, frameSamples: number): Int16Array[] {
  if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
    throw new TypeError(`Expected \`frameSamples\` to be an integer > 0, got \`${String(frameSamples)}\``);
  }
  const count = Math.ceil(pcm.length / frameSamples);
  const padded = pcm.length === count * frameSamples ? pcm : new Int16Array(count * frameSamples);
  if (padded !== pcm) padded.set(pcm);
  return Array.from({ length: count }, (_, k) => padded.subarray(k * frameSamples, (k + 1) * frameSamples));
}
