/**
 * The one audio type used everywhere in wavegate: interleaved PCM16 samples with their rate,
 * channel count and a timestamp (milliseconds on the stream's own clock, starting at 0).
 */
export interface AudioFrame {
  readonly samples: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
  /** Milliseconds since the start of the stream this frame belongs to. */
  readonly timestamp: number;
}

export function createAudioFrame(samples: Int16Array, sampleRate: number, channels = 1, timestamp = 0): AudioFrame {
  return { samples, sampleRate, channels, timestamp };
}

/** Samples per channel in the frame. */
export function frameLength(frame: AudioFrame): number {
  return frame.samples.length / frame.channels;
}

/** Duration of the frame in milliseconds. */
export function frameDurationMs(frame: AudioFrame): number {
  return (frameLength(frame) * 1000) / frame.sampleRate;
}

/** Samples per channel in `ms` milliseconds at `sampleRate`. */
export function samplesPerFrame(sampleRate: number, ms: number): number {
  return Math.round((sampleRate * ms) / 1000);
}
