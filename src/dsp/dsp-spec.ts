import { highPass, lowPass } from './biquad.js';
import type { FrameProcessor } from './dsp-block.js';
import { gain } from './gain.js';
import { limiter } from './limiter.js';
import { noiseGate } from './noise-gate.js';
import { pitchShift } from './pitch-shift.js';

export interface ProcessorKind {
  /** What the number after `=` means. */
  readonly value: string;
  readonly example: string;
  readonly describe: string;
  create(value: number): FrameProcessor;
}

/** Processors selectable by name, as in `--dsp gain=6,highpass=120,limiter=-1`. */
export const DSP_PROCESSORS: Readonly<Record<string, ProcessorKind>> = {
  gain: { value: 'dB (−60…40)', example: 'gain=6', describe: 'constant gain', create: (v) => gain(v) },
  highpass: {
    value: 'cutoff Hz (10…24000)',
    example: 'highpass=120',
    describe: '2nd-order Butterworth high-pass (rumble, DC)',
    create: (v) => highPass(v),
  },
  lowpass: {
    value: 'cutoff Hz (10…24000)',
    example: 'lowpass=3400',
    describe: '2nd-order Butterworth low-pass (hiss, telephone band)',
    create: (v) => lowPass(v),
  },
  gate: {
    value: 'threshold dBFS (−100…0)',
    example: 'gate=-50',
    describe: 'noise gate: 2 ms attack, 80 ms hold, 60 ms release, −80 dB range',
    create: (v) => noiseGate({ thresholdDb: v }),
  },
  limiter: {
    value: 'ceiling dBFS (−60…0)',
    example: 'limiter=-1',
    describe: 'peak limiter, no look-ahead, 50 ms release; no sample above the ceiling',
    create: (v) => limiter({ ceilingDb: v }),
  },
  pitch: {
    value: 'semitones (−12…12)',
    example: 'pitch=4',
    describe: 'pitch shift keeping duration (delay-line shifter, 40 ms window)',
    create: (v) => pitchShift(v),
  },
};

/** A processor given by name and value (`"gain=6"`), or one built in code. */
export type DspStep = string | FrameProcessor;

/** `"gain=6,highpass=120"` → processors, in order. Throws a TypeError naming the bad step. */
export function parseDspSpec(spec: string): FrameProcessor[] {
  if (typeof spec !== 'string') throw new TypeError(`Expected the DSP spec to be a string like "gain=6,highpass=120", got \`${String(spec)}\` (${typeof spec})`);
  const trimmed = spec.trim();
  if (trimmed === '') return [];
  return trimmed.split(',').map((step) => parseStep(step.trim()));
}

function parseStep(step: string): FrameProcessor {
  const match = /^([a-z]+)\s*=\s*(\S+)$/.exec(step);
  if (!match) throw new TypeError(`Expected a DSP step like "gain=6", got ${JSON.stringify(step)}`);
  const [, name, raw] = match as unknown as [string, string, string];
  const kind = Object.hasOwn(DSP_PROCESSORS, name) ? DSP_PROCESSORS[name] : undefined;
  if (!kind) {
    throw new TypeError(`Unknown DSP processor ${JSON.stringify(name)} in ${JSON.stringify(step)}; known: ${Object.keys(DSP_PROCESSORS).join(', ')}`);
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new TypeError(`Expected a number after ${name}= (${kind.value}), got ${JSON.stringify(raw)}`);
  return kind.create(value);
}

/** Steps given as names (`"gain=6"`, or several joined by commas) or processor objects → processors. */
export function resolveDspSteps(steps: string | readonly DspStep[]): FrameProcessor[] {
  if (typeof steps === 'string') return parseDspSpec(steps);
  if (!Array.isArray(steps)) throw new TypeError(`Expected DSP steps to be a string or an array, got \`${String(steps)}\` (${typeof steps})`);
  return steps.flatMap((step, i) => {
    if (typeof step === 'string') return parseDspSpec(step);
    if (typeof step === 'object' && step !== null && typeof step.process === 'function' && typeof step.name === 'string') return [step];
    throw new TypeError(`Expected DSP step ${i} to be "name=value" or a processor with name and process(), got \`${String(step)}\``);
  });
}
