/** RMS of a PCM16 frame, as a fraction of full scale (0…1). */
export function frameRms(samples: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    sum += s * s;
  }
  return samples.length === 0 ? 0 : Math.sqrt(sum / samples.length) / 32_768;
}

/** dBFS of a level from `frameRms` (−127 for silence, like RFC 6464's floor). */
export function levelDbfs(rms: number): number {
  return rms <= 0 ? -127 : Math.max(-127, 20 * Math.log10(rms));
}

/** Linear level of a dBFS value. */
export function dbfsToLevel(db: number): number {
  return 10 ** (db / 20);
}
