import type { AudioFrame } from './audio-frame.js';

/**
 * Idle lists keyed by length. The last length asked for is kept apart: a stream's frames and payloads
 * have one length, so the steady state does no Map lookup per frame.
 */
class IdleLists<T> {
  readonly #byLength = new Map<number, T[]>();
  #lastLength = -1;
  #last: T[] = [];

  of(length: number): T[] {
    if (length === this.#lastLength) return this.#last;
    let idle = this.#byLength.get(length);
    if (idle === undefined) {
      idle = [];
      this.#byLength.set(length, idle);
    }
    this.#lastLength = length;
    this.#last = idle;
    return idle;
  }
}

/**
 * Recycled AudioFrames for the input path, so a steady stream allocates no samples per frame
 * (docs/architecture.md, "Who owns which bytes"). A frame is taken with `acquire`, filled, handed to
 * the handler, and given back with `release` once the handler is done with it (its `receive` returned,
 * or the promise it returned settled; see AudioFrame). Frames of any length are pooled, by length: a
 * resampler with a fractional ratio makes frames whose length varies by a sample.
 *
 * A frame that is never released (the session ended with it queued) is simply left to the GC; a pool
 * keeps at most `maxIdle` idle frames per length. Releasing a frame the pool did not make, or twice, is
 * ignored, so a mistake cannot hand one array to two users.
 */
export class PooledFrame implements AudioFrame {
  readonly samples: Int16Array;
  readonly sampleRate: number;
  readonly channels: number;
  timestamp = 0;
  /** @internal the pool that made it, and whether it is idle there. */
  readonly pool: FramePool;
  idle = false;

  constructor(pool: FramePool, length: number, sampleRate: number, channels: number) {
    this.pool = pool;
    this.samples = new Int16Array(length);
    this.sampleRate = sampleRate;
    this.channels = channels;
  }
}

export class FramePool {
  readonly sampleRate: number;
  readonly channels: number;
  readonly maxIdle: number;
  readonly #idle = new IdleLists<PooledFrame>();
  /** Frames made so far (a steady stream stops making them). */
  created = 0;

  constructor(sampleRate: number, channels = 1, maxIdle = 8) {
    this.sampleRate = sampleRate;
    this.channels = channels;
    this.maxIdle = maxIdle;
  }

  /** A frame of `length` samples (interleaved); its contents are whatever it held last: overwrite them. */
  acquire(length: number, timestamp: number): PooledFrame {
    const frame = this.#idle.of(length).pop() ?? this.#make(length);
    frame.idle = false;
    frame.timestamp = timestamp;
    return frame;
  }

  release(frame: AudioFrame): void {
    if (!(frame instanceof PooledFrame) || frame.pool !== this || frame.idle) return;
    const idle = this.#idle.of(frame.samples.length);
    if (idle.length >= this.maxIdle) return;
    frame.idle = true;
    idle.push(frame);
  }

  #make(length: number): PooledFrame {
    this.created++;
    return new PooledFrame(this, length, this.sampleRate, this.channels);
  }
}

const sharedFramePools = new Map<string, FramePool>();

/**
 * The frame pool every input pipeline of the process at this rate and channel count shares: a frame a
 * session's handler gave back is the next one another session fills, still in cache (shared-scratch.ts
 * says why). 64 idle frames cover the handlers holding frames at once in a busy turn; more are made and
 * left to the GC.
 */
export function sharedFramePool(sampleRate: number, channels = 1): FramePool {
  const key = `${sampleRate}/${channels}`;
  let pool = sharedFramePools.get(key);
  if (pool === undefined) {
    pool = new FramePool(sampleRate, channels, 64);
    sharedFramePools.set(key, pool);
  }
  return pool;
}

/**
 * Recycled byte arrays, for payloads the jitter buffer holds: the transport's bytes are only valid
 * during its call (a serializer may reuse them), so the input pipeline copies each payload it keeps
 * into one of these and gives it back once it is decoded or dropped. Pooled by exact length; at most `maxIdle`
 * idle arrays per length.
 */
export class BytePool {
  readonly maxIdle: number;
  readonly #idle = new IdleLists<Uint8Array>();
  created = 0;

  /** 32 idle arrays hold a 640 ms burst of 20 ms packets (a stalled sender catching up) for reuse. */
  constructor(maxIdle = 32) {
    this.maxIdle = maxIdle;
  }

  copy(src: Uint8Array): Uint8Array {
    const out = this.#idle.of(src.length).pop() ?? this.#make(src.length);
    out.set(src);
    return out;
  }

  release(bytes: Uint8Array): void {
    const idle = this.#idle.of(bytes.length);
    if (idle.length < this.maxIdle && !idle.includes(bytes)) idle.push(bytes);
  }

  #make(length: number): Uint8Array {
    this.created++;
    return new Uint8Array(length);
  }
}

/**
 * The payload pool of every input pipeline of the process: a payload given back by one session is the
 * next one another session copies into, still in cache (shared-scratch.ts says why). Last in, first out.
 */
export const sharedBytePool = new BytePool(64);
