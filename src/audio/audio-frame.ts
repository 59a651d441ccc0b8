/**
 * The one audio type used everywhere in wavegate: interleaved PCM16 samples with their rate,
 * channel count and a timestamp (milliseconds on the stream's own clock, starting at 0).
 *
 * Ownership (docs/architecture.md, "Who owns which bytes"):
 * - A frame given to `Handler.receive` is lent, not given: the frame and its `samples` are valid until
 *   `receive` returns, or, when it returns a promise, until that promise settles. Then wavegate reuses
 *   them for a later frame. A handler that keeps audio past that point copies it
 *   (`frame.samples.slice()`, or `{ ...frame, samples: frame.samples.slice() }` for the frame).
 * - Sending the frame straight back from inside `receive` (`ctx.send({ type: 'audio', frame })`, the echo)
 *   is fine: the session reads output audio during the call (resampled or copied into its own frames)
 *   and keeps no reference to it.
 * - Frames a handler sends (`ctx.send`, `emit`) stay the handler's: the session never writes to them.
 * - Session taps (`SessionTap.onInput`) get their own copy, since recorders keep frames.
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
