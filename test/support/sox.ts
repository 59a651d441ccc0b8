import { execFileSync } from 'node:child_process';

/** A WAV file as mono PCM16 at `rate`, converted by sox (a neutral reference, not our resampler). */
export function soxLoad(path: string, rate: number): Int16Array {
  const raw = execFileSync('sox', [path, '-r', String(rate), '-c', '1', '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-L', '-'], { maxBuffer: 64 << 20 });
  return new Int16Array(raw.buffer, raw.byteOffset, raw.byteLength / 2).slice();
}
