import type { Pcm16Audio } from './wav-pcm16.js';

/**
 * Text to speech as the voice-loop handler uses it. To plug another engine (espeak-ng, Piper, a cloud
 * API), implement this and pass it to `createVoiceLoopHandler({ synthesizer })`.
 */
export interface SpeechSynthesizer {
  readonly name: string;
  /** Speech for `text`, mono PCM16 at any rate (the session converts it to the client's). */
  synthesize(text: string, options?: SynthesisOptions): Promise<Pcm16Audio>;
}

export interface SynthesisOptions {
  /** An engine voice name (flite: kal, kal16, awb, rms, slt, awb_time). */
  voice?: string;
  /** Abandon the synthesis (barge-in, session end). */
  signal?: AbortSignal;
}
