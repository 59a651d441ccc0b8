import { concatSamples } from '../audio/concat-samples.js';
import type { AlgoOptions } from './turn-options.js';

export type PauseReason = 'pause' | 'max_length';

/** What one VAD frame changed. */
export type TurnSignal =
  | { readonly type: 'none' }
  /** A turn began; `preroll` is the audio from before the decision (the window and a pad), oldest first. */
  | { readonly type: 'started_talking'; readonly preroll: Int16Array }
  /** The turn ended; `utterance` is all of it, pre-roll included. */
  | { readonly type: 'pause_detected'; readonly utterance: Int16Array; readonly reason: PauseReason };

const NONE: TurnSignal = { type: 'none' };

/**
 * FastRTC's pause detection as a pure state machine over VAD decisions. Feed it every VAD frame
 * with the detector's verdict; it counts speech over the last `audioChunkDuration` (a ring of
 * verdicts, sliding one frame at a time) and answers when a turn starts and when it ends. It keeps
 * the turn's audio, bounded by `maxContinuousSpeechS`. No clock: time is the count of frames.
 */
export class PauseDetector {
  readonly frameMs: number;
  private readonly verdicts: Uint8Array;
  private readonly startFrames: number;
  private readonly pauseFrames: number;
  private readonly maxFrames: number;
  private readonly prerollFrames: number;
  private readonly minRunFrames: number;
  private readonly hangoverFrames: number;
  /** Frames pushed so far, and where the current run of speech began and last had speech. */
  private frameIndex = 0;
  private runStart = -1;
  private lastSpeech = -Infinity;
  private verdictAt = 0;
  private speechInWindow = 0;
  private recent: Int16Array[] = [];
  private utterance: Int16Array[] = [];
  private talking = false;

  constructor(algo: AlgoOptions, frameMs: number, prerollPadMs = 200) {
    this.frameMs = frameMs;
    const windowFrames = Math.max(1, Math.round((algo.audioChunkDuration * 1000) / frameMs));
    this.verdicts = new Uint8Array(windowFrames);
    // "More than threshold" / "less than threshold" in frames of speech, as FastRTC compares durations.
    this.startFrames = (algo.startedTalkingThreshold * 1000) / frameMs;
    this.pauseFrames = (algo.speechThreshold * 1000) / frameMs;
    this.maxFrames = Math.round((algo.maxContinuousSpeechS * 1000) / frameMs);
    this.prerollFrames = windowFrames + Math.round(prerollPadMs / frameMs);
    this.minRunFrames = (algo.minSpeechS * 1000) / frameMs;
    this.hangoverFrames = (algo.speechHangoverS * 1000) / frameMs;
  }

  /** Length of the current run of speech (gaps within the hang-over bridged), in ms; 0 outside one. */
  get speechRunMs(): number {
    if (this.runStart < 0 || this.frameIndex - 1 - this.lastSpeech > this.hangoverFrames) return 0;
    return (this.lastSpeech - this.runStart + 1) * this.frameMs;
  }

  get isTalking(): boolean {
    return this.talking;
  }

  /** Speech in the current window, in ms. */
  get speechMs(): number {
    return this.speechInWindow * this.frameMs;
  }

  /** Milliseconds of audio in the current turn so far. */
  get utteranceMs(): number {
    return this.utterance.length * this.frameMs;
  }

  push(frame: Int16Array, isSpeech: boolean): TurnSignal {
    this.speechInWindow += (isSpeech ? 1 : 0) - this.verdicts[this.verdictAt]!;
    this.verdicts[this.verdictAt] = isSpeech ? 1 : 0;
    this.verdictAt = (this.verdictAt + 1) % this.verdicts.length;
    const index = this.frameIndex++;
    if (isSpeech) {
      if (this.runStart < 0 || index - this.lastSpeech - 1 > this.hangoverFrames) this.runStart = index;
      this.lastSpeech = index;
    }

    if (!this.talking) {
      this.recent.push(frame);
      if (this.recent.length > this.prerollFrames) this.recent.shift();
      const runFrames = this.runStart < 0 || index - this.lastSpeech > this.hangoverFrames ? 0 : this.lastSpeech - this.runStart + 1;
      if (this.speechInWindow > this.startFrames && runFrames >= this.minRunFrames) {
        this.talking = true;
        this.utterance = this.recent;
        this.recent = [];
        return { type: 'started_talking', preroll: concatSamples(this.utterance) };
      }
      return NONE;
    }
    this.utterance.push(frame);
    const paused = this.speechInWindow < this.pauseFrames;
    if (paused || this.utterance.length >= this.maxFrames) {
      const utterance = concatSamples(this.utterance);
      this.talking = false;
      this.utterance = [];
      return { type: 'pause_detected', utterance, reason: paused ? 'pause' : 'max_length' };
    }
    return NONE;
  }

  /** Back to silence: no turn, empty window (after a reply that could not be interrupted). */
  reset(): void {
    this.verdicts.fill(0);
    this.speechInWindow = 0;
    this.runStart = -1;
    this.lastSpeech = -Infinity;
    this.recent = [];
    this.utterance = [];
    this.talking = false;
  }
}

