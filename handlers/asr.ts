import { defineHandler, type Handler, type HandlerDefinition } from '../src/handler/handler.js';
import { lazyRecognizer, resolveSpeechTurnOptions, type SpeechEngineOptions, type SpeechTurnOptions } from '../src/speech/speech-handler-options.js';
import { recognizingHandler } from '../src/speech/recognizing-handler.js';
import { transcribingListener } from '../src/speech/transcribing-listener.js';
import { ReplyOnPauseHandler } from '../src/turn/reply-on-pause.js';

export type AsrHandlerOptions = SpeechTurnOptions;

/**
 * Speech recognition: every user turn (found by the VAD, as ReplyOnPause finds them) is
 * decoded while the user talks and sent as `{"type":"transcript","data":{"text":…,"final":true}}`,
 * with partials (`final: false`) as the engine closes segments, and as an additional output on
 * `GET /outputs`. Turn events (`started_talking`, `pause_detected`) are sent as `log` messages.
 * Input is converted to 16 kHz by the session.
 *
 *   createGateway({ handler: createAsrHandler({ recognizer: () => new MyRecognizer() }) })
 */
export function createAsrHandler(engine: SpeechEngineOptions = {}): HandlerDefinition<AsrHandlerOptions> {
  const recognizerFactory = lazyRecognizer('asr', engine);
  return defineHandler<AsrHandlerOptions>({
    name: 'asr',
    inputSampleRate: 16_000,
    inputTiming: 'lossless',
    clientOptions: ['algoOptions', 'vad', 'vadOptions', 'canInterrupt', 'partials'],
    async check(options) {
      const o = resolveSpeechTurnOptions('asr', options as Record<string, unknown>);
      recognizerFactory();
      await o.turn.vadReady();
    },
    validateOptions(options) {
      resolveSpeechTurnOptions('asr', options as Record<string, unknown>);
    },
    create(options): Handler {
      const o = resolveSpeechTurnOptions<string>('asr', options as Record<string, unknown>);
      const recognizer = recognizerFactory()();
      const turns = new ReplyOnPauseHandler<string>(undefined, {
        ...o.turn,
        listen: (ctx) => transcribingListener(recognizer, ctx, { partials: o.partials, additionalOutputs: true }),
      });
      return recognizingHandler(turns, recognizer);
    },
  });
}

/** The built-in `asr` handler: pocketsphinx from Debian's packages. */
export default createAsrHandler();
