/**
 * Opus cost on speech (the fixtures), 20 ms frames, mono, libopus through @discordjs/opus
 * (src/codecs/opus.ts, default options: voip application, automatic bitrate, no FEC/DTX). Encoding
 * and decoding are timed separately, each as seconds of audio per CPU second; one real-time stream
 * needs both, so streams per core = 1 / (1/encode + 1/decode).
 */
import { OpusStreamDecoder, OpusStreamEncoder } from '../../src/codecs/opus.js';
import { measureRate, type RateStats, type TimingOptions } from './bench-timing.js';

export interface OpusRow {
  readonly sampleRate: number;
  readonly complexity: number;
  /** Audio seconds encoded per CPU second. */
  readonly encode: RateStats;
  /** Audio seconds decoded per CPU second. */
  readonly decode: RateStats;
  /** Real-time streams (encode + decode) per core, from the medians. */
  readonly streamsPerCore: number;
  /** Mean bitrate libopus chose, bits per second. */
  readonly meanBitrate: number;
}

export function benchOpus(speech: Int16Array, sampleRate: number, complexity: number, timing: TimingOptions): OpusRow {
  const frameSamples = (sampleRate * 20) / 1000;
  const frames: Int16Array[] = [];
  for (let at = 0; at + frameSamples <= speech.length; at += frameSamples) frames.push(speech.subarray(at, at + frameSamples));
  const seconds = (frames.length * frameSamples) / sampleRate;

  let packets: Uint8Array[] = [];
  const encode = measureRate(() => {
    const encoder = new OpusStreamEncoder(sampleRate, 1, { complexity, frameMs: 20 });
    packets = frames.map((f) => encoder.encode(f));
    encoder.close();
    return seconds;
  }, timing);
  let sink = 0;
  const decode = measureRate(() => {
    const decoder = new OpusStreamDecoder(sampleRate, 1);
    for (const p of packets) sink += decoder.decode(p)[5]!;
    decoder.close();
    return seconds;
  }, timing);
  if (sink === 0.5) console.log(sink);
  const bytes = packets.reduce((n, p) => n + p.length, 0);
  return {
    sampleRate,
    complexity,
    encode,
    decode,
    streamsPerCore: 1 / (1 / encode.median + 1 / decode.median),
    meanBitrate: (bytes * 8) / seconds,
  };
}
