import type { MediaFormat } from '../../codecs/media-format.js';
import { WavegateError } from '../../errors/wavegate-error.js';
import { objectField, parseJsonObject, sessionIdField, stringField, type JsonObject } from '../message-fields.js';
import { inboundMediaEvent } from '../telephone/inbound-media.js';
import { dtmfDigitField, optionalStringField, show } from '../telephone/phone-fields.js';
import { refusalMessage } from '../telephone/refusal.js';
import { jsonValue, MediaJson } from '../media-json.js';
import type { InboundEvent, OutboundMessage, Serializer } from '../wire-events.js';

/**
 * Plivo Audio Streaming (`<Stream bidirectional="true">`), one instance per connection.
 *
 * In: `start` (start.callId, start.streamId, start.mediaFormat {encoding, sampleRate}, top-level
 * `extra_headers` "k=v;k2=v2"), `media` (sequenceNumber, media.track/chunk/timestamp/payload),
 * `dtmf` (dtmf.digit), `playedStream` (a checkpoint of ours has been played; older pages call it
 * `played`), `clearedAudio` (no action), `stop` (when sent; Plivo mostly just closes the socket).
 * Out: `playAudio` {media: {contentType, sampleRate, payload}}, `checkpoint` {streamId, name}
 * (our marks), `clearAudio` {streamId}.
 *
 * Formats: `audio/x-mulaw` at 8000 Hz and `audio/x-l16` at 8000 or 16000 Hz (Plivo's list), both
 * directions alike, so set the Stream's `contentType` to what the handler should get.
 */
export class PlivoSerializer implements Serializer {
  readonly name = 'plivo';
  #streamId: string | undefined;
  #format: MediaFormat | undefined;
  #media: { format: MediaFormat; json: MediaJson } | undefined;

  parse(data: Buffer, isBinary: boolean): InboundEvent {
    if (isBinary) throw new WavegateError('WG_ERR_BINARY_NOT_ALLOWED', 'Plivo audio streaming sends text frames only');
    const message = parseJsonObject(data);
    switch (message.event) {
      case 'start':
        return this.#parseStart(message);
      case 'media':
        return inboundMediaEvent(message, 'sequenceNumber');
      case 'dtmf':
        return { type: 'dtmf', digit: dtmfDigitField(objectField(message, 'dtmf')) };
      case 'playedStream':
      case 'played':
        return { type: 'played_mark', name: stringField(message, 'name') };
      case 'clearedAudio':
        return { type: 'noop' };
      case 'stop':
        return { type: 'stop' };
      default:
        throw new WavegateError('WG_ERR_UNKNOWN_EVENT', show(message.event ?? null));
    }
  }

  serialize(message: OutboundMessage): string | undefined {
    const streamId = this.#streamId;
    const format = this.#format;
    switch (message.type) {
      case 'media':
        if (format === undefined) return undefined;
        return this.#mediaJson(format).text(message.payload);
      case 'mark':
        return streamId === undefined ? undefined : JSON.stringify({ event: 'checkpoint', streamId, name: message.name });
      case 'clear':
        return streamId === undefined ? undefined : JSON.stringify({ event: 'clearAudio', streamId });
      case 'refused':
        return refusalMessage(message.limit);
      default:
        return undefined;
    }
  }

  /** `{"event":"playAudio","media":{"contentType":…,"sampleRate":…,"payload":B64}}` from fixed parts. */
  #mediaJson(format: MediaFormat): MediaJson {
    if (this.#media?.format !== format) {
      const before = `{"event":"playAudio","media":{"contentType":${jsonValue(format.encoding)},"sampleRate":${jsonValue(format.sampleRate)},"payload":"`;
      this.#media = { format, json: new MediaJson(before, '"}}') };
    }
    return this.#media.json;
  }

  #parseStart(message: JsonObject): InboundEvent {
    const start = objectField(message, 'start');
    const streamId = sessionIdField(start, 'streamId');
    const format = plivoMediaFormat(start.mediaFormat === undefined ? undefined : objectField(start, 'mediaFormat'));
    this.#streamId = streamId;
    this.#format = format;
    return {
      type: 'start',
      sessionId: streamId,
      inputFormat: format,
      outputFormat: format,
      phone: {
        carrier: 'plivo',
        callId: optionalStringField(start, 'callId'),
        streamId,
        customParameters: parseExtraHeaders(optionalStringField(message, 'extra_headers')),
      },
    };
  }
}

/** `mediaFormat` {encoding, sampleRate}; absent = μ-law 8 kHz. Only Plivo's documented pairs pass. */
export function plivoMediaFormat(format: JsonObject | undefined): MediaFormat {
  if (format === undefined) return { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };
  const encoding = stringField(format, 'encoding');
  const sampleRate = Number(format.sampleRate ?? 8000);
  if (encoding === 'audio/x-mulaw' && sampleRate === 8000) return { encoding, sampleRate, channels: 1 };
  if (encoding === 'audio/x-l16' && (sampleRate === 8000 || sampleRate === 16000)) return { encoding, sampleRate, channels: 1 };
  throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `mediaFormat ${show(encoding)} at ${show(format.sampleRate)} Hz (Plivo streams audio/x-mulaw at 8000, audio/x-l16 at 8000 or 16000)`);
}

const MAX_HEADERS = 64;

/** Plivo's `extraHeaders` ("userId=12345;sessionId=abc", or comma-separated): key/value pairs. */
export function parseExtraHeaders(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (text === undefined || text.trim() === '') return out;
  const pairs = text.split(/[;,]/).filter((part) => part.trim() !== '');
  if (pairs.length > MAX_HEADERS) throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`extra_headers\` has ${pairs.length} entries (at most ${MAX_HEADERS})`);
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    if (key === '') throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`extra_headers\` entry ${show(pair)} has no name`);
    out[key] = eq < 0 ? '' : pair.slice(eq + 1).trim();
  }
  return out;
}
