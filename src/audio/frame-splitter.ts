import { allocSamples } from './sample-pool.js';

/**
 * Pure re-framer: audio of any length in, fixed-size frames out. Output longer than a frame is
 * split; a remainder waits for more audio or for `flush()`, which pads the last frame with silence.
 * Frames are copies from the sample pool (they may share an ArrayBuffer: see sample-pool.ts).
 */
export class FrameSplitter {
  readonly frameSamples: number;
  private pending: Int16Array;
  private filled = 0;

  constructor(frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) throw new RangeError(`frameSamples must be a positive integer, got ${frameSamples}`);
    this.frameSamples = frameSamples;
    this.pending = allocSamples(frameSamples);
  }

  /** Samples held back, waiting to complete a frame. */
  get buffered(): number {
    return this.filled;
  }

  push(samples: Int16Array): Int16Array[] {
    const frames: Int16Array[] = [];
    let offset = 0;
    if (this.filled > 0) {
      const take = Math.min(this.frameSamples - this.filled, samples.length);
      this.pending.set(samples.subarray(0, take), this.filled);
      this.filled += take;
      offset = take;
      if (this.filled < this.frameSamples) return frames;
      frames.push(this.pending);
      this.pending = allocSamples(this.frameSamples);
      this.filled = 0;
    }
    while (samples.length - offset >= this.frameSamples) {
      const frame = allocSamples(this.frameSamples);
      frame.set(samples.subarray(offset, offset + this.frameSamples));
      frames.push(frame);
      offset += this.frameSamples;
    }
    if (offset < samples.length) {
      this.pending.set(samples.subarray(offset), 0);
      this.filled = samples.length - offset;
    }
    return frames;
  }

  /** The remainder padded to a whole frame with silence, or nothing. */
  flush(): Int16Array | undefined {
    if (this.filled === 0) return undefined;
    const frame = this.pending;
    frame.fill(0, this.filled);
    this.pending = allocSamples(this.frameSamples);
    this.filled = 0;
    return frame;
  }

  /** Drop the remainder (barge-in). */
  reset(): void {
    this.filled = 0;
  }
}
