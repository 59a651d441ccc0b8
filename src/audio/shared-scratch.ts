/**
 * Scratch audio shared by every session of the process, for samples written and read within one
 * synchronous step (decoded PCM before it is copied into a frame, a resampler's output before it is
 * queued). The previous session's frame just used this memory, so it is still in cache; a buffer of each
 * session's own has been pushed out by the frames of every other session by the time its next frame
 * comes (docs/performance.md, "Fifth pass": cache misses per frame grow with the number of sessions).
 *
 * One `ScratchArea` per role, so two steps in flight at once (the decoder's output copied into the
 * playout target) never share memory. Each user holds a `ScratchView` of an area: its view is remade
 * only when the length it asks for changes or the area grew, so a steady stream makes no views.
 */
export class ScratchArea {
  samples: Int16Array = new Int16Array(0);

  /** At least `length` samples (the old contents are not kept). */
  reserve(length: number): Int16Array {
    if (this.samples.length < length) this.samples = new Int16Array(Math.max(length, 2 * this.samples.length));
    return this.samples;
  }
}

export class ScratchView {
  readonly #area: ScratchArea;
  #view: Int16Array = new Int16Array(0);
  #of: Int16Array | undefined;

  constructor(area: ScratchArea) {
    this.#area = area;
  }

  /** `length` samples of the area: valid until the next `take` on any view of the same area. */
  take(length: number): Int16Array {
    const samples = this.#area.reserve(length);
    if (this.#of !== samples || this.#view.length !== length) {
      this.#view = samples.subarray(0, length);
      this.#of = samples;
    }
    return this.#view;
  }
}
