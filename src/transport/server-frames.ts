/**
 * Whole unmasked server-to-client WebSocket frames (RFC 6455 §5.2: FIN, opcode, 7-, 16- or 64-bit
 * length, no mask) written into one reused Buffer, so a media message reaches the socket as one write
 * of one Buffer (docs/architecture.md, "Outbound"). ws's own `send` makes per message two option
 * objects, a header Buffer and a list, and writes header and payload as two chunks; perf at 300 μ-law
 * sessions put that, and Node's handling of the second chunk, among the send path's costs
 * (docs/performance.md, "Seventh pass").
 *
 * The Buffer is lent to the socket: valid until the next `frame`, unless `kept()` says the socket
 * still holds it, and the next frame then gets a fresh Buffer.
 */
export class ServerFrames {
  #buffer: Buffer = Buffer.alloc(0);
  /** `#buffer[0, length)`, kept while frames keep their size, so a frame makes no view either. */
  #view: Buffer = this.#buffer;
  #viewOf: Buffer = this.#buffer;

  /** A final frame carrying `payload` (read during the call only): opcode 2 when `binary`, else 1. */
  frame(payload: Uint8Array, binary: boolean): Buffer {
    const n = payload.length;
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const length = head + n;
    if (this.#buffer.length < length) this.#buffer = Buffer.allocUnsafe(Math.max(length, 2 * this.#buffer.length));
    const b = this.#buffer;
    b[0] = binary ? 0x82 : 0x81;
    if (head === 2) {
      b[1] = n;
    } else if (head === 4) {
      b[1] = 126;
      b[2] = n >>> 8;
      b[3] = n & 0xff;
    } else {
      b[1] = 127;
      b.writeUInt32BE(Math.floor(n / 2 ** 32), 2);
      b.writeUInt32BE(n >>> 0, 6);
    }
    b.set(payload, head);
    if (this.#viewOf !== b || this.#view.length !== length) {
      this.#view = b.subarray(0, length);
      this.#viewOf = b;
    }
    return this.#view;
  }

  /** The socket still holds the last Buffer `frame` returned: it is not written over. */
  kept(): void {
    this.#buffer = Buffer.alloc(0);
    this.#view = this.#buffer;
    this.#viewOf = this.#buffer;
  }
}
