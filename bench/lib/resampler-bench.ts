/**
 * Our streaming resampler beside libsamplerate (libsamplerate-js 2.x: libsamplerate compiled to
 * WebAssembly) on the same signals in the same run.
 *
 * Speed: PCM16 in, PCM16 out, 20 ms chunks, as a session uses it; seconds of audio per CPU second
 * (× real time per core), all candidates measured in turns (bench-timing.ts) so a slow stretch of a
 * shared machine falls on all alike; the ratio to libsamplerate is the median of the per-turn ratios.
 * Ours: each tier (docs/resampler.md) through `processInto(chunk, scratch)` into a reused array, as
 * the output pipeline calls it. libsamplerate-js: the chunk is
 * converted to Float32 into a reused array, `full(input, output)` writes into a reused array (its
 * allocation-free call form), and the result is rounded back to PCM16 — the least work a PCM16
 * wrapper around it could do. Its async `create()` runs before timing.
 *
 * Quality (tone-metrics.ts), on the float paths so that 16-bit rounding does not hide the filters:
 * passband SNR on 12 tones over 3–80 % of the lower Nyquist; stopband rejection (downsampling) or
 * image rejection (upsampling), worst probe tone. Stopband probes start at the lower Nyquist, except for
 * our live and telephone tiers on 1:F / F:1 ratios, whose stopband starts at (2 − passband) × it.
 */
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { StreamingResampler, TIER_SPECS, type ResamplerTier } from '../../src/resample/streaming-resampler.js';
import { measureRatesInTurns, type RateStats, type TimingOptions } from './bench-timing.js';
import { passbandSnr, passbandTones, rejection, synthesize, type Converter } from './tone-metrics.js';

export type ConverterName =
  | 'wavegate high'
  | 'wavegate high (js kernel)'
  | 'wavegate live'
  | 'wavegate live (js kernel)'
  | 'wavegate telephone'
  | 'libsamplerate best'
  | 'libsamplerate medium'
  | 'libsamplerate fastest';

export interface ResamplerRow {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly converter: ConverterName;
  /** Seconds of audio per CPU second. */
  readonly realtime: RateStats;
  /** Median over turns of this rate ÷ libsamplerate medium's in the same turn; that ÷ the same for libsamplerate fastest. */
  readonly vsMedium: number;
  readonly vsFastest: number;
  /** Multiply-adds per output (ours only). */
  readonly taps?: number;
  /** Where the stopband probes started, × the lower Nyquist. */
  readonly stopbandFrom: number;
  readonly passbandSnrDb: number;
  readonly rejectionDb: number;
  readonly rejectionKind: 'stopband' | 'image';
}

interface Candidate {
  readonly name: ConverterName;
  /** A PCM16 streaming step for the speed run, fresh state. */
  makeStream(): (chunk: Int16Array) => void;
  /** Whole-signal float conversion for the quality run. */
  readonly convert: Converter;
  readonly taps?: number;
  readonly stopbandFrom: number;
  close(): void;
}

function ours(a: number, b: number, tier: ResamplerTier, kernel: 'auto' | 'js'): Candidate {
  const integer = a % b === 0 || b % a === 0;
  const probe = new StreamingResampler(a, b, { tier, kernel });
  return {
    name: `wavegate ${tier}${kernel === 'js' ? ' (js kernel)' : ''}` as ConverterName,
    makeStream: () => {
      const r = new StreamingResampler(a, b, { tier, kernel });
      const scratch = new Int16Array(Math.ceil((a / 50) * (b / a)) + 64);
      return (chunk) => {
        r.processInto(chunk, scratch);
      };
    },
    convert: (x) => new StreamingResampler(a, b, { tier, kernel }).processAllFloat(x),
    taps: probe.taps,
    stopbandFrom: tier === 'high' || !integer ? 1 : 2 - TIER_SPECS[tier].passband,
    close: () => {},
  };
}

const LSR = [
  ['libsamplerate best', libsamplerate.ConverterType.SRC_SINC_BEST_QUALITY],
  ['libsamplerate medium', libsamplerate.ConverterType.SRC_SINC_MEDIUM_QUALITY],
  ['libsamplerate fastest', libsamplerate.ConverterType.SRC_SINC_FASTEST],
] as const;

async function lsr(a: number, b: number, name: ConverterName, converterType: (typeof LSR)[number][1], chunkFrames: number): Promise<Candidate> {
  const whole = await libsamplerate.create(1, a, b, { converterType });
  const streams: Array<{ destroy(): void }> = [whole];
  const streaming = await libsamplerate.create(1, a, b, { converterType });
  streams.push(streaming);
  return {
    name,
    makeStream: () => {
      const input = new Float32Array(chunkFrames);
      const output = new Float32Array(Math.ceil((chunkFrames * b) / a) + 64);
      const pcm = new Int16Array(output.length);
      const written = { frames: 0 };
      return (chunk) => {
        for (let i = 0; i < chunk.length; i++) input[i] = chunk[i]! / 32768;
        streaming.full(chunk.length === chunkFrames ? input : input.subarray(0, chunk.length), output, written);
        for (let i = 0; i < written.frames; i++) {
          const v = Math.round(output[i]! * 32768);
          pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
        }
      };
    },
    convert: (x) => whole.simple(x),
    stopbandFrom: 1,
    close: () => streams.forEach((s) => s.destroy()),
  };
}

export interface PairOptions {
  /** Also time the JavaScript kernels (slow: ~1/15 of the SIMD ones). */
  readonly jsKernels: boolean;
  readonly audioSeconds: number;
}

export async function benchResamplerPair(a: number, b: number, timing: TimingOptions, options: Partial<PairOptions> = {}): Promise<ResamplerRow[]> {
  const { jsKernels = false, audioSeconds = 2 } = options;
  const chunk = a / 50;
  const signal = Int16Array.from(synthesize(passbandTones(a, b, 32_768), a, a * audioSeconds), (v) => Math.round(v));
  const candidates: Candidate[] = [];
  // libsamplerate medium first: measureRatesInTurns pairs every rate with the first work's in the same turn.
  for (const [name, type] of [LSR[1], LSR[0], LSR[2]] as const) candidates.push(await lsr(a, b, name, type, chunk));
  candidates.push(ours(a, b, 'high', 'auto'), ours(a, b, 'live', 'auto'), ours(a, b, 'telephone', 'auto'));
  if (jsKernels) candidates.push(ours(a, b, 'high', 'js'), ours(a, b, 'live', 'js'));
  const fastestAt = candidates.findIndex((c) => c.name === 'libsamplerate fastest');
  try {
    const works = candidates.map((c) => {
      const step = c.makeStream();
      return () => {
        for (let at = 0; at < signal.length; at += chunk) step(signal.subarray(at, at + chunk));
        return audioSeconds;
      };
    });
    const { rates, ratios } = measureRatesInTurns(works, timing);
    return candidates.map((c, w) => ({
      inputRate: a,
      outputRate: b,
      converter: c.name,
      realtime: rates[w]!,
      vsMedium: ratios[w]!,
      vsFastest: ratios[w]! / ratios[fastestAt]!,
      ...(c.taps !== undefined && { taps: c.taps }),
      stopbandFrom: c.stopbandFrom,
      passbandSnrDb: passbandSnr(c.convert, a, b).snrDb,
      rejectionDb: rejection(c.convert, a, b, 0.5, c.stopbandFrom),
      rejectionKind: a > b ? 'stopband' : 'image',
    }));
  } finally {
    candidates.forEach((c) => c.close());
  }
}
