import type { AudioFrame } from '../audio/audio-frame.js';
import type { HandlerOutput } from '../handler/handler.js';
import type { PauseReason } from './pause-detector.js';

/** What a reply function yields: audio frames (paced to the client) or any other handler output. */
export type ReplyItem = AudioFrame | HandlerOutput;

/** One finished user turn, handed to the reply function. */
export interface ReplyTurn<R = unknown> {
  /** The whole utterance, mono PCM16 at the handler's input rate, pre-roll included. */
  readonly audio: AudioFrame;
  /** What the utterance listener made of it (e.g. a transcript), if the adapter has one. */
  readonly listened: Promise<R> | undefined;
  /** The latest `POST /input` arguments (FastRTC's additional inputs). */
  readonly inputs: Readonly<Record<string, unknown>> | undefined;
  /** Aborted on barge-in and when the session ends: stop work, the output is dropped anyway. */
  readonly signal: AbortSignal;
  readonly sessionId: string;
  /** `pause`, or `max_length` when the turn was cut at maxContinuousSpeechS. */
  readonly reason: PauseReason;
}

/** FastRTC's reply function: called with the utterance once the user pauses; an (async) generator. */
export type ReplyFn<R = unknown> = (turn: ReplyTurn<R>) => AsyncIterable<ReplyItem> | Iterable<ReplyItem>;

export interface ListenContext {
  readonly sessionId: string;
  readonly sampleRate: number;
  /** Push outputs while the user is still talking (partial transcripts, additional outputs). */
  send(output: HandlerOutput): void;
}

/**
 * A streaming tap on the user's turn: created at `started_talking`, fed the turn's audio as it
 * arrives (the first write is the pre-roll), finished at `pause_detected`. A speech recogniser that
 * decodes while the user talks has its transcript ready almost as soon as the pause is detected.
 */
export interface UtteranceListener<R> {
  write(samples: Int16Array): void;
  finish(): Promise<R>;
  /** The turn will never finish (the session ended). */
  cancel(): void;
}

export function isAudioFrame(item: unknown): item is AudioFrame {
  return typeof item === 'object' && item !== null && (item as AudioFrame).samples instanceof Int16Array;
}
