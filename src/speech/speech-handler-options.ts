import { checkOption } from '../dsp/option-check.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { resolveReplyOnPauseOptions, type ReplyOnPauseOptions, type ResolvedReplyOnPauseOptions } from '../turn/reply-on-pause.js';
import { pocketsphinx, type PocketsphinxRecognizerOptions } from './pocketsphinx-recognizer.js';
import type { SpeechRecognizerFactory } from './speech-recognizer.js';

/** Options the `asr` and `voice-loop` handlers share (CLI: `--handler-option algoOptions.speechThreshold=0.2`). */
export interface SpeechHandlerOptions<R = string> extends Partial<Omit<ReplyOnPauseOptions<R>, 'listen' | 'inputSampleRate'>> {
  /** Another recogniser (a factory making one per session). Default: pocketsphinx. */
  recognizer?: SpeechRecognizerFactory;
  /** Options of the default pocketsphinx recogniser. */
  pocketsphinx?: Partial<PocketsphinxRecognizerOptions>;
  /** Send partial transcripts (`final: false`). Default true. */
  partials?: boolean;
}

export interface ResolvedSpeechHandlerOptions<R> {
  readonly turn: ResolvedReplyOnPauseOptions<R>;
  readonly recognizer: SpeechRecognizerFactory;
  readonly partials: boolean;
}

/**
 * Resolves and checks everything a speech handler needs, the engine included, so a missing
 * pocketsphinx or a bad option fails at handler creation with WG_ERR_HANDLER_UNAVAILABLE.
 */
export function resolveSpeechHandlerOptions<R>(handler: string, options: SpeechHandlerOptions<R>): ResolvedSpeechHandlerOptions<R> {
  try {
    const { recognizer, pocketsphinx: sphinx, partials = true, ...turnOptions } = options;
    checkOption(typeof partials === 'boolean', 'partials', partials, 'a boolean');
    checkOption(recognizer === undefined || typeof recognizer === 'function', 'recognizer', recognizer, 'a function making a SpeechRecognizer');
    const factory = recognizer ?? pocketsphinx(sphinx);
    // The recogniser decides the rate the session converts input to.
    return { turn: resolveReplyOnPauseOptions<R>({ ...turnOptions, inputSampleRate: 16_000 }), recognizer: factory, partials };
  } catch (err) {
    if (err instanceof WavegateError) throw err;
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `${handler}: ${(err as Error).message}`, { cause: err });
  }
}
