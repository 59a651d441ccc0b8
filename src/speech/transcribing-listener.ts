import type { ListenContext, UtteranceListener } from '../turn/reply-types.js';
import type { SpeechRecognizer } from './speech-recognizer.js';

export interface TranscribingListenerOptions {
  /** Send `{"type":"transcript","data":{"text":…,"final":false}}` as the engine closes segments. */
  partials: boolean;
  /** Also publish each final transcript as an additional output (SSE `GET /outputs`). */
  additionalOutputs: boolean;
  /** Told the text so far whenever the engine closes a segment, whether or not partials are sent. */
  onPartial?: (text: string) => void;
}

/**
 * Feeds a user's turn to a speech recogniser while the user talks; at the pause, sends the final
 * transcript to the client (and to `/outputs`) and resolves with its text. A failed recognition
 * becomes a warning to the client and rejects.
 */
export function transcribingListener(recognizer: SpeechRecognizer, ctx: ListenContext, options: TranscribingListenerOptions): UtteranceListener<string> {
  if (ctx.sampleRate !== recognizer.sampleRate) {
    throw new Error(`${recognizer.name} needs ${recognizer.sampleRate} Hz input, the session gives ${ctx.sampleRate} Hz`);
  }
  const stream = recognizer.startUtterance({
    onPartial: (text) => {
      options.onPartial?.(text);
      if (options.partials) ctx.send({ type: 'transcript', text, final: false });
    },
  });
  return {
    write: (samples) => stream.write(samples),
    async finish() {
      let text: string;
      try {
        text = await stream.finish();
      } catch (err) {
        ctx.send({ type: 'warning', message: `speech recognition failed: ${(err as Error).message}` });
        throw err;
      }
      ctx.send({ type: 'transcript', text, final: true });
      if (options.additionalOutputs) ctx.send({ type: 'additional_outputs', data: { type: 'transcript', text, final: true } });
      return text;
    },
    cancel: () => stream.abort(),
  };
}
