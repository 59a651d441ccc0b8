/**
 * One reused Buffer that outbound bytes are written into and lent to the socket (docs/architecture.md,
 * "Who owns which bytes"): valid until the next write, unless `kept()` says the socket still holds it,
 * and the next write then gets a fresh Buffer. It grows to the largest message and keeps one view of
 * the written length while messages keep their size, so a steady stream makes neither a Buffer nor a
 * view per message.
 */
export class LentBuffer {
  #buffer: Buffer = Buffer.alloc(0);
  #view: Buffer = this.#buffer;
  /** The Buffer `#view` is of (compared instead of `.buffer`, a call into C++ per message). */
  #viewOf: Buffer = this.#buffer;

  /** The Buffer to write a message of `length` bytes into, from offset 0. */
  space(length: number): Buffer {
    if (this.#buffer.length < length) this.#buffer = Buffer.allocUnsafe(Math.max(length, 2 * this.#buffer.length));
    return this.#buffer;
  }

  /** The message just written into `space(length)`: that Buffer's first `length` bytes. */
  view(length: number): Buffer {
    const buffer = this.#buffer;
    if (this.#viewOf !== buffer || this.#view.length !== length) {
      this.#view = buffer.subarray(0, length);
      this.#viewOf = buffer;
    }
    return this.#view;
  }

  /** The socket still holds the last message: it is not written over. */
  kept(): void {
    this.#buffer = Buffer.alloc(0);
    this.#view = this.#buffer;
    this.#viewOf = this.#buffer;
  }
}
