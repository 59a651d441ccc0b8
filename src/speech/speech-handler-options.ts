import { checkOption } from '../dsp/option-check.js';
import { WavegateError } from '../errors/wavegate-error.js';
import { resolveReplyOnPauseOptions, type ReplyOnPauseOptions, type ResolvedReplyOnPauseOptions } from '../turn/reply-on-pause.js';
import { pocketsphinx, type PocketsphinxRecognizerOptions } from './pocketsphinx-recognizer.js';
import type { SpeechRecognizerFactory } from './speech-recognizer.js';

/**
 * The engine of a speech handler: fixed when the handler definition is made, in code, never by
 * handler options — those can come from a client's `start` message, and must not name programs to run.
 */
export interface SpeechEngineOptions {
  /** Another recogniser (a factory making one per session). Default: pocketsphinx. */
  recognizer?: SpeechRecognizerFactory;
  /** Options of the default pocketsphinx recogniser. */
  pocketsphinx?: Partial<PocketsphinxRecognizerOptions>;
}

/** Per-session options of the `asr` and `voice-loop` handlers (CLI: `--handler-option algoOptions.speechThreshold=0.2`). */
export interface SpeechTurnOptions extends Partial<Pick<ReplyOnPauseOptions, 'algoOptions' | 'vad' | 'vadOptions' | 'canInterrupt' | 'needsInputs' | 'maxReplyLeadMs'>> {
  /** Send partial transcripts (`final: false`). Default true. */
  partials?: boolean;
}

const TURN_KEYS: ReadonlySet<string> = new Set(['algoOptions', 'vad', 'vadOptions', 'canInterrupt', 'needsInputs', 'maxReplyLeadMs', 'partials']);

export interface ResolvedSpeechTurnOptions<R> {
  readonly turn: ResolvedReplyOnPauseOptions<R>;
  readonly partials: boolean;
}

/** Wraps option errors as WG_ERR_HANDLER_UNAVAILABLE (what a handler's create/check must throw). */
export function asHandlerUnavailable<T>(handler: string, make: () => T): T {
  try {
    return make();
  } catch (err) {
    if (err instanceof WavegateError) throw err;
    throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `${handler}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Checks a speech handler's per-session options: the turn-taking ones (FastRTC's AlgoOptions, the VAD's,
 * canInterrupt…) and `partials`, plus `extraKeys` the handler adds. Unknown keys are refused by name.
 */
export function resolveSpeechTurnOptions<R>(handler: string, options: Record<string, unknown> | undefined, extraKeys: readonly string[] = []): ResolvedSpeechTurnOptions<R> {
  return asHandlerUnavailable(handler, () => {
    const o = options ?? {};
    checkOption(typeof o === 'object' && !Array.isArray(o), 'options', o, 'an object');
    for (const key of Object.keys(o)) {
      if (!TURN_KEYS.has(key) && !extraKeys.includes(key)) {
        throw new TypeError(`unknown option ${JSON.stringify(key)}; known: ${[...TURN_KEYS, ...extraKeys].join(', ')} (engines are set in code: create${handler === 'asr' ? 'Asr' : 'VoiceLoop'}Handler({ … }))`);
      }
    }
    const { partials = true, algoOptions, vad, vadOptions, canInterrupt, needsInputs, maxReplyLeadMs } = o as SpeechTurnOptions;
    checkOption(typeof partials === 'boolean', 'partials', partials, 'a boolean');
    const turnOptions: Partial<ReplyOnPauseOptions<R>> = {
      inputSampleRate: 16_000,
      ...(algoOptions !== undefined && { algoOptions }),
      ...(vadOptions !== undefined && { vadOptions }),
      ...(vad !== undefined && { vad }),
      ...(canInterrupt !== undefined && { canInterrupt }),
      ...(needsInputs !== undefined && { needsInputs }),
      ...(maxReplyLeadMs !== undefined && { maxReplyLeadMs }),
    };
    checkOption(algoOptions === undefined || (typeof algoOptions === 'object' && algoOptions !== null), 'algoOptions', algoOptions, 'an object');
    checkOption(vad === undefined || vad === 'silero' || vad === 'webrtc', 'vad', vad, 'silero or webrtc');
    checkOption(vadOptions === undefined || (typeof vadOptions === 'object' && vadOptions !== null), 'vadOptions', vadOptions, 'an object');
    return { turn: resolveReplyOnPauseOptions<R>(turnOptions), partials };
  });
}

/**
 * The recogniser factory for an engine config, resolved on first use (so importing a handler module
 * never fails) and then reused; a missing engine throws WG_ERR_HANDLER_UNAVAILABLE from there.
 */
export function lazyRecognizer(handler: string, engine: SpeechEngineOptions): () => SpeechRecognizerFactory {
  let factory: SpeechRecognizerFactory | undefined;
  return () =>
    (factory ??= asHandlerUnavailable(handler, () => {
      checkOption(engine.recognizer === undefined || typeof engine.recognizer === 'function', 'recognizer', engine.recognizer, 'a function making a SpeechRecognizer');
      return engine.recognizer ?? pocketsphinx(engine.pocketsphinx);
    }));
}
