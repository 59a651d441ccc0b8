/**
 * The one FastRTC message that arrives 50 times a second per session, `{"event":"media","media":{"payload":"…"}}`,
 * read without building a JSON tree (docs/architecture.md, "Allocation-free steady state"; the one
 * short-lived string it makes, the base64 text for Node's native decoder, is no typed array). Only that exact byte shape is taken: the fixed prefix, base64 characters, the fixed suffix,
 * nothing else (no spaces, no other keys, no escapes). Everything else returns -1 and goes through
 * JSON.parse and the strict base64 check in message-fields.ts, so the fast path can only accept what
 * the strict path accepts, with the same bytes (test/fastrtc-serializer-fast-path.test.ts checks it on
 * generated messages).
 *
 * The strict path's base64 rule, restated for bytes: the text is a multiple of 4 characters from
 * A–Z a–z 0–9 + /, with at most two '=' that end it (`xx==` or `xxx=`). Decoding is Node's on both
 * paths: unused low bits of the last character are ignored.
 */
const PREFIX = Buffer.from('{"event":"media","media":{"payload":"', 'latin1');
const SUFFIX = Buffer.from('"}}', 'latin1');
const PAD = 0x3d; // '='

/** Buffer's native halves of `toString('latin1', …)` and `write(…, 'base64')`, without their argument checks. */
type NativeBuffer = Buffer & { latin1Slice(start: number, end: number): string; base64Write(text: string, offset: number, length: number): number };

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
 *
 * Node's native decoder does the work (a JavaScript loop over the characters cost ~35k instructions a
 * 20 ms frame of 48 kHz μ-law, the native decoder a fraction: docs/media.md, "Per-frame cost"), on the
 * payload's bytes as a one-byte string. Strictness is checked as message-fields.ts `decodeBase64` does:
 * Node skips characters outside both base64 alphabets and stops at a '=', so any of them anywhere
 * yields fewer bytes than 3/4 of the length minus the final padding; the URL-safe '-' and '_' it
 * accepts are looked for separately.
 */
export function decodeMediaPayloadInto(data: Buffer, out: Buffer): number {
  const span = payloadSpan(data);
  if (span === undefined) return -1;
  const [start, end] = span;
  const length = end - start;
  if (length % 4 !== 0) return -1;
  const most = (length / 4) * 3;
  if (out.length < most) return OUT_TOO_SMALL;
  if (length === 0) return 0;
  const padding = data[end - 1] !== PAD ? 0 : data[end - 2] === PAD ? 2 : 1;
  const text = (data as NativeBuffer).latin1Slice(start, end);
  const n = (out as NativeBuffer).base64Write(text, 0, most);
  return n === most - padding && !text.includes('-') && !text.includes('_') ? n : -1;
}

/** Bytes the payload of an exact-shape message can decode to at most (3/4 of the message), for sizing `out`. */
export function maxPayloadBytes(messageLength: number): number {
  return Math.max(0, Math.floor(((messageLength - PREFIX.length - SUFFIX.length) / 4) * 3));
}
