/**
 * The Node client library: stream audio to a wavegate (or FastRTC) server in real time and get the
 * reply back through a playout jitter buffer, with round-trip measurements. The CLI
 * (`wavegate client`, client-command.ts) is a thin layer over this.
 *
 * ```ts
 * import { loadAudio, streamAudio } from 'wavegate/clients/wavegate-client';
 * const format = { encoding: 'audio/x-mulaw', sampleRate: 48000, channels: 1 } as const;
 * const pcm = await loadAudio('speech.wav', format.sampleRate);
 * const result = await streamAudio(pcm, { url: 'ws://127.0.0.1:8000/websocket/offer', id: 'me',
 *   input: format, output: { ...format, sampleRate: 24000 }, negotiate: false });
 * console.log(result.echoRtt.p50, result.reply.length);
 * // Over WebRTC (FastRTC's POST /webrtc/offer): Opus RTP both ways, events on the `text` data channel.
 * const opus = { encoding: 'audio/opus', sampleRate: 48000, channels: 1 } as const;
 * await streamAudio(await loadAudio('speech.wav', 48000), { transport: 'webrtc',
 *   url: 'http://127.0.0.1:8000/webrtc/offer', id: 'me', input: opus, output: opus });
 * ```
 * Lower level: WavegateConnection (one socket: start, encoded frames, marks, stop, classified server
 * events), WebRtcConnection (the same over a werift peer) and WebRtcPeer (FastRTC's offer/answer flow,
 * raw RTP), and the pure parts (DeadlineSchedule, chunkFrames, RoundTripTracker, alignEcho, summarize).
 */
import { StreamingResampler } from '../src/resample/streaming-resampler.js';
import { readWav } from '../src/wav/wav-file.js';
import { mixToMono } from '../src/audio/mix-to-mono.js';
export { streamAudio, resolveStreamOptions, DEFAULT_STREAM_OPTIONS, type StreamInput, type StreamOptions, type StreamProgress, type StreamResult } from './stream-audio.js';
export { WavegateConnection, CLIENT_ENCODINGS, type ClientEncoding, type ConnectionOptions } from './wavegate-connection.js';
export { WebRtcConnection, type WebRtcConnectionOptions } from './webrtc-connection.js';
export { WebRtcPeer, isRefusal, type OfferRefusal, type WebRtcPeerOptions } from './webrtc-peer.js';
export { parseServerMessage, parseServerText, type ServerEvent } from './client-wire.js';
export { DeadlineSchedule } from './deadline-schedule.js';
export { chunkFrames } from './frame-chunker.js';
export { mixToMono } from '../src/audio/mix-to-mono.js';
export { RoundTripTracker } from './round-trip-tracker.js';
export { alignEcho, EnvelopeTrack, type EchoAlignment } from './echo-alignment.js';
export { percentile, summarize, type Summary } from './percentiles.js';

/** A WAV file as mono PCM16 at `sampleRate` (channels averaged, resampled with the gateway's resampler). */
export async function loadAudio(path: string, sampleRate: number): Promise<Int16Array> {
  const wav = await readWav(path);
  const mono = mixToMono(wav.samples, wav.channels);
  return new StreamingResampler(wav.sampleRate, sampleRate).processAll(mono);
}
