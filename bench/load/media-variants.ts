import { readFileSync } from 'node:fs';
import opus from '@discordjs/opus';
import wavefile from 'wavefile';
import { encodeMulaw } from '../../src/codecs/g711.js';
import { encodeL16 } from '../../src/codecs/l16.js';
import type { MediaFormat } from '../../src/codecs/media-format.js';

/** What the load generator sends: a wire shape shared by the gateway run and the bare-relay run. */
export const VARIANT_NAMES = ['mulaw-json', 'l16-binary', 'opus-binary'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

export interface VariantSpec {
  readonly name: VariantName;
  readonly label: string;
  /** The start message (FastRTC + wavegate's mediaFormat/outputFormat extension). */
  readonly mediaFormat: MediaFormat | undefined;
  readonly outputFormat: MediaFormat | undefined;
  readonly binary: boolean;
}

export const VARIANTS: Readonly<Record<VariantName, VariantSpec>> = {
  'mulaw-json': {
    name: 'mulaw-json',
    label: 'FastRTC μ-law JSON (48 kHz in, 24 kHz out)',
    // FastRTC's defaults: a FastRTC client says nothing about formats.
    mediaFormat: undefined,
    outputFormat: undefined,
    binary: false,
  },
  'l16-binary': {
    name: 'l16-binary',
    label: 'binary L16 (48 kHz in, 24 kHz out)',
    mediaFormat: { encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 },
    outputFormat: { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 },
    binary: true,
  },
  'opus-binary': {
    name: 'opus-binary',
    label: 'binary Opus (48 kHz in and out, gateway encoder complexity 5)',
    mediaFormat: { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 },
    outputFormat: { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 },
    binary: true,
  },
};

export function isVariantName(value: string): value is VariantName {
  return (VARIANT_NAMES as readonly string[]).includes(value);
}

export function startMessage(variant: VariantSpec, sessionId: string): string {
  return JSON.stringify({
    event: 'start',
    websocket_id: sessionId,
    ...(variant.mediaFormat && { mediaFormat: variant.mediaFormat }),
    ...(variant.outputFormat && { outputFormat: variant.outputFormat }),
  });
}

const FRAME_SAMPLES_48K = 960; // 20 ms at 48 kHz

/** Speech (a flite fixture, 16 kHz) brought to 48 kHz by linear interpolation: real content for Opus. */
function speech48k(wavPath: string, frames: number): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(wavPath));
  const source = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  const out = new Int16Array(frames * FRAME_SAMPLES_48K);
  for (let i = 0; i < out.length; i++) {
    const pos = (i / 3) % source.length;
    const a = source[Math.floor(pos)] ?? 0;
    const b = source[(Math.floor(pos) + 1) % source.length] ?? 0;
    out[i] = Math.round(a + (b - a) * (pos - Math.floor(pos)));
  }
  return out;
}

/**
 * The messages one session sends, cycled: 20 ms frames of speech at 48 kHz, as base64 μ-law JSON text,
 * raw L16 binary or Opus packets. Built once per worker; every session sends the same bytes.
 */
export function buildFrames(variant: VariantSpec, wavPath: string, frames = 150): Array<string | Buffer> {
  const pcm = speech48k(wavPath, frames);
  const out: Array<string | Buffer> = [];
  const encoder = variant.name === 'opus-binary' ? new opus.OpusEncoder(48_000, 1) : undefined;
  for (let k = 0; k < frames; k++) {
    const frame = pcm.subarray(k * FRAME_SAMPLES_48K, (k + 1) * FRAME_SAMPLES_48K);
    switch (variant.name) {
      case 'mulaw-json':
        out.push(JSON.stringify({ event: 'media', media: { payload: Buffer.from(encodeMulaw(frame)).toString('base64') } }));
        break;
      case 'l16-binary':
        out.push(Buffer.from(encodeL16(frame)));
        break;
      case 'opus-binary':
        out.push(encoder!.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)));
        break;
    }
  }
  return out;
}

/** True for a message that carries audio back (the n-th one answers the n-th frame sent). */
export function isMediaReply(data: Buffer, isBinary: boolean): boolean {
  if (isBinary) return true;
  // Both the gateway and the relay start media messages this way; no JSON parse on the hot path.
  return data.length > 16 && data.toString('latin1', 0, 16) === '{"event":"media"';
}
