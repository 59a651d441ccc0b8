import { isEncoding, type MediaFormat } from '../codecs/media-format.js';
import { WavegateError } from '../errors/wavegate-error.js';

/** Shared field checks for serializers: every failure names the field and the offending value. */

export type JsonObject = Record<string, unknown>;

export function parseJsonObject(data: Buffer): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    throw new WavegateError('WG_ERR_MALFORMED_JSON', `${truncate(data.toString('utf8'))}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', 'expected a JSON object');
  }
  return value as JsonObject;
}

export function objectField(obj: JsonObject, name: string): JsonObject {
  const value = obj[name];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}\` must be an object, got ${describe(value)}`);
  }
  return value as JsonObject;
}

export function stringField(obj: JsonObject, name: string): string {
  const value = obj[name];
  if (typeof value !== 'string') throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}\` must be a string, got ${describe(value)}`);
  return value;
}

/** A number, or a string holding an integer (Twilio sends sequence numbers and timestamps as strings). */
export function optionalNumberField(obj: JsonObject, name: string): number | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}\` must be a number, got ${describe(value)}`);
  }
  return n;
}

/**
 * Strict base64 (Node's decoder silently skips junk; a client bug must not become noise): exactly the
 * strings of /^[A-Za-z0-9+/]*={0,2}$/ with a length that is a multiple of 4. Checked after decoding,
 * not with that regex, which cost ~10× the decode itself on every media message: Node's decoder skips
 * characters outside both base64 alphabets and stops at a '=', so any such character yields fewer
 * bytes than 3/4 of the length minus the padding; the URL-safe '-' and '_' it accepts are refused.
 */
export function decodeBase64(text: string): Buffer {
  if (text.length % 4 === 0) {
    const bytes = Buffer.from(text, 'base64');
    const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
    if (bytes.length === (text.length / 4) * 3 - padding && !text.includes('-') && !text.includes('_')) return bytes;
  }
  throw new WavegateError('WG_ERR_BAD_BASE64', `${text.length} characters starting ${JSON.stringify(text.slice(0, 12))}`);
}

export function encodeBase64(payload: Uint8Array): string {
  return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Session ids double as file names (recordings), so they are held to a strict pattern. */
export function sessionIdField(obj: JsonObject, name: string): string {
  const value = obj[name];
  if (typeof value !== 'string' || !ID_PATTERN.test(value) || value.includes('..')) {
    throw new WavegateError('WG_ERR_INVALID_ID', `\`${name}\` must match ${ID_PATTERN} without "..", got ${describe(value)}`);
  }
  return value;
}

export function isValidSessionId(value: string): boolean {
  return ID_PATTERN.test(value) && !value.includes('..');
}

/** `{"encoding","sampleRate","channels"}`; deeper checks (rates a codec supports) happen when the codec is made. */
export function optionalMediaFormatField(obj: JsonObject, name: string): MediaFormat | undefined {
  if (obj[name] === undefined) return undefined;
  const format = objectField(obj, name);
  const { encoding, sampleRate } = format;
  const channels = format.channels ?? 1;
  if (!isEncoding(encoding)) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `${name}.encoding ${describe(encoding)}`);
  if (typeof sampleRate !== 'number' || !Number.isInteger(sampleRate) || sampleRate <= 0) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `${name}.sampleRate ${describe(sampleRate)}`);
  }
  if (channels !== 1) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `${name}.channels ${describe(channels)} (mono only)`);
  return { encoding, sampleRate, channels };
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : truncate(JSON.stringify(value) ?? String(value));
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
