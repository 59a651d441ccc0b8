import { checkKnownKeys, checkOption, inRange } from '../dsp/option-check.js';
import { loadSileroModel, type OrtTensor, type SileroModel } from './silero-runtime.js';

import type { VadFactory, VoiceActivityDetector } from './voice-activity-detector.js';

export interface SileroVadOptions {
  /** Speech probability at or above which a window starts speech (Silero's own default 0.5). */
  threshold: number;
  /** Once in speech, it lasts until the probability drops below this (hysteresis; Silero's threshold − 0.15). */
  negativeThreshold: number;
  /**
   * Windows quieter than this (RMS, dBFS) are called non-speech without running the model: far below
   * any speech level, so it saves the model call in silence at no cost in accuracy (bench/vad-accuracy.ts).
   * −Infinity runs the model on every window.
   */
  energyFloorDbfs: number;
}

export const DEFAULT_SILERO_VAD_OPTIONS: SileroVadOptions = { threshold: 0.5, negativeThreshold: 0.35, energyFloorDbfs: -60 };

/** Silero at the rates it was trained for, with the window it takes there (32 ms). */
export const SILERO_WINDOW_SAMPLES: Readonly<Record<number, number>> = { 8000: 256, 16_000: 512 };

export function resolveSileroVadOptions(options: Partial<SileroVadOptions> = {}): SileroVadOptions {
  checkOption(typeof options === 'object' && options !== null, 'vadOptions', options, 'an object');
  checkKnownKeys('vadOptions', options, Object.keys(DEFAULT_SILERO_VAD_OPTIONS));
  const o = { ...DEFAULT_SILERO_VAD_OPTIONS, ...options };
  checkOption(inRange(o.threshold, 0.01, 0.99), 'threshold', o.threshold, 'a probability from 0.01 to 0.99');
  checkOption(inRange(o.negativeThreshold, 0, o.threshold), 'negativeThreshold', o.negativeThreshold, `a probability from 0 to threshold (${o.threshold})`);
  checkOption(o.energyFloorDbfs === -Infinity || inRange(o.energyFloorDbfs, -120, -20), 'energyFloorDbfs', o.energyFloorDbfs, 'a level from -120 to -20 dBFS, or -Infinity');
  return o;
}

/**
 * Silero's neural VAD run by onnxruntime-node, streaming: each 32 ms window is classified with the
 * recurrent state the previous window left (and, for v5/v6, its last samples as context), which is
 * all a detector keeps per session (~1 KB). The model session itself is shared by the process.
 * Decisions use hysteresis: speech from `threshold` up, until below `negativeThreshold`.
 */
export async function createSileroVad(sampleRate: number, options: Partial<SileroVadOptions> = {}): Promise<VoiceActivityDetector & { readonly modelRuns: number }> {
  const o = resolveSileroVadOptions(options);
  const frameSamples = SILERO_WINDOW_SAMPLES[sampleRate];
  checkOption(frameSamples !== undefined, 'sampleRate', sampleRate, '8000 or 16000 (the Silero VAD\'s rates)');
  const model: SileroModel = await loadSileroModel();
  const stream = streamState(model, sampleRate, frameSamples!);
  // Sum of squares (int16 units) below which a window is skipped.
  const floorEnergy = o.energyFloorDbfs === -Infinity ? -1 : frameSamples! * (32768 * 10 ** (o.energyFloorDbfs / 20)) ** 2;
  let speaking = false;
  /** The last window the floor skipped, if the one before this was skipped. */
  let skipped: Int16Array | undefined;
  let skippedLast = false;
  let closed = false;
  let runs = 0;
  const assertOpen = () => {
    if (closed) throw new Error('the Silero VAD is closed');
  };
  return {
    name: 'silero',
    sampleRate,
    frameSamples: frameSamples!,
    frameMs: (frameSamples! * 1000) / sampleRate,
    get modelRuns() {
      return runs;
    },
    isSpeech(frame) {
      assertOpen();
      if (frame.length !== frameSamples) throw new RangeError(`the Silero VAD expects ${frameSamples} samples per frame, got ${frame.length}`);
      let energy = 0;
      for (let i = 0; i < frame.length; i++) energy += frame[i]! * frame[i]!;
      if (energy <= floorEnergy) {
        // Far below speech: not worth a model call. The state goes on from where it was.
        stream.skip(frame);
        (skipped ??= new Int16Array(frameSamples!)).set(frame);
        skippedLast = true;
        speaking = false;
        return false;
      }
      if (skippedLast && skipped) {
        // Coming out of quiet: show the model the last quiet window first, so its state has seen
        // the quiet before the sound (measured: onset p95 after digital silence 480 → see bench).
        stream.probability(skipped);
        runs++;
      }
      skippedLast = false;
      const p = stream.probability(frame);
      runs++;
      speaking = speaking ? p >= o.negativeThreshold : p >= o.threshold;
      return speaking;
    },
    reset() {
      assertOpen();
      stream.reset();
      skippedLast = false;
      speaking = false;
    },
    close() {
      closed = true;
    },
  };
}

interface StreamState {
  /** Speech probability of the next window, advancing the model's state. */
  probability(frame: Int16Array): number;
  /** A window the model does not see (below the energy floor): only the v5 context follows it. */
  skip(frame: Int16Array): void;
  reset(): void;
}

/** The per-stream model state of either Silero graph (all a detector keeps: ~1 KB). */
function streamState(model: SileroModel, sampleRate: number, windowSamples: number): StreamState {
  const { Tensor } = model;
  const sr = new Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), []);
  const contextSamples = model.graph === 'v5' ? (sampleRate === 8000 ? 32 : 64) : 0;
  const input = new Float32Array(contextSamples + windowSamples);
  const inputTensor = new Tensor('float32', input, [1, input.length]);
  // State tensors are read by the model and replaced by its outputs, never written in place.
  const zeros = (size: number, dims: number[]) => new Tensor('float32', new Float32Array(size), dims);
  let h: OrtTensor;
  let c: OrtTensor;
  let state: OrtTensor;
  const reset = () => {
    input.fill(0);
    if (model.graph === 'v4') {
      h = zeros(128, [2, 1, 64]);
      c = zeros(128, [2, 1, 64]);
    } else state = zeros(256, [2, 1, 128]);
  };
  reset();
  const load = (frame: Int16Array) => {
    if (contextSamples > 0) input.copyWithin(0, windowSamples, windowSamples + contextSamples);
    for (let i = 0; i < windowSamples; i++) input[contextSamples + i] = frame[i]! / 32768;
  };
  return {
    probability(frame) {
      load(frame);
      if (model.graph === 'v4') {
        const out = model.run({ input: inputTensor, sr, h, c });
        h = out.hn!;
        c = out.cn!;
        return (out.output!.data as Float32Array)[0]!;
      }
      const out = model.run({ input: inputTensor, sr, state });
      state = out.stateN!;
      return (out.output!.data as Float32Array)[0]!;
    },
    skip: load,
    reset,
  };
}

/** A factory for the turn-taking adapter. */
export function sileroVad(options: Partial<SileroVadOptions> = {}): VadFactory {
  const o = resolveSileroVadOptions(options);
  return (sampleRate) => createSileroVad(sampleRate, o);
}
