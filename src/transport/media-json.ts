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

/** `{"event":"media","media":{"payload":B64}}`: FastRTC's and Telnyx's outbound media. */
export const PLAIN_MEDIA_JSON = new MediaJson('{"event":"media","media":{"payload":"', '"}}');

/** JSON text of a string or number field value, as JSON.stringify writes it inside an object. */
export function jsonValue(value: string | number): string {
  return JSON.stringify(value);
}
