/**
 * Our streaming resampler beside libsamplerate (libsamplerate-js 2.x: libsamplerate compiled to
 * WebAssembly) on the same signals in the same run.
 *
 * Speed: PCM16 in, PCM16 out, 20 ms chunks, as a session uses it; seconds of audio per CPU second
 * (× real time per core). Ours: `process(chunk)` (allocates its output). libsamplerate-js: the chunk is
 * converted to Float32 into a reused array, `full(input, output)` writes into a reused array (its
 * allocation-free call form), and the result is rounded back to PCM16 — the least work a PCM16
 * wrapper around it could do. Its async `create()` runs before timing.
 *
 * Quality (tone-metrics.ts), on the float paths so that 16-bit rounding does not hide the filters:
 * passband SNR on 12 tones over 3–80 % of the lower Nyquist; stopband rejection (downsampling) or
 * image rejection (upsampling), worst probe tone.
 */
import libsamplerate from '@alexanderolsen/libsamplerate-js';
import { StreamingResampler } from '../../src/resample/streaming-resampler.js';
import { measureRate, type RateStats, type TimingOptions } from './bench-timing.js';
import { passbandSnr, passbandTones, rejection, synthesize, type Converter } from './tone-metrics.js';

export type ConverterName = 'wavegate (wasm simd)' | 'wavegate (js kernel)' | 'libsamplerate best' | 'libsamplerate medium' | 'libsamplerate fastest';

export interface ResamplerRow {
  readonly inputRate: number;
  readonly outputRate: number;
  readonly converter: ConverterName;
  /** Seconds of audio per CPU second. */
  readonly realtime: RateStats;
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
  close(): void;
}

function ours(a: number, b: number, kernel: 'wasm-simd' | 'js'): Candidate {
  return {
    name: kernel === 'js' ? 'wavegate (js kernel)' : 'wavegate (wasm simd)',
    makeStream: () => {
      const r = new StreamingResampler(a, b, { kernel });
      let sink = 0;
      return (chunk) => {
        sink += r.process(chunk).length;
        if (sink < 0) console.log(sink);
      };
    },
    convert: (x) => new StreamingResampler(a, b, { kernel }).processAllFloat(x),
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
    close: () => streams.forEach((s) => s.destroy()),
  };
}

export async function benchResamplerPair(a: number, b: number, timing: TimingOptions, audioSeconds = 2): Promise<ResamplerRow[]> {
  const chunk = a / 50;
  const signal = Int16Array.from(synthesize(passbandTones(a, b, 32_768), a, a * audioSeconds), (v) => Math.round(v));
  const candidates: Candidate[] = [ours(a, b, 'wasm-simd'), ours(a, b, 'js')];
  for (const [name, type] of LSR) candidates.push(await lsr(a, b, name, type, chunk));
  const rows: ResamplerRow[] = [];
  try {
    for (const c of candidates) {
      const step = c.makeStream();
      const realtime = measureRate(() => {
        for (let at = 0; at < signal.length; at += chunk) step(signal.subarray(at, at + chunk));
        return audioSeconds;
      }, timing);
      rows.push({
        inputRate: a,
        outputRate: b,
        converter: c.name,
        realtime,
        passbandSnrDb: passbandSnr(c.convert, a, b).snrDb,
        rejectionDb: rejection(c.convert, a, b),
        rejectionKind: a > b ? 'stopband' : 'image',
      });
    }
  } finally {
    candidates.forEach((c) => c.close());
  }
  return rows;
}
