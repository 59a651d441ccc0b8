import type { AudioFrame } from '../audio/audio-frame.js';

/**
 * Sees a session's audio without touching it (recorders, analysers). `onInput` gets what the
 * handler receives; `onOutput` what is sent to the client, when it is sent. Taps must not throw.
 */
export interface SessionTap {
  onInput(frame: AudioFrame): void;
  onOutput(frame: AudioFrame): void;
  close(): Promise<void>;
}

export interface SessionTapInfo {
  readonly id: string;
  readonly inputSampleRate: number;
  readonly outputSampleRate: number;
}

/** Makes the taps of a new session (e.g. a recorder when `--record-dir` is set). */
export type SessionTapFactory = (info: SessionTapInfo) => SessionTap | undefined;
