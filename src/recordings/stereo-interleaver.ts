/**
 * Pure: two mono sample streams in (left = caller, right = gateway), interleaved stereo frames out,
 * as far as both sides have samples. What one side has beyond the other waits here; the recorder keeps
 * that bounded by padding the lagging side with silence (RecordingTrack.padTo), and `drain()` pads the
 * shorter side at the end.
 */
export class StereoInterleaver {
  private readonly queues: [Int16Array[], Int16Array[]] = [[], []];
  private readonly queued: [number, number] = [0, 0];
  /** Offset into the first chunk of each queue. */
  private readonly heads: [number, number] = [0, 0];

  /** Samples waiting on the left and right. */
  get waiting(): readonly [number, number] {
    return this.queued;
  }

  push(side: 0 | 1, samples: Int16Array): void {
    if (samples.length === 0) return;
    this.queues[side].push(samples);
    this.queued[side] += samples.length;
  }

  /** Interleaved frames for every instant both sides have (L, R, L, R, …). */
  take(): Int16Array {
    const frames = Math.min(this.queued[0], this.queued[1]);
    const out = new Int16Array(frames * 2);
    this.copy(0, out, frames);
    this.copy(1, out, frames);
    return out;
  }

  /** Everything left, the shorter side padded with silence. */
  drain(): Int16Array {
    const longer = Math.max(this.queued[0], this.queued[1]);
    for (const side of [0, 1] as const) {
      if (this.queued[side] < longer) this.push(side, new Int16Array(longer - this.queued[side]));
    }
    return this.take();
  }

  private copy(side: 0 | 1, out: Int16Array, frames: number): void {
    const queue = this.queues[side];
    let written = 0;
    while (written < frames) {
      const chunk = queue[0]!;
      const head = this.heads[side];
      const n = Math.min(chunk.length - head, frames - written);
      for (let i = 0; i < n; i++) out[(written + i) * 2 + side] = chunk[head + i]!;
      written += n;
      if (head + n === chunk.length) {
        queue.shift();
        this.heads[side] = 0;
      } else {
        this.heads[side] = head + n;
      }
    }
    this.queued[side] -= frames;
  }
}
