import { estimatePitchPeriod } from './pitch-period.js';

/**
 * Packet loss concealment for PCM/G.711 streams by waveform repetition (the idea of ITU-T G.711
 * Appendix I, written from scratch): when audio is missing, the last pitch period(s) of what was
 * played are repeated, starting exactly where the real audio stopped (a decaying offset ramp makes
 * the first synthetic sample continue the last real one), at full level for `fadeStartMs`, then
 * fading linearly to silence over `fadeMs`. When real audio comes back it is cross-faded in over
 * `crossFadeMs` from the continuation of the concealment, so no seam clicks. The same cross-fade
 * smooths a `discontinuity` (a packet dropped to catch up). Pure: no timers, no I/O.
 *
 * Every sample that is played — real or synthetic — must pass through `play()` or `conceal()` so
 * the history stays the true output. Samples are interleaved PCM16, `channels` per frame.
 */
export interface PcmConcealerOptions {
  sampleRate: number;
  channels: number;
  /** Lowest pitch searched, Hz (longest period). */
  minPitchHz: number;
  /** Highest pitch searched, Hz (shortest period). */
  maxPitchHz: number;
  /** Repeated segment length is a whole number of periods of at least this, ms (less buzzy than one period). */
  minRepeatMs: number;
  /** Concealment plays at full level this long, ms. */
  fadeStartMs: number;
  /** Then fades to silence over this long, ms. */
  fadeMs: number;
  /** Cross-fade from concealment back into real audio, ms. */
  crossFadeMs: number;
}

export const DEFAULT_PCM_CONCEALER_OPTIONS = {
  channels: 1,
  minPitchHz: 60,
  maxPitchHz: 400,
  minRepeatMs: 5,
  fadeStartMs: 10,
  fadeMs: 50,
  crossFadeMs: 5,
} as const satisfies Omit<PcmConcealerOptions, 'sampleRate'>;

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1000;

interface Run {
  /** The repeated segment, interleaved, as floats. */
  readonly cycle: Float32Array;
  /** Frames in the cycle. */
  readonly cycleFrames: number;
  /** Offset per channel that makes the first synthetic sample continue the real audio; decays over `rampFrames`. */
  readonly offset: Float32Array;
  readonly rampFrames: number;
  /** Frames synthesized so far in this run. */
  position: number;
}

export class PcmConcealer {
  readonly options: PcmConcealerOptions;
  readonly #historyFrames: number;
  /**
   * What was played, interleaved, in a ring (`#at` is the oldest sample, where the next write goes):
   * at least the last `historyFrames` frames. Int16, like everything played, so remembering a frame is
   * one plain copy per frame and no shifting (concealment, rare, reads it in order: `#linearHistory`).
   * Sized to whole 20 ms of audio, so 10 and 20 ms frames never wrap mid-frame.
   */
  readonly #ring: Int16Array;
  #at = 0;
  #run: Run | undefined;
  /** The previous output was concealment (the next real audio is cross-faded in). */
  #concealing = false;

  constructor(options: Partial<PcmConcealerOptions> & Pick<PcmConcealerOptions, 'sampleRate'>) {
    const o: PcmConcealerOptions = { ...DEFAULT_PCM_CONCEALER_OPTIONS, ...options };
    check(Number.isInteger(o.sampleRate) && o.sampleRate >= 1000 && o.sampleRate <= 384_000, 'sampleRate', o.sampleRate, 'an integer from 1000 to 384000');
    check(Number.isInteger(o.channels) && o.channels >= 1 && o.channels <= 8, 'channels', o.channels, 'an integer from 1 to 8');
    check(typeof o.maxPitchHz === 'number' && o.maxPitchHz > 0 && o.maxPitchHz <= o.sampleRate / 4, 'maxPitchHz', o.maxPitchHz, `a number in (0, sampleRate/4 = ${o.sampleRate / 4}]`);
    check(typeof o.minPitchHz === 'number' && o.minPitchHz >= 20 && o.minPitchHz < o.maxPitchHz, 'minPitchHz', o.minPitchHz, `a number from 20 to below maxPitchHz (${o.maxPitchHz})`);
    for (const name of ['minRepeatMs', 'fadeStartMs', 'fadeMs', 'crossFadeMs'] as const) check(isMs(o[name]), name, o[name], 'a number of ms from 0 to 1000');
    this.options = o;
    const maxLag = Math.ceil(o.sampleRate / o.minPitchHz);
    // Room for the correlation window (one max period), the lag search, and the loop-seam cross-fade.
    this.#historyFrames = 3 * maxLag + Math.ceil((o.minRepeatMs * o.sampleRate) / 1000);
    const frame20 = Math.max(1, Math.round(o.sampleRate / 50)) * o.channels;
    this.#ring = new Int16Array(Math.ceil((this.#historyFrames * o.channels) / frame20) * frame20);
  }

