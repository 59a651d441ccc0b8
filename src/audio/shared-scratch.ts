/**
 * Scratch audio shared by every session of the process, for samples written and read within one
 * synchronous step (decoded PCM before it is copied into a frame, a resampler's output before it is
 * queued, an encoded payload before the socket adapter copies it into its frame). The previous
 * session's frame just used this memory, so it is still in cache; a buffer of each session's own has
 * been pushed out by the frames of every other session by the time its next frame comes (docs/performance.md, "Fifth pass": cache misses per frame grow with the number of sessions).
 *
 * One `ScratchArea` per role, so two steps in flight at once (the decoder's output copied into the
 * playout target) never share memory. Each user holds a `ScratchView` of an area: its view is remade
 * only when the length it asks for changes or the area grew, so a steady stream makes no views.
 */
type Samples = Int16Array | Uint8Array;

export class ScratchArea<T extends Samples = Int16Array> {
  samples: T;
  readonly #make: (length: number) => T;

  /** PCM16 samples by default; `make` gives another array type (bytes for encoded payloads). */
  constructor(make: (length: number) => T = (length) => new Int16Array(length) as T) {
    this.#make = make;
    this.samples = make(0);
  }

  /** At least `length` samples (the old contents are not kept). */
  reserve(length: number): T {
    if (this.samples.length < length) this.samples = this.#make(Math.max(length, 2 * this.samples.length));
    return this.samples;
  }
}

export class ScratchView<T extends Samples = Int16Array> {
  readonly #area: ScratchArea<T>;
  #view: T;
  #of: T | undefined;

  constructor(area: ScratchArea<T>) {
    this.#area = area;
    this.#view = area.samples;
  }

  /** `length` samples of the area: valid until the next `take` on any view of the same area. */
  take(length: number): T {
    const samples = this.#area.reserve(length);
    if (this.#of !== samples || this.#view.length !== length) {
      this.#view = samples.subarray(0, length) as T;
      this.#of = samples;
    }
    return this.#view;
  }
}
