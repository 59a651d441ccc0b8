import { checkKnownKeys, checkOption, inRange } from '../dsp/option-check.js';
import type { SileroVadOptions } from '../vad/silero-vad.js';
import type { WebRtcVadOptions } from '../vad/webrtc-vad.js';

/**
 * FastRTC's AlgoOptions, camelCase. Durations in seconds, as FastRTC has them. wavegate evaluates
 * them over a window sliding by one VAD frame instead of back-to-back chunks, so a turn starts and
 * ends up to one chunk sooner; the thresholds mean the same.
 */
export interface AlgoOptions {
  /** Window over which speech is measured (s). */
  audioChunkDuration: number;
  /** More speech than this in the window starts a turn: `started_talking`, and barge-in (s). */
  startedTalkingThreshold: number;
  /** Less speech than this in the window after a turn started is a pause: `pause_detected` (s). */
  speechThreshold: number;
  /**
   * Speech must also have lasted this long without a break (gaps up to `speechHangoverS` bridged)
   * before a turn starts or a reply is interrupted: scattered noise hits add up in the window, a
   * door slam or a click is short; a word is not (LiveKit's min_interruption_duration, s).
   */
  minSpeechS: number;
  /** Non-speech gaps up to this long do not end a run of speech (hang-over, s). */
  speechHangoverS: number;
  /** A turn this long is cut and answered, as if the speaker paused (s). FastRTC: unbounded; here bounded. */
  maxContinuousSpeechS: number;
}

export const DEFAULT_ALGO_OPTIONS: AlgoOptions = {
  audioChunkDuration: 0.6,
  startedTalkingThreshold: 0.2,
  speechThreshold: 0.1,
  minSpeechS: 0.2,
  speechHangoverS: 0.1,
  maxContinuousSpeechS: 60,
};

export function resolveAlgoOptions(options: Partial<AlgoOptions> = {}): AlgoOptions {
  checkOption(typeof options === 'object' && options !== null, 'algoOptions', options, 'an object');
  checkKnownKeys('algoOptions', options, Object.keys(DEFAULT_ALGO_OPTIONS));
  const o: AlgoOptions = { ...DEFAULT_ALGO_OPTIONS, ...options };
  checkOption(inRange(o.audioChunkDuration, 0.05, 10), 'audioChunkDuration', o.audioChunkDuration, 'a number of seconds from 0.05 to 10');
  checkOption(inRange(o.startedTalkingThreshold, 0, o.audioChunkDuration), 'startedTalkingThreshold', o.startedTalkingThreshold, `a number of seconds from 0 to audioChunkDuration (${o.audioChunkDuration})`);
  checkOption(inRange(o.speechThreshold, 0, o.audioChunkDuration), 'speechThreshold', o.speechThreshold, `a number of seconds from 0 to audioChunkDuration (${o.audioChunkDuration})`);
  checkOption(inRange(o.minSpeechS, 0, 5), 'minSpeechS', o.minSpeechS, 'a number of seconds from 0 to 5');
  checkOption(inRange(o.speechHangoverS, 0, 2), 'speechHangoverS', o.speechHangoverS, 'a number of seconds from 0 to 2');
  checkOption(inRange(o.maxContinuousSpeechS, 0.1, 3600), 'maxContinuousSpeechS', o.maxContinuousSpeechS, 'a number of seconds from 0.1 to 3600');
  return o;
}

/** The chosen detector's options: the WebRTC VAD's (mode, frameMs) or Silero's (threshold, …). */
export type VadOptions = WebRtcVadOptions & SileroVadOptions;