  /** Real audio: returned as is, or cross-faded in after concealment or a `discontinuity`. */
  play(pcm: Int16Array, discontinuity = false): Int16Array {
    const { channels } = this.options;
    let out = pcm;
    if (this.#concealing || discontinuity) {
      this.#run ??= this.#startRun();
      const frames = pcm.length / channels;
      const fadeFrames = Math.min(frames, Math.max(1, Math.round((this.options.crossFadeMs * this.options.sampleRate) / 1000)));
      const tail = this.#synthesize(fadeFrames);
      out = Int16Array.from(pcm);
      for (let f = 0; f < fadeFrames; f++) {
        const w = (f + 1) / (fadeFrames + 1);
        for (let c = 0; c < channels; c++) {
          const i = f * channels + c;
          out[i] = clamp16(pcm[i]! * w + tail[i]! * (1 - w));
        }
      }
    }
    this.#run = undefined;
    this.#concealing = false;
    this.#remember(out);
    return out;
  }

  /** `frames` synthetic frames (samples per channel) continuing what was played. */
  conceal(frames: number): Int16Array {
    this.#run ??= this.#startRun();
    const synthetic = this.#synthesize(frames);
    const out = new Int16Array(synthetic.length);
    for (let i = 0; i < out.length; i++) out[i] = clamp16(synthetic[i]!);
    this.#concealing = true;
    this.#remember(out);
    return out;
  }

  /** Forget the past (a new stream starts). */
  reset(): void {
    this.#ring.fill(0);
    this.#at = 0;
    this.#run = undefined;
    this.#concealing = false;
  }

  #startRun(): Run {
    const { sampleRate, channels, minPitchHz, maxPitchHz, minRepeatMs } = this.options;
    const frames = this.#historyFrames;
    const h = this.#linearHistory();
    const mono = new Float32Array(frames);
    for (let f = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += h[f * channels + c]!;
      mono[f] = sum / channels;
    }
    const minLag = Math.max(2, Math.floor(sampleRate / maxPitchHz));
    const maxLag = Math.ceil(sampleRate / minPitchHz);
    const { period } = estimatePitchPeriod(mono, minLag, maxLag, maxLag);
    const minRepeat = Math.ceil((minRepeatMs * sampleRate) / 1000);
    let cycleFrames = period * Math.max(1, Math.ceil(minRepeat / period));
    const seam = Math.max(1, Math.floor(period / 4));
    if (cycleFrames + seam > frames) cycleFrames = period;
    const cycle = h.slice((frames - cycleFrames) * channels);
    // Smooth the loop seam: the cycle's end blends into what preceded its start in the history.
    for (let f = 0; f < seam; f++) {
      const w = (f + 1) / (seam + 1);
      for (let c = 0; c < channels; c++) {
        const i = (cycleFrames - seam + f) * channels + c;
        const before = h[(frames - cycleFrames - seam + f) * channels + c]!;
        cycle[i] = cycle[i]! * (1 - w) + before * w;
      }
    }
    // Continue the last real sample's trajectory: predicted next value minus the cycle's first value.
    const offset = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      const last = h[(frames - 1) * channels + c]!;
      const prev = h[(frames - 2) * channels + c]!;
      offset[c] = last + (last - prev) - cycle[c]!;
    }
    const rampFrames = Math.max(seam, Math.round((this.options.crossFadeMs * sampleRate) / 1000));
    return { cycle, cycleFrames, offset, rampFrames, position: 0 };
  }

  #synthesize(frames: number): Float32Array {
    const run = this.#run!;
    const { channels, sampleRate, fadeStartMs, fadeMs } = this.options;
    const fadeStart = (fadeStartMs * sampleRate) / 1000;
    const fadeLength = Math.max(1, (fadeMs * sampleRate) / 1000);
    const out = new Float32Array(frames * channels);
    for (let f = 0; f < frames; f++) {
      const n = run.position + f;
      const gain = n < fadeStart ? 1 : Math.max(0, 1 - (n - fadeStart) / fadeLength);
      const ramp = n < run.rampFrames ? 1 - n / run.rampFrames : 0;
      const at = (n % run.cycleFrames) * channels;
      for (let c = 0; c < channels; c++) out[f * channels + c] = (run.cycle[at + c]! + run.offset[c]! * ramp) * gain;
    }
    run.position += frames;
    return out;
  }

  #remember(pcm: Int16Array): void {
    const ring = this.#ring;
    const size = ring.length;
    const n = pcm.length;
    if (n >= size) {
      ring.set(pcm.subarray(n - size));
      this.#at = 0;
      return;
    }
    const at = this.#at;
    if (at + n <= size) {
      ring.set(pcm, at); // the usual case: one copy, no view made
    } else {
      const first = size - at;
      for (let i = 0; i < first; i++) ring[at + i] = pcm[i]!;
      for (let i = first; i < n; i++) ring[i - first] = pcm[i]!;
    }
    this.#at = (at + n) % size;
  }

  /** The last `historyFrames` frames played, oldest first, as floats (made when a concealment starts). */
  #linearHistory(): Float32Array {
    const ring = this.#ring;
    const size = ring.length;
    const out = new Float32Array(this.#historyFrames * this.options.channels);
    const start = this.#at + size - out.length; // oldest sample wanted, modulo size
    for (let i = 0; i < out.length; i++) out[i] = ring[(start + i) % size]!;
    return out;
  }
}

function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
}
