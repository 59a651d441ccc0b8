import { LentBuffer } from './lent-buffer.js';

/**
 * Whole unmasked server-to-client WebSocket frames (RFC 6455 §5.2: FIN, opcode, 7-, 16- or 64-bit
 * length, no mask) written into one reused Buffer, so a media message reaches the socket as one write
 * of one Buffer (docs/architecture.md, "Outbound"). ws's own `send` makes per message two option
 * objects, a header Buffer and a list, and writes header and payload as two chunks; perf at 300 μ-law
 * sessions put that, and Node's handling of the second chunk, among the send path's costs
 * (docs/performance.md, "Seventh pass").
 *
 * The Buffer is lent to the socket (lent-buffer.ts): valid until the next `frame`, unless `kept()` says
 * the socket still holds it, and the next frame then gets a fresh Buffer.
 */
export class ServerFrames {
  readonly #out = new LentBuffer();

  /** A final frame carrying `payload` (read during the call only): opcode 2 when `binary`, else 1. */
  frame(payload: Uint8Array, binary: boolean): Buffer {
    const n = payload.length;
    const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
    const b = this.#out.space(head + n);
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
    return this.#out.view(head + n);
  }

  /** The socket still holds the last Buffer `frame` returned: it is not written over. */
  kept(): void {
    this.#out.kept();
  }
}
