import createFvadModule, { type FvadModule } from '@echogarden/fvad-wasm';
import { checkKnownKeys, checkOption } from '../dsp/option-check.js';
import type { VadFactory, VoiceActivityDetector } from './voice-activity-detector.js';

export interface WebRtcVadOptions {
  /** Aggressiveness 0 (quality) … 3 (very aggressive): higher calls fewer frames speech. */
  mode: 0 | 1 | 2 | 3;
  /** Frame length the detector classifies: 10, 20 or 30 ms. */
  frameMs: 10 | 20 | 30;
}

/** Mode 3 with 10 ms frames measured best on the fixtures in silence and noise (bench/vad-accuracy.ts). */
export const DEFAULT_WEBRTC_VAD_OPTIONS: WebRtcVadOptions = { mode: 3, frameMs: 10 };

export const WEBRTC_VAD_SAMPLE_RATES: readonly number[] = [8000, 16_000, 32_000, 48_000];

let modulePromise: Promise<FvadModule> | undefined;

/** The WASM module is compiled once per process and shared; each detector has its own state in it. */
function loadModule(): Promise<FvadModule> {
  modulePromise ??= createFvadModule().catch((err: unknown) => {
    modulePromise = undefined;
    throw err;
  });
  return modulePromise;
}

export function resolveWebRtcVadOptions(options: Partial<WebRtcVadOptions> = {}): WebRtcVadOptions {
  checkOption(typeof options === 'object' && options !== null, 'vadOptions', options, 'an object');
  checkKnownKeys('vadOptions', options, Object.keys(DEFAULT_WEBRTC_VAD_OPTIONS));
  const o = { ...DEFAULT_WEBRTC_VAD_OPTIONS, ...options };
  checkOption([0, 1, 2, 3].includes(o.mode), 'mode', o.mode, 'one of 0, 1, 2, 3');
  checkOption([10, 20, 30].includes(o.frameMs), 'frameMs', o.frameMs, 'one of 10, 20, 30');
  return o;
}

/**
 * The WebRTC voice activity detector (libfvad, a Gaussian-mixture model over six sub-band energies
 * with an adaptive noise model and hang-over), compiled to WebAssembly and shipped in the npm package
 * @echogarden/fvad-wasm. Works at 8, 16, 32 and 48 kHz.
 */
export async function createWebRtcVad(sampleRate: number, options: Partial<WebRtcVadOptions> = {}): Promise<VoiceActivityDetector> {
  const o = resolveWebRtcVadOptions(options);
  checkOption(WEBRTC_VAD_SAMPLE_RATES.includes(sampleRate), 'sampleRate', sampleRate, `one of ${WEBRTC_VAD_SAMPLE_RATES.join(', ')} (the WebRTC VAD's rates)`);
  const wasm = await loadModule();
  const frameSamples = (sampleRate * o.frameMs) / 1000;
  const handle = wasm._fvad_new();
  if (handle === 0) throw new Error('fvad_new failed: out of WebAssembly memory');
  const buffer = wasm._malloc(frameSamples * 2);
  if (wasm._fvad_set_mode(handle, o.mode) !== 0 || wasm._fvad_set_sample_rate(handle, sampleRate) !== 0 || buffer === 0) {
    wasm._fvad_free(handle);
    if (buffer !== 0) wasm._free(buffer);
    throw new Error(`fvad rejected mode ${o.mode} at ${sampleRate} Hz`);
  }
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new Error('the WebRTC VAD is closed');
  };
  return {
    name: 'webrtc',
    sampleRate,
    frameSamples,
    frameMs: o.frameMs,
    isSpeech(frame) {
      assertOpen();
      if (frame.length !== frameSamples) throw new RangeError(`the WebRTC VAD expects ${frameSamples} samples per frame, got ${frame.length}`);
      // HEAP16 is re-read on every call: the view is replaced when the WASM memory grows.
      wasm.HEAP16.set(frame, buffer >> 1);
      const result = wasm._fvad_process(handle, buffer, frameSamples);
      if (result < 0) throw new Error(`fvad_process failed on a ${frameSamples}-sample frame`);
      return result === 1;
    },
    reset() {
      assertOpen();
      wasm._fvad_reset(handle);
      wasm._fvad_set_mode(handle, o.mode);
      wasm._fvad_set_sample_rate(handle, sampleRate);
    },
    close() {
      if (closed) return;
      closed = true;
      wasm._fvad_free(handle);
      wasm._free(buffer);
    },
  };
}

/** A factory for the turn-taking adapter. */
export function webRtcVad(options: Partial<WebRtcVadOptions> = {}): VadFactory {
  const o = resolveWebRtcVadOptions(options);
  return (sampleRate) => createWebRtcVad(sampleRate, o);
}
