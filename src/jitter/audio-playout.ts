import { JitterBuffer, type JitterPacket, type PushOutcome } from './jitter-buffer.js';
import type { JitterBufferOptions } from './jitter-buffer-options.js';
import type { JitterBufferStats } from './jitter-stats.js';
import { PcmConcealer, type PcmConcealerOptions } from './pcm-concealer.js';

/**
 * Jitter buffer + decoding + concealment → fixed frames of PCM16, still pure (time passed in).
 * An adapter pushes packets as they arrive and calls `pull(now)` once per frame tick (every
 * `frameMs`); each call returns exactly one frame, or undefined when there is nothing to play
 * (before playout starts, and when the stream has gone quiet). Packets of other durations are fine:
 * their audio is split or joined into frames.
 *
 * Concealment: PCM/G.711 streams use PcmConcealer (waveform repetition with fade-out, cross-fade back);
 * codecs with their own (Opus) pass `conceal` — e.g. `(n, next) => decoder.conceal(n, next && bytes(next))`.
 */
export interface AudioPlayoutOptions<T> {
  sampleRate: number;
  channels?: number;
  /** Output frame duration, ms (also the jitter buffer's nominal packet duration). Default 20. */
  frameMs?: number;
  jitter?: Partial<Omit<JitterBufferOptions, 'sampleRate' | 'frameMs'>>;
  /** Whether a packet may be dropped to speed playout up (default: any); see JitterBuffer. */
  canAccelerate?: (payload: T) => boolean;
  /**
   * Payload → PCM16 at `sampleRate` (identity for Int16Array payloads). The result is read at once and
   * not kept, so it may live in the decoder's scratch space.
   */
  decode: (payload: T) => Int16Array;
  /** The playout no longer needs a payload (decoded and played, or dropped): its owner may reuse it. */
  release?: (payload: T) => void;
  /** Codec concealment: `frames` samples per channel; `next` is the packet after a loss (Opus FEC). */
  conceal?: (frames: number, next: T | undefined) => Int16Array;
  concealer?: Partial<Omit<PcmConcealerOptions, 'sampleRate' | 'channels'>>;
}

export class AudioPlayout<T> {
  readonly buffer: JitterBuffer<T>;
  readonly sampleRate: number;
  readonly channels: number;
  /** Samples per channel in one output frame. */
  readonly frameSamples: number;
  readonly #decode: (payload: T) => Int16Array;
  readonly #codecConceal: ((frames: number, next: T | undefined) => Int16Array) | undefined;
  readonly #concealer: PcmConcealer;
  readonly #release: ((payload: T) => void) | undefined;
  /** Decoded audio not yet pulled, interleaved, from index 0 (a packet longer than a frame, or a short one). */
  #pending: Int16Array;
  #pendingLength = 0;
  /** `#pending[0, need)`, kept so a pull copies out without making a view. */
  #head: Int16Array;

  constructor(options: AudioPlayoutOptions<T>) {
    const frameMs = options.frameMs ?? 20;
    this.channels = options.channels ?? 1;
    this.sampleRate = options.sampleRate;
    this.buffer = new JitterBuffer<T>({ ...options.jitter, sampleRate: options.sampleRate, frameMs }, options.canAccelerate, options.release);
    this.#concealer = new PcmConcealer({ ...options.concealer, sampleRate: options.sampleRate, channels: this.channels });
    this.frameSamples = Math.round((frameMs * options.sampleRate) / 1000);
    if (typeof options.decode !== 'function') throw new TypeError(`Expected \`decode\` to be a function, got \`${String(options.decode)}\``);
    this.#decode = options.decode;
    this.#codecConceal = options.conceal;
    this.#release = options.release;
    this.#pending = new Int16Array(4 * this.frameSamples * this.channels);
    this.#head = this.#pending.subarray(0, this.frameSamples * this.channels);
  }

  push(packet: JitterPacket<T>, now: number): PushOutcome {
    return this.buffer.push(packet, now);
  }

  /** True while pull() may return audio (an adapter can stop its tick otherwise). */
  get active(): boolean {
    return this.buffer.active || this.#pendingLength > 0;
  }

  /** Decoded audio waiting for the next `pull`, ms (part of a packet longer than a frame, or a short one). */
  get pendingMs(): number {
    return (this.#pendingLength / this.channels / this.sampleRate) * 1000;
  }

  /** One frame of audio (a new array), or undefined when there is nothing to play. */
  pull(now: number): Int16Array | undefined {
    const out = new Int16Array(this.frameSamples * this.channels);
    return this.pullInto(now, out) ? out : undefined;
  }

  /**
   * `pull` into the caller's `out` (exactly one frame: frameSamples × channels); false when there is
   * nothing to play (`out` untouched). Allocates nothing while packets arrive whole and in order.
   */
  pullInto(now: number, out: Int16Array): boolean {
    const need = this.frameSamples * this.channels;
    if (out.length !== need) throw new RangeError(`pullInto: out holds ${out.length} samples, one frame is ${need}`);
    while (this.#pendingLength < need) {
      const step = this.buffer.popLent(now);
      if (step.kind === 'empty') break;
      if (step.kind === 'audio') {
        const decoded = this.#decode(step.payload);
        const pcm = this.#codecConceal ? decoded : this.#concealer.play(decoded, step.discontinuity);
        this.#release?.(step.payload);
        if (this.#pendingLength === 0 && pcm.length === need) {
          // The steady case, a whole frame per packet: straight into `out`, not through #pending.
          out.set(pcm);
          return true;
        }
        this.#append(pcm);
      } else {
        this.#append(this.#codecConceal ? this.#codecConceal(step.samples, step.nextPayload) : this.#concealer.conceal(step.samples));
      }
    }
    if (this.#pendingLength === 0) return false;
    if (this.#pendingLength < need) {
      // The stream stopped mid-frame: finish the frame with a fade rather than a hard cut.
      const missing = (need - this.#pendingLength) / this.channels;
      this.#append(this.#codecConceal ? new Int16Array(missing * this.channels) : this.#concealer.conceal(missing));
    }
    this.#take(need, out);
    return true;
  }

  /** Drops buffered audio (barge-in / `clear`); returns the packets dropped. */
  flush(): number {
    this.#pendingLength = 0;
    return this.buffer.flush();
  }

  stats(): JitterBufferStats {
    return this.buffer.stats();
  }

  #append(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    const length = this.#pendingLength + pcm.length;
    if (length > this.#pending.length) {
      const grown = new Int16Array(Math.max(length, 2 * this.#pending.length));
      grown.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = grown;
      this.#head = grown.subarray(0, this.frameSamples * this.channels);
    }
    this.#pending.set(pcm, this.#pendingLength);
    this.#pendingLength = length;
  }

  /** Moves the first `count` (= one frame) pending samples into `out`. */
  #take(count: number, out: Int16Array): void {
    out.set(this.#head);
    this.#pending.copyWithin(0, count, this.#pendingLength);
    this.#pendingLength -= count;
  }
}
