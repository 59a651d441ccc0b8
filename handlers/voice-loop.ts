import { createAudioFrame } from '../src/audio/audio-frame.js';
import { checkOption } from '../src/dsp/option-check.js';
import { defineHandler, type Handler, type HandlerDefinition } from '../src/handler/handler.js';
import { FliteSynthesizer, type FliteOptions } from '../src/speech/flite-synthesizer.js';
import { asHandlerUnavailable, lazyRecognizer, resolveSpeechTurnOptions, type SpeechEngineOptions, type SpeechTurnOptions } from '../src/speech/speech-handler-options.js';
import type { SpeechSynthesizer } from '../src/speech/speech-synthesizer.js';
import { recognizingHandler } from '../src/speech/recognizing-handler.js';
import { transcribingListener } from '../src/speech/transcribing-listener.js';
import { ReplyOnPauseHandler } from '../src/turn/reply-on-pause.js';
import type { ReplyItem, ReplyTurn } from '../src/turn/reply-types.js';

/** What to answer to what was heard; undefined or '' says nothing. */
export type ReplyText = (heard: string, turn: ReplyTurn<string>) => string | undefined | Promise<string | undefined>;

/** The default: echo the words back. Nothing is said when nothing was recognised. */
export const youSaid: ReplyText = (heard) => (heard ? `you said ${heard}` : undefined);

/** Engines, fixed in code (never from handler options, which a client may send). */
export interface VoiceLoopEngine extends SpeechEngineOptions {
  /** Another text-to-speech engine. Default: flite. */
  synthesizer?: SpeechSynthesizer;
  flite?: Partial<FliteOptions>;
  replyText?: ReplyText;
  /**
   * Start the answer from the partial transcript at the pause, while the recogniser finishes: if the
   * final text is the same (it almost always is: the engine closed its last segment before the pause
   * was detected), its speech is ready sooner. `replyText` may then be called for a partial text whose
   * answer is thrown away. Default true.
   */
  speculative?: boolean;
}

/** Per-session options: the turn-taking ones, `partials`, and the synthesis `voice`. */
export interface VoiceLoopOptions extends SpeechTurnOptions {
  voice?: string;
}

const FRAME_MS = 20;

/**
 * A local voice loop: the user's turn is recognised while they talk (pocketsphinx), answered with a
 * reply text ("you said …", pluggable), spoken with flite and paced back; speaking over the answer
 * stops it (barge-in: `clear`). The client also gets the transcript and, on `GET /outputs`, the
 * transcript and `{"type":"reply","heard":…,"text":…}`.
 */
export function createVoiceLoopHandler(engine: VoiceLoopEngine = {}): HandlerDefinition<VoiceLoopOptions> {
  const recognizerFactory = lazyRecognizer('voice-loop', engine);
  let synthesizer: SpeechSynthesizer | undefined = engine.synthesizer;
  const getSynthesizer = () => (synthesizer ??= asHandlerUnavailable('voice-loop', () => new FliteSynthesizer(engine.flite)));
  const replyText = engine.replyText ?? youSaid;
  const speculative = engine.speculative ?? true;

  function resolve(options: VoiceLoopOptions | undefined) {
    const o = resolveSpeechTurnOptions<string>('voice-loop', options as Record<string, unknown>, ['voice']);
    const synth = getSynthesizer();
    const voice = asHandlerUnavailable('voice-loop', () => {
      const v = options?.voice;
      if (v === undefined) return undefined;
      checkOption(typeof v === 'string', 'voice', v, 'a voice name');
      return synth instanceof FliteSynthesizer ? synth.checkVoice(v) : v;
    });
    return { ...o, synth, voice, recognizer: recognizerFactory() };
  }

  return defineHandler<VoiceLoopOptions>({
    name: 'voice-loop',
    inputSampleRate: 16_000,
    inputTiming: 'lossless',
    clientOptions: ['algoOptions', 'vad', 'vadOptions', 'canInterrupt', 'partials', 'voice'],
    async check(options) {
      await resolve(options).turn.vadReady();
    },
    validateOptions(options) {
      resolveSpeechTurnOptions('voice-loop', options as Record<string, unknown>, ['voice']);
    },
    create(options): Handler {
      const o = resolve(options);
      const recognizer = o.recognizer();
      /** Text recognised so far in the current turn (reset when a turn starts), and who waits for it. */
      let partial: string | undefined;
      let partialWaiters: Array<(text: string) => void> = [];
      const nextPartial = () => (partial !== undefined ? Promise.resolve(partial) : new Promise<string>((resolve) => partialWaiters.push(resolve)));
      const answer = async (heard: string, turn: ReplyTurn<string>) => {
        const text = await replyText(heard, turn);
        if (!text || turn.signal.aborted) return undefined;
        return { text, speech: await o.synth.synthesize(text, { ...(o.voice !== undefined && { voice: o.voice }), signal: turn.signal }) };
      };
      async function* reply(turn: ReplyTurn<string>): AsyncGenerator<ReplyItem> {
        const listened = turn.listened ?? Promise.resolve('');
        // Whichever comes first: the final text, or a partial to start answering from.
        const first = speculative ? await Promise.race([listened.then(() => undefined), nextPartial()]) : undefined;
        const guess = first || undefined;
        const early = guess !== undefined ? answer(guess, turn) : undefined;
        early?.catch(() => undefined);
        const heard = await listened;
        const answered = early && heard === guess ? await early : await answer(heard, turn);
        if (!answered || turn.signal.aborted) return;
        const { text, speech } = answered;
        yield { type: 'additional_outputs', data: { type: 'reply', heard, text } };
        const step = Math.round((speech.sampleRate * FRAME_MS) / 1000) * speech.channels;
        for (let at = 0, k = 0; at < speech.samples.length; at += step, k++) {
          yield createAudioFrame(speech.samples.slice(at, at + step), speech.sampleRate, speech.channels, k * FRAME_MS);
        }
      }
      const turns = new ReplyOnPauseHandler<string>(reply, {
        ...o.turn,
        listen: (ctx) => {
          partial = undefined;
          partialWaiters = [];
          const onPartial = (text: string) => {
            partial = text;
            for (const wake of partialWaiters.splice(0)) wake(text);
          };
          return transcribingListener(recognizer, ctx, { partials: o.partials, additionalOutputs: true, onPartial });
        },
      });
      return recognizingHandler(turns, recognizer);
    },
  });
}

/** The built-in `voice-loop` handler: pocketsphinx → "you said …" → flite. */
export default createVoiceLoopHandler();
