import { checkOption } from '../dsp/option-check.js';
import { resolveSileroVadOptions, sileroVad, type SileroVadOptions } from './silero-vad.js';
import { loadSileroModel, sileroInstalled, SILERO_INSTALL_HINT } from './silero-runtime.js';
import type { VadFactory } from './voice-activity-detector.js';
import { resolveWebRtcVadOptions, webRtcVad, type WebRtcVadOptions } from './webrtc-vad.js';

/** The built-in detectors: `--vad silero|webrtc`, or the `vad` handler option. */
export type VadName = 'silero' | 'webrtc';
export const VAD_NAMES: readonly VadName[] = ['silero', 'webrtc'];

/** Options of whichever detector is chosen (checked against that detector's keys). */
export type AnyVadOptions = Partial<WebRtcVadOptions> | Partial<SileroVadOptions>;

/**
 * The detector used when none is named. Chosen by measurement (docs/handlers.md, "Which detector"):
 * a Silero default falls back to the WebRTC VAD, with one warning, where its runtime is not installed.
 */
export const DEFAULT_VAD: VadName = 'silero';

const WEBRTC_KEYS: ReadonlySet<string> = new Set(['mode', 'frameMs']);

export interface VadChoice {
  readonly name: VadName;
  /** True when the default was Silero and it is not installed. */
  readonly fellBack: boolean;
  readonly factory: VadFactory;
}

let warnedFallback = false;

/** Picks the detector; throws a TypeError for an unknown name or options the detector does not take. */
export function chooseVad(name: VadName | undefined, vadOptions: AnyVadOptions = {}, defaultVad: VadName = DEFAULT_VAD): VadChoice {
  checkOption(name === undefined || VAD_NAMES.includes(name), 'vad', name, 'silero or webrtc');
  // Unnamed, options that only the WebRTC VAD takes (mode, frameMs) name it: configurations written
  // before Silero was the default keep their detector.
  const keys = typeof vadOptions === 'object' && vadOptions !== null ? Object.keys(vadOptions) : [];
  const impliesWebRtc = keys.length > 0 && keys.every((k) => WEBRTC_KEYS.has(k));
  let chosen = name ?? (impliesWebRtc ? 'webrtc' : defaultVad);
  let fellBack = false;
  if (name === undefined && chosen === 'silero' && !sileroInstalled()) {
    chosen = 'webrtc';
    fellBack = true;
    if (!warnedFallback) {
      warnedFallback = true;
      console.warn(`wavegate: warning: the Silero VAD is not installed; using the WebRTC VAD (${SILERO_INSTALL_HINT})`);
    }
  }
  if (chosen === 'silero') return { name: chosen, fellBack, factory: sileroVad(resolveSileroVadOptions(vadOptions as Partial<SileroVadOptions>)) };
  // A fallback ignores options meant for Silero rather than refusing the session.
  const webrtcOptions = fellBack && !isWebRtcOptions(vadOptions) ? {} : (vadOptions as Partial<WebRtcVadOptions>);
  return { name: chosen, fellBack, factory: webRtcVad(resolveWebRtcVadOptions(webrtcOptions)) };
}

function isWebRtcOptions(options: AnyVadOptions): boolean {
  try {
    resolveWebRtcVadOptions(options as Partial<WebRtcVadOptions>);
    return true;
  } catch {
    return false;
  }
}

/** For a handler's start-up check: a Silero detector asked for by name must load now, not at the first session. */
export async function assertVadAvailable(choice: VadChoice): Promise<void> {
  if (choice.name === 'silero') await loadSileroModel();
}
