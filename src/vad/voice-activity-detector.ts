/**
 * A frame classifier: fixed-size frames of PCM16 in, speech or not out. Implementations keep their
 * own state between frames (the WebRTC VAD adapts its noise model) and hold no timers.
 */
export interface VoiceActivityDetector {
  readonly name: string;
  readonly sampleRate: number;
  /** Samples per frame `isSpeech` expects (mono). */
  readonly frameSamples: number;
  /** Frame duration in ms. */
  readonly frameMs: number;
  /** `frame.length` must equal `frameSamples`. */
  isSpeech(frame: Int16Array): boolean;
  /** Forget the adapted state (a new stream). */
  reset(): void;
  /** Release the detector; later calls throw. */
  close(): void;
}

/** Makes a detector for a stream at `sampleRate` (the turn-taking adapter calls it once per session). */
export type VadFactory = (sampleRate: number) => Promise<VoiceActivityDetector>;
