/**
 * The one FastRTC message that arrives 50 times a second per session, `{"event":"media","media":{"payload":"…"}}`,
 * read without building a JSON tree or a base64 string (docs/architecture.md, "Allocation-free steady
 * state"). Only that exact byte shape is taken: the fixed prefix, base64 characters, the fixed suffix,
 * nothing else (no spaces, no other keys, no escapes). Everything else returns -1 and goes through
 * JSON.parse and the strict base64 check in message-fields.ts, so the fast path can only accept what
 * the strict path accepts, with the same bytes (test/fastrtc-serializer-fast-path.test.ts checks it on
 * generated messages).
 *
 * The strict path's base64 rule, restated for bytes: the text is a multiple of 4 characters from
 * A–Z a–z 0–9 + /, with at most two '=' that end it (`xx==` or `xxx=`). Decoding is Node's: unused low
 * bits of the last character are ignored.
 */
const PREFIX = Buffer.from('{"event":"media","media":{"payload":"', 'latin1');
const SUFFIX = Buffer.from('"}}', 'latin1');
const PAD = 0x3d; // '='

/** Base64 value of each byte, or -1. */
const VALUE = (() => {
  const table = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
})();

/** Base64 text bytes [start, end) of `data` when it is the exact media shape, else undefined. */
function payloadSpan(data: Uint8Array): [number, number] | undefined {
  const n = data.length;
  if (n < PREFIX.length + SUFFIX.length) return undefined;
  for (let i = 0; i < PREFIX.length; i++) if (data[i] !== PREFIX[i]) return undefined;
  for (let i = 0; i < SUFFIX.length; i++) if (data[n - SUFFIX.length + i] !== SUFFIX[i]) return undefined;
  return [PREFIX.length, n - SUFFIX.length];
}

/** `decodeMediaPayloadInto` result: `out` is too small; grow it to `maxPayloadBytes(data.length)` and retry. */
export const OUT_TOO_SMALL = -2;

/**
 * Decodes the payload of an exact-shape media message into `out`; returns the byte count, -1 when the
 * message is not of that shape or its base64 is not strict (the caller then takes the strict path,
 * which reports the error), or OUT_TOO_SMALL.
 */
export function decodeMediaPayloadInto(data: Uint8Array, out: Uint8Array): number {
  const span = payloadSpan(data);
  if (span === undefined) return -1;
  const [start, end] = span;
  const length = end - start;
  if (length % 4 !== 0) return -1;
  if (out.length < (length / 4) * 3) return OUT_TOO_SMALL;
  if (length === 0) return 0;
  // Every group but the last: no '=' allowed, so no branch per group; a bad character anywhere makes
  // `bad` negative (VALUE is -1 for it) and the whole message goes to the strict path.
  let w = 0;
  let bad = 0;
  const last = end - 4;
  for (let r = start; r < last; r += 4) {
    const a = VALUE[data[r]!]!;
    const b = VALUE[data[r + 1]!]!;
    const c = VALUE[data[r + 2]!]!;
    const d = VALUE[data[r + 3]!]!;
    bad |= a | b | c | d;
    out[w] = (a << 2) | (b >> 4);
    out[w + 1] = ((b & 0x0f) << 4) | (c >> 2);
    out[w + 2] = ((c & 0x03) << 6) | d;
    w += 3;
  }
  if (bad < 0) return -1;
  // The last group, which may end in padding: `xx==` or `xxx=`.
  const a = VALUE[data[last]!]!;
  const b = VALUE[data[last + 1]!]!;
  const c3 = data[last + 2]!;
  const d3 = data[last + 3]!;
  const c = VALUE[c3]!;
  const d = VALUE[d3]!;
  if ((a | b) < 0) return -1;
  out[w++] = (a << 2) | (b >> 4);
  if ((c | d) >= 0) {
    out[w++] = ((b & 0x0f) << 4) | (c >> 2);
    out[w++] = ((c & 0x03) << 6) | d;
    return w;
  }
  if (c >= 0 && d3 === PAD) {
    out[w++] = ((b & 0x0f) << 4) | (c >> 2);
    return w;
  }
  return c3 === PAD && d3 === PAD ? w : -1;
}

/** Bytes the payload of an exact-shape message can decode to at most (3/4 of the message), for sizing `out`. */
export function maxPayloadBytes(messageLength: number): number {
  return Math.max(0, Math.floor(((messageLength - PREFIX.length - SUFFIX.length) / 4) * 3));
}
