import { isUtf8 } from 'node:buffer';
import { endianness } from 'node:os';

/** Where a ClientFrames reader sends what it read. Every Buffer is a view of the bytes pushed, as ws gives them. */
export interface ClientFramesSink {
  /** A whole unfragmented text or binary message, unmasked (text checked as UTF-8 unless told not to). */
  message(data: Buffer, isBinary: boolean): void;
  /** A whole control frame (ping, pong, close), still masked: for ws's own receiver. */
  control(frame: Buffer): void;
  /** Everything from the start of a frame this reader does not take, and then every later byte. */
  handOver(rest: Buffer): void;
}

export interface ClientFramesOptions {
  /** Larger data frames are handed over (ws closes with 1009). 0: no limit. */
  readonly maxPayload: number;
  readonly skipUtf8Validation: boolean;
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Client-to-server WebSocket frames (RFC 6455 §5.2) read straight off the socket's chunks, for the
 * common case only: final, masked text and binary frames with no extension bits, and control frames
 * between them (docs/architecture.md, "Inbound"). Messages are unmasked in place, four bytes at a time,
 * and delivered synchronously as views of the chunk, in order. A frame outside that case (a fragment,
 * an unmasked or oversized frame, reserved bits, an unknown opcode, text that is not UTF-8) is handed
 * over, masked as it came, with every byte after it: ws's receiver reads on from a frame boundary and
 * answers it as it always has.
 *
 * A frame split over chunks waits in `#parts` until it is whole, joined once, so a frame that trickles
 * in byte by byte costs one copy, not one per chunk.
 */
export class ClientFrames {
  #parts: Buffer[] = [];
  #partBytes = 0;
  /** Bytes the frame at the start of `#parts` needs before it can be read (at least its header). */
  #need = 2;
  #done = false;
  /** One Int32Array over the memory of the chunk being read, so a chunk makes one view, not one per message. */
  #words: Int32Array | undefined;
  #wordsOf: Buffer | undefined;

  constructor(
    private readonly options: ClientFramesOptions,
    private readonly sink: ClientFramesSink,
  ) {}

  /** True once a close frame went by or the rest was handed over: later bytes are not read. */
  get done(): boolean {
    return this.#done;
  }

  push(chunk: Buffer): void {
    if (this.#done) return;
    if (this.#parts.length > 0) {
      this.#parts.push(chunk);
      this.#partBytes += chunk.length;
      if (this.#partBytes < this.#need) return;
      chunk = Buffer.concat(this.#parts, this.#partBytes);
      this.#parts = [];
      this.#partBytes = 0;
    }
    let at = 0;
    const end = chunk.length;
    while (at < end && !this.#done) {
      const read = this.#frame(chunk, at, end);
      if (read === 0) {
        const rest = at === 0 ? chunk : chunk.subarray(at);
        this.#parts.push(rest);
        this.#partBytes = rest.length;
        break;
      }
      at += read;
    }
    // An idle connection keeps no view of its last chunk.
    this.#words = undefined;
    this.#wordsOf = undefined;
  }

  /** Reads the frame at `at`: its length in bytes, or 0 when it is not all in yet (`#need` says how much is). */
  #frame(b: Buffer, at: number, end: number): number {
    const avail = end - at;
    if (avail < 2) return this.#wait(2);
    const b0 = b[at]!;
    const b1 = b[at + 1]!;
    const opcode = b0 & 0x0f;
    const control = opcode >= 8;
    // FIN set, no reserved bits, masked (§5.3: a client masks every frame), opcode 1, 2, 8, 9 or 10.
    if ((b0 & 0xf0) !== 0x80 || (b1 & 0x80) === 0 || !(opcode === 1 || opcode === 2 || (control && opcode <= 10))) return this.#handOver(b, at);
    let length = b1 & 0x7f;
    let head = 6;
    if (length === 126) {
      head = 8;
      if (avail < 4) return this.#wait(4);
      length = b.readUInt16BE(at + 2);
    } else if (length === 127) {
      head = 14;
      if (avail < 10) return this.#wait(10);
      if (b.readUInt32BE(at + 2) !== 0) return this.#handOver(b, at);
      length = b.readUInt32BE(at + 6);
    }
    if ((control && length > 125) || (this.options.maxPayload > 0 && length > this.options.maxPayload)) return this.#handOver(b, at);
    const size = head + length;
    if (avail < size) return this.#wait(size);
    this.#need = 2;
    if (control) {
      this.sink.control(b.subarray(at, at + size));
      if (opcode === 8) this.#done = true;
      return size;
    }
    const start = at + head;
    this.#unmask(b, start, length);
    const data = b.subarray(start, start + length);
    if (opcode === 1 && !this.options.skipUtf8Validation && !isUtf8(data)) {
      this.#unmask(b, start, length); // masked again, as it came: ws closes with 1007
      return this.#handOver(b, at);
    }
    this.sink.message(data, opcode === 2);
    return size;
  }

  #wait(need: number): number {
    this.#need = need;
    return 0;
  }

  #handOver(b: Buffer, at: number): number {
    this.#done = true;
    this.sink.handOver(at === 0 ? b : b.subarray(at));
    return b.length - at;
  }

  /** XORs b[start … start + length) with the four mask bytes before it (§5.3), whole aligned words where it can. */
  #unmask(b: Buffer, start: number, length: number): void {
    const m = start - 4;
    let i = 0;
    if (LITTLE_ENDIAN && length >= 16) {
      const abs = b.byteOffset + start;
      const lead = (4 - (abs & 3)) & 3;
      for (; i < lead; i++) b[start + i]! ^= b[m + (i & 3)]!;
      const word = b[m]! | (b[m + 1]! << 8) | (b[m + 2]! << 16) | (b[m + 3]! << 24);
      const shift = 8 * lead;
      const rotated = shift === 0 ? word : (word >>> shift) | (word << (32 - shift));
      const words = this.#wordsOver(b);
      const first = (abs + lead) >> 2;
      const last = first + ((length - lead) >> 2);
      for (let w = first; w < last; w++) words[w]! ^= rotated;
      i = lead + 4 * (last - first);
    }
    for (; i < length; i++) b[start + i]! ^= b[m + (i & 3)]!;
  }

  #wordsOver(b: Buffer): Int32Array {
    if (this.#wordsOf !== b || this.#words === undefined) {
      this.#words = new Int32Array(b.buffer, 0, b.buffer.byteLength >> 2);
      this.#wordsOf = b;
    }
    return this.#words;
  }
}
