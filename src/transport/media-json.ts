import { LentBuffer } from './lent-buffer.js';
import { encodeBase64 } from './message-fields.js';

/**
 * Outbound JSON media messages built from fixed parts (docs/media.md, "Output path"): the text before
 * the payload, the base64 payload, and the text after it. Base64's alphabet (A–Z a–z 0–9 + / =) needs
 * no JSON escaping, so the result is byte for byte what `JSON.stringify` makes of the same object (the
 * serializer tests compare both on every carrier), at about a tenth of its cost on a 480-byte payload:
 * `JSON.stringify` scans the 640-character string for characters to escape and builds the object first.
 * The text goes to `ws` as a string, which it writes to the socket without another copy.
 */
export class MediaJson {
  readonly before: string;
  readonly after: string;

  /** `before`: the message up to the payload's opening quote; `after`: from its closing quote on. */
  constructor(before: string, after: string) {
    this.before = before;
    this.after = after;
  }

  /** The message for `payload` (read during the call only). */
  text(payload: Uint8Array): string {
    return this.before + encodeBase64(payload) + this.after;
  }
}

/**
 * The same messages as bytes, for the socket (docs/architecture.md, "Who owns which bytes"): the fixed
 * parts and the base64 payload written into one reused Buffer, so a frame makes one short-lived string,
 * the base64 from Node's native encoder (the text path makes three: the base64, the joined message, and
 * its flattened copy that `ws` measures and the socket encodes to UTF-8). The Buffer is lent: valid until the next `write`, unless `kept()` says
 * the transport still holds it (its socket has not written it yet), and the next message then gets a
 * fresh Buffer.
 */
export class MediaJsonBytes {
  readonly #before: Buffer;
  readonly #after: Buffer;
  readonly #out = new LentBuffer();

  constructor(json: MediaJson) {
    this.#before = Buffer.from(json.before, 'utf8');
    this.#after = Buffer.from(json.after, 'utf8');
  }

  write(payload: Uint8Array): Buffer {
    const length = this.#before.length + base64Length(payload.length) + this.#after.length;
    const buffer = this.#out.space(length);
    this.#before.copy(buffer, 0);
    const at = encodeBase64Into(payload, buffer, this.#before.length);
    this.#after.copy(buffer, at);
    return this.#out.view(length);
  }

  /** The transport still holds the last Buffer `write` returned: it is not written over. */
  kept(): void {
    this.#out.kept();
  }
}

/** Characters of the padded base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

/** Buffer's native base64 encoder and latin1 writer (what `toString('base64')` and `write(…, 'latin1')` call), taken for any Uint8Array. */
const nativeBase64Slice = (Buffer.prototype as unknown as { base64Slice(this: Uint8Array, start: number, end: number): string }).base64Slice;
const nativeLatin1Write = (Buffer.prototype as unknown as { latin1Write(this: Uint8Array, text: string, offset: number, length: number): number }).latin1Write;

/**
 * Writes the padded base64 of `src` (RFC 4648 §4, what Buffer's 'base64' makes) into `out` at `at`;
 * returns the end. Node's native encoder makes the text (one short-lived one-byte string) and a native
 * latin1 write copies it in: on a 480-byte payload ~1/10 of the instructions of a JavaScript loop
 * writing the characters one by one (docs/media.md, "Per-frame cost").
 */
export function encodeBase64Into(src: Uint8Array, out: Uint8Array, at: number): number {
  const text = nativeBase64Slice.call(src, 0, src.length);
  return at + nativeLatin1Write.call(out, text, at, text.length);
}

/** `{"event":"media","media":{"payload":B64}}`: FastRTC's and Telnyx's outbound media. */
export const PLAIN_MEDIA_JSON = new MediaJson('{"event":"media","media":{"payload":"', '"}}');

/** JSON text of a string or number field value, as JSON.stringify writes it inside an object. */
export function jsonValue(value: string | number): string {
  return JSON.stringify(value);
}
