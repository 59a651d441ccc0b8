import { designPolyphaseTable, type FilterSpec, type PolyphaseTable } from './kaiser-design.js';
import type { FirKernel, KernelName, PreparedTable } from './fir-kernel.js';
import type { ResampleRatio } from './resample-ratio.js';
import { BLOCK_FRAMES, type ResampleEngine } from './resample-engine.js';

const tableCache = new Map<string, PolyphaseTable>();

function filterTable(ratio: ResampleRatio, spec: FilterSpec): PolyphaseTable {
  const key = `${ratio.up}/${ratio.down}/${spec.passband}/${spec.stopbandDb}`;
  let table = tableCache.get(key);
  if (!table) {
    table = designPolyphaseTable(ratio, spec);
    tableCache.set(key, table);
  }
  return table;
}

/**
 * The windowed-sinc polyphase engine (kaiser-design.ts) on the exact rational ratio up/down: the `high`
 * tier, and the other tiers' engine for ratios that are not 1:F or F:1 (docs/resampler.md). Per
 * channel a Float32 history of one filter length; every feed appends, computes every output whose taps
 * are all present, and keeps the rest. delayFrames is half the filter.
 */
export class PolyphaseEngine implements ResampleEngine {
  readonly kernel: KernelName;
  readonly taps: number;
  readonly delayFrames: number;

  private readonly prepared: PreparedTable;
  private readonly buffers: Float32Array[] = [];
  private readonly outFloat: Float32Array;
  private length = 0; // valid frames in each buffer
  private start = 0; // buffer index of the first tap of the next output
  private phase = 0; // its phase, 0 ≤ phase < up

  constructor(
    private readonly ratio: ResampleRatio,
    spec: FilterSpec,
    private readonly channels: number,
    private readonly fir: FirKernel,
  ) {
    this.kernel = fir.name;
    this.prepared = fir.prepare(filterTable(ratio, spec));
    this.taps = this.prepared.table.taps;
    this.delayFrames = this.taps / 2;
    for (let c = 0; c < channels; c++) this.buffers.push(new Float32Array(this.taps + BLOCK_FRAMES));
    this.outFloat = new Float32Array((Math.ceil((BLOCK_FRAMES * ratio.up) / ratio.down) + 2) * channels);
    this.reset();
  }

  outputLength(frames: number): number {
    return this.producible(this.length + frames);
  }

  reset(): void {
    this.start = 0;
    this.phase = 0;
    this.length = Math.max(0, this.delayFrames - 1);
    for (const b of this.buffers) b.fill(0);
  }

  feed(input: Int16Array | Float32Array, from: number, frames: number, output: Int16Array | Float32Array, at: number, limit: number): number {
    const ch = this.channels;
    const toInt16 = output instanceof Int16Array;
    let written = 0;
    for (let done = 0; done < frames; ) {
      const n = Math.min(BLOCK_FRAMES, frames - done);
      if (ch === 1) {
        // One builtin call converts the whole block (Int16 → Float32 is exact); a JS loop cost ~4 ns a sample.
        this.buffers[0]!.set(input.subarray(from + done, from + done + n), this.length);
      } else {
        for (let c = 0; c < ch; c++) {
          const buf = this.buffers[c]!;
          for (let i = 0, j = (from + done) * ch + c; i < n; i++, j += ch) buf[this.length + i] = input[j]!;
        }
      }
      this.length += n;
      done += n;
      const count = Math.min(this.producible(this.length), limit - written);
      if (count > 0) {
        this.filter(count);
        const src = this.outFloat;
        const base = (at + written) * ch;
        if (toInt16) {
          for (let i = 0; i < count * ch; i++) {
            const v = Math.round(src[i]!);
            output[base + i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
          }
        } else {
          output.set(src.subarray(0, count * ch), base);
        }
        written += count;
      }
      this.compact();
    }
    return written;
  }

  /** Outputs computable once each buffer holds `length` frames. */
  private producible(length: number): number {
    const room = length - this.taps - this.start; // how far the first tap may still advance
    if (room < 0) return 0;
    return Math.floor(((room + 1) * this.ratio.up - 1 - this.phase) / this.ratio.down) + 1;
  }

  /** Computes `count` output frames into outFloat (interleaved) and advances start/phase. */
  private filter(count: number): void {
    const { up, down } = this.ratio;
    for (let c = 0; c < this.channels; c++) {
      this.fir.run(this.prepared, this.buffers[c]!, this.length, {
        start: this.start,
        phase: this.phase,
        up,
        down,
        count,
        out: this.outFloat,
        offset: c,
        stride: this.channels,
      });
    }
    const phase = this.phase + count * down; // the same walk the kernel made, in one step
    const carry = Math.floor(phase / up);
    this.start += carry;
    this.phase = phase - carry * up;
  }

  /** Drops consumed history so each buffer starts at the next output's first tap. */
  private compact(): void {
    if (this.start === 0) return;
    for (const b of this.buffers) b.copyWithin(0, this.start, this.length);
    this.length -= this.start;
    this.start = 0;
  }
}
