import { WavegateError } from '../../errors/wavegate-error.js';
import type { JsonObject } from '../message-fields.js';

/**
 * Field checks shared by the carrier serializers (Twilio, Telnyx, Plivo). Like message-fields.ts,
 * every failure is a WavegateError naming the field and the offending value.
 */

const DTMF_DIGIT = /^[0-9*#A-Da-d]$/;

/** A DTMF key: 0–9, *, #, A–D (upper-cased). */
export function dtmfDigitField(dtmf: JsonObject): string {
  const digit = dtmf.digit;
  if (typeof digit !== 'string' || !DTMF_DIGIT.test(digit)) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`dtmf.digit\` must be one of 0-9 * # A-D, got ${show(digit)}`);
  }
  return digit.toUpperCase();
}

/**
 * The per-media-message counter for the jitter buffer: `media.chunk` (counts media messages only),
 * else the message's own sequence number. Carriers' message sequence numbers also count dtmf/mark
 * messages, so a keypress would look like a lost packet; `chunk` does not have that problem.
 */
export function mediaSequence(message: JsonObject, media: JsonObject, sequenceKey: string): number | undefined {
  return integerOrUndefined(media, 'chunk', 'media.chunk') ?? integerOrUndefined(message, sequenceKey, sequenceKey);
}

/** `media.timestamp` in ms (a decimal string or a number), or undefined. */
export function mediaTimestamp(media: JsonObject): number | undefined {
  return integerOrUndefined(media, 'timestamp', 'media.timestamp');
}

/** True for frames of the call's other direction (`track: "outbound"` / `"outbound_track"`), which only echo our own audio. */
export function isOutboundTrack(media: JsonObject): boolean {
  const track = media.track;
  if (track === undefined) return false;
  if (typeof track !== 'string') throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`media.track\` must be a string, got ${show(track)}`);
  return track.startsWith('outbound');
}

const MAX_PARAMETERS = 64;
const MAX_PARAMETER_LENGTH = 1024;

/** An object of string values (Twilio `customParameters`, Telnyx `custom_parameters`); absent = {}. */
export function stringRecordField(obj: JsonObject, name: string): Record<string, string> {
  const value = obj[name];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}\` must be an object of strings, got ${show(value)}`);
  }
  const entries = Object.entries(value as JsonObject);
  if (entries.length > MAX_PARAMETERS) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}\` has ${entries.length} entries (at most ${MAX_PARAMETERS})`);
  }
  const out: Record<string, string> = {};
  for (const [key, raw] of entries) {
    // Numbers and booleans are kept as text: the handler reads every parameter as a string.
    const text = typeof raw === 'string' ? raw : typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : undefined;
    if (text === undefined || text.length > MAX_PARAMETER_LENGTH || key.length > MAX_PARAMETER_LENGTH) {
      throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}.${key.slice(0, 40)}\` must be a string of at most ${MAX_PARAMETER_LENGTH} characters, got ${show(raw)}`);
    }
    out[key] = text;
  }
  return out;
}

/** An optional string field; undefined when absent. */
export function optionalStringField(obj: JsonObject, name: string): string | undefined {
  const value = obj[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${name}\` must be a string, got ${show(value)}`);
  return value;
}

function integerOrUndefined(obj: JsonObject, key: string, label: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`${label}\` must be a non-negative integer, got ${show(value)}`);
  }
  return n;
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
