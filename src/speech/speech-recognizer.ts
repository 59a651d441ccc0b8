/**
 * A speech recogniser as the ASR and voice-loop handlers use it: one stream per utterance, fed
 * PCM16 while the user talks, finished when the user pauses. Partial results (when the engine has
 * them) are reported through `onPartial`; `finish()` resolves with the final text.
 *
 * To plug another engine (Vosk, whisper.cpp, a cloud API), implement this interface and pass a
 * factory as the handler's `recognizer` option.
 */
export interface SpeechRecognizer {
  readonly name: string;
  /** The rate `write()` expects (mono PCM16). */
  readonly sampleRate: number;
  startUtterance(options?: UtteranceOptions): RecognitionStream;
  /** Stop every stream and helper process; later `startUtterance` calls throw. */
  close(): Promise<void>;
}

export interface UtteranceOptions {
  /** Text recognised so far, while the utterance goes on. */
  onPartial?: (text: string) => void;
}

export interface RecognitionStream {
  write(samples: Int16Array): void;
  /** No more audio: resolves with the final transcript ('' when nothing was recognised). */
  finish(): Promise<string>;
  /** Drop the utterance; `finish()` (if called) rejects. */
  abort(): void;
}

/** Makes one recogniser per session. May throw WG_ERR_HANDLER_UNAVAILABLE when the engine is missing. */
export type SpeechRecognizerFactory = () => SpeechRecognizer;

/** Recognises a whole recording at once through a stream (for tests and benchmarks). */
export async function recognizeAll(recognizer: SpeechRecognizer, samples: Int16Array, chunkSamples = 2048): Promise<string> {
  const stream = recognizer.startUtterance();
  for (let o = 0; o < samples.length; o += chunkSamples) stream.write(samples.subarray(o, o + chunkSamples));
  return stream.finish();
}
