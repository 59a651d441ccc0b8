/**
 * Whole-file WAV read/write through `wavefile`. Everything comes out as interleaved PCM16:
 * 8-bit unsigned, 24/32-bit integer and 32/64-bit float files are converted (integers rounded to the
 * nearest 16-bit step, floats scaled by 32768, both clipped), μ-law/A-law files decoded with the G.711
 * tables of this package. For files that grow while they are written see growing-wav-writer.ts.
 */
import { readFile, writeFile } from 'node:fs/promises';
import wavefile from 'wavefile';
import { decodeAlaw, decodeMulaw } from '../codecs/g711.js';
import { WavegateError } from '../errors/wavegate-error.js';

export interface WavAudio {
  /** Interleaved PCM16. */
  readonly samples: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
}

interface WavFmt {
  numChannels: number;
  sampleRate: number;
}

function clip16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

function toPcm16(raw: Float64Array, bitDepth: string): Int16Array {
  const out = new Int16Array(raw.length);
  switch (bitDepth) {
    case '16':
      out.set(raw);
      break;
    case '8':
      for (let i = 0; i < raw.length; i++) out[i] = (raw[i]! - 128) * 256;
      break;
    case '24':
    case '32': {
      const scale = bitDepth === '24' ? 1 / 256 : 1 / 65536;
      for (let i = 0; i < raw.length; i++) out[i] = clip16(Math.round(raw[i]! * scale));
      break;
    }
    case '32f':
    case '64':
      for (let i = 0; i < raw.length; i++) out[i] = clip16(Math.round(raw[i]! * 32768));
      break;
    default:
      throw new WavegateError('WG_ERR_BAD_WAV', `unsupported bit depth ${bitDepth}`);
  }
  return out;
}

/** Parses WAV bytes (RIFF, RIFX or RF64). Malformed or unsupported files → WG_ERR_BAD_WAV. */
export function parseWav(bytes: Uint8Array): WavAudio {
  let wav: InstanceType<typeof wavefile.WaveFile>;
  try {
    wav = new wavefile.WaveFile(bytes);
  } catch (err) {
    throw new WavegateError('WG_ERR_BAD_WAV', (err as Error).message, { cause: err });
  }
  const fmt = wav.fmt as WavFmt;
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  if (!Number.isInteger(channels) || channels < 1 || !Number.isInteger(sampleRate) || sampleRate < 1) {
    throw new WavegateError('WG_ERR_BAD_WAV', `fmt chunk gives ${channels} channels at ${sampleRate} Hz`);
  }
  let samples: Int16Array;
  if (wav.bitDepth === '8m' || wav.bitDepth === '8a') {
    const data = (wav.data as { samples: Uint8Array }).samples;
    samples = wav.bitDepth === '8m' ? decodeMulaw(data) : decodeAlaw(data);
  } else {
    try {
      if (wav.bitDepth === '4') wav.fromIMAADPCM('16');
      samples = toPcm16(wav.getSamples(true, Float64Array), wav.bitDepth);
    } catch (err) {
      if (err instanceof WavegateError) throw err;
      throw new WavegateError('WG_ERR_BAD_WAV', (err as Error).message, { cause: err });
    }
  }
  // A truncated data chunk can leave a partial last frame; keep whole frames only.
  const whole = samples.length - (samples.length % channels);
  return { samples: whole === samples.length ? samples : samples.slice(0, whole), sampleRate, channels };
}

/** Reads a WAV file (path) or WAV bytes. */
export async function readWav(source: string | Uint8Array): Promise<WavAudio> {
  const bytes = typeof source === 'string' ? await readFile(source) : source;
  return parseWav(bytes);
}

/** A complete 16-bit PCM WAV file for `audio`. */
export function encodeWav(audio: WavAudio): Uint8Array {
  const { samples, sampleRate, channels } = audio;
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be a positive integer, got ${String(channels)}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`sampleRate must be a positive integer, got ${String(sampleRate)}`);
  if (samples.length % channels !== 0) throw new RangeError(`${samples.length} samples do not divide into ${channels} channels`);
  const wav = new wavefile.WaveFile();
  wav.fromScratch(channels, sampleRate, '16', samples); // a flat array is taken as interleaved
  return wav.toBuffer();
}

export async function writeWav(path: string, audio: WavAudio): Promise<void> {
  await writeFile(path, encodeWav(audio));
}
