import { readFileSync } from 'node:fs';
import opus from '@discordjs/opus';
import wavefile from 'wavefile';
import { encodeMulaw } from '../../src/codecs/g711.js';
import { encodeL16 } from '../../src/codecs/l16.js';
import type { MediaFormat } from '../../src/codecs/media-format.js';

/** What the load generator sends: a wire shape shared by the gateway run and the bare-relay run. */
export const VARIANT_NAMES = ['mulaw-json', 'l16-binary', 'opus-binary', 'webrtc-opus'] as const;
export type VariantName = (typeof VARIANT_NAMES)[number];

export interface VariantSpec {
  readonly name: VariantName;
  readonly label: string;
  /** `websocket`: FastRTC's /websocket/offer. `webrtc`: POST /webrtc/offer, the frames as Opus RTP on a werift peer. */
  readonly transport: 'websocket' | 'webrtc';
  /** The start message (FastRTC + wavegate's mediaFormat/outputFormat extension). */
  readonly mediaFormat: MediaFormat | undefined;
  readonly outputFormat: MediaFormat | undefined;
  readonly binary: boolean;
}

export const VARIANTS: Readonly<Record<VariantName, VariantSpec>> = {
  'mulaw-json': {
    name: 'mulaw-json',
    label: 'FastRTC μ-law JSON (48 kHz in, 24 kHz out)',
    transport: 'websocket',
    // FastRTC's defaults: a FastRTC client says nothing about formats.
    mediaFormat: undefined,
    outputFormat: undefined,
    binary: false,
  },
  'l16-binary': {
    name: 'l16-binary',
    label: 'binary L16 (48 kHz in, 24 kHz out)',
    transport: 'websocket',
    mediaFormat: { encoding: 'audio/x-l16', sampleRate: 48_000, channels: 1 },
    outputFormat: { encoding: 'audio/x-l16', sampleRate: 24_000, channels: 1 },
    binary: true,
  },
  'opus-binary': {
    name: 'opus-binary',
    label: "binary Opus (48 kHz in and out, the gateway's default encoder settings)",
    transport: 'websocket',
    mediaFormat: { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 },
    outputFormat: { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 },
    binary: true,
  },
  'webrtc-opus': {
    name: 'webrtc-opus',
    label: "WebRTC Opus RTP (werift, 48 kHz in and out, the gateway's default encoder settings)",
    transport: 'webrtc',
    // Not sent: the SDP negotiates Opus/48000; the frames are the same packets as opus-binary's.
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

/** Every MARKER_PERIOD-th frame is a marker: a loud 1 kHz tone the generator finds again in the replies. */
export const MARKER_PERIOD = 5;
/** Marker tone amplitude: 0.5 of full scale, −9 dBFS RMS. */
const MARKER_AMPLITUDE = 16_384;
/** Background speech is scaled so that its loudest 20 ms frame is −30 dBFS RMS. */
const BACKGROUND_MAX_RMS = 32_768 * 10 ** (-30 / 20);
/** A reply frame is "loud" above −20 dBFS RMS: 11 dB under a whole marker, 10 dB over the loudest background. */
export const LOUD_MEAN_SQUARE = (32_768 * 10 ** (-20 / 20)) ** 2;

export const isMarkerFrame = (k: number): boolean => k % MARKER_PERIOD === 0;

/** Speech (a flite fixture, 16 kHz) brought to 48 kHz by linear interpolation and scaled down. */
function background48k(wavPath: string, frames: number): Int16Array {
  const wav = new wavefile.WaveFile(readFileSync(wavPath));
  const source = wav.getSamples(false, Int16Array) as unknown as Int16Array;
  const out = new Float64Array(frames * FRAME_SAMPLES_48K);
  for (let i = 0; i < out.length; i++) {
    const pos = (i / 3) % source.length;
    const a = source[Math.floor(pos)] ?? 0;
    const b = source[(Math.floor(pos) + 1) % source.length] ?? 0;
    out[i] = a + (b - a) * (pos - Math.floor(pos));
  }
  let maxRms = 1;
  for (let k = 0; k < frames; k++) {
    let sum = 0;
    for (let i = k * FRAME_SAMPLES_48K; i < (k + 1) * FRAME_SAMPLES_48K; i++) sum += out[i]! * out[i]!;
    maxRms = Math.max(maxRms, Math.sqrt(sum / FRAME_SAMPLES_48K));
  }
  const gain = BACKGROUND_MAX_RMS / maxRms;
  return Int16Array.from(out, (x) => Math.round(x * gain));
}

/** 20 ms frames at 48 kHz: quiet speech, with every MARKER_PERIOD-th frame replaced by the marker tone. */
export function signal48k(wavPath: string, frames: number): Int16Array {
  const pcm = background48k(wavPath, frames);
  for (let k = 0; k < frames; k += MARKER_PERIOD) {
    for (let i = 0; i < FRAME_SAMPLES_48K; i++) pcm[k * FRAME_SAMPLES_48K + i] = Math.round(MARKER_AMPLITUDE * Math.sin((2 * Math.PI * 1000 * i) / 48_000));
  }
  return pcm;
}

/**
 * The messages one session sends, cycled (frame k of the run is `frames[k % frames.length]`, so markers
 * stay every MARKER_PERIOD-th frame): base64 μ-law JSON text, raw L16 binary or Opus packets. Built once
 * per worker; every session sends the same bytes.
 */
export function buildFrames(variant: VariantSpec, wavPath: string, frames = 150): Array<string | Buffer> {
  if (frames % MARKER_PERIOD !== 0) throw new RangeError(`frames must be a multiple of ${MARKER_PERIOD}, got ${frames}`);
  const pcm = signal48k(wavPath, frames);
  const out: Array<string | Buffer> = [];
  const encoder = variant.mediaFormat?.encoding === 'audio/opus' ? new opus.OpusEncoder(48_000, 1) : undefined;
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
      case 'webrtc-opus':
        out.push(encoder!.encode(Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)));
        break;
    }
  }
  return out;
}
