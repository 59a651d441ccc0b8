import type { Handler } from '../handler/handler.js';
import type { ReplyOnPauseHandler } from '../turn/reply-on-pause.js';
import type { SpeechRecognizer } from './speech-recognizer.js';

/** A turn-taking handler that owns a recognizer: the turns get every call, the recognizer closes last. */
export function recognizingHandler<R>(turns: ReplyOnPauseHandler<R>, recognizer: SpeechRecognizer): Handler {
  return {
    startUp: (ctx) => turns.startUp(ctx),
    receive: (frame) => turns.receive(frame),
    onEvent: (event) => turns.onEvent(event),
    async shutdown(reason) {
      turns.shutdown(reason);
      await recognizer.close();
    },
  };
}
