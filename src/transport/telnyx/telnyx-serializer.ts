import type { MediaFormat } from '../../codecs/media-format.js';
import { WavegateError } from '../../errors/wavegate-error.js';
import { objectField, parseJsonObject, sessionIdField, stringField, type JsonObject } from '../message-fields.js';
import { inboundMediaEvent } from '../telephone/inbound-media.js';
import { swapL16ByteOrder } from '../telephone/l16-byte-order.js';
import { dtmfDigitField, optionalStringField, show, stringRecordField } from '../telephone/phone-fields.js';
import { refusalMessage } from '../telephone/refusal.js';
import { PLAIN_MEDIA_JSON } from '../media-json.js';
import type { InboundEvent, OutboundMessage, Serializer } from '../wire-events.js';

/**
 * Telnyx Media Streaming over WebSocket (Call Control `stream_url`, TeXML `<Stream>`), one instance
 * per connection.
 *
 * In: `connected` (no action), `start` (top-level `stream_id`; `start.call_control_id`,
 * `start.media_format` {encoding, sample_rate, channels}, `start.custom_parameters`), `media`
 * (`sequence_number`, media.track/chunk/timestamp/payload: base64 RTP payload without header;
 * `outbound` track frames are ignored), `dtmf`, `mark` (one of ours has been played), `stop`, `error`
 * (Telnyx refusing one of our frames: no action here, the call goes on).
 * Out (bidirectional `rtp` mode): `media` {media.payload}, `mark` {mark.name}, `clear`.
 *
 * Formats: PCMU and PCMA as G.711; L16 is RTP's big-endian L16, swapped to and from wavegate's
 * little-endian `audio/x-l16` here. Telnyx's start does not say which codec it expects back, so output
 * uses the input format: set `stream_bidirectional_codec` / `_sampling_rate` to match `stream_codec`.
 */
export class TelnyxSerializer implements Serializer {
  readonly name = 'telnyx';
  #bigEndianL16 = false;

  parse(data: Buffer, isBinary: boolean): InboundEvent {
    if (isBinary) throw new WavegateError('WG_ERR_BINARY_NOT_ALLOWED', 'Telnyx media streaming sends text frames only');
    const message = parseJsonObject(data);
    switch (message.event) {
      case 'connected':
      case 'error':
        return { type: 'noop' };
      case 'start':
        return this.#parseStart(message);
      case 'media':
        return inboundMediaEvent(message, 'sequence_number', this.#bigEndianL16 ? swapL16ByteOrder : undefined);
      case 'dtmf':
        return { type: 'dtmf', digit: dtmfDigitField(objectField(message, 'dtmf')) };
      case 'mark':
        return { type: 'played_mark', name: stringField(objectField(message, 'mark'), 'name') };
      case 'stop':
        return { type: 'stop' };
      default:
        throw new WavegateError('WG_ERR_UNKNOWN_EVENT', show(message.event ?? null));
    }
  }

  serialize(message: OutboundMessage): string | undefined {
    switch (message.type) {
      case 'media': {
        const payload = this.#bigEndianL16 ? swapL16ByteOrder(message.payload) : message.payload;
        return PLAIN_MEDIA_JSON.text(payload);
      }
      case 'mark':
        return JSON.stringify({ event: 'mark', mark: { name: message.name } });
      case 'clear':
        return '{"event":"clear"}';
      case 'refused':
        return refusalMessage(message.limit);
      default:
        return undefined;
    }
  }

  #parseStart(message: JsonObject): InboundEvent {
    const start = objectField(message, 'start');
    const streamId = sessionIdField(message, 'stream_id');
    const format = telnyxMediaFormat(start.media_format === undefined ? undefined : objectField(start, 'media_format'));
    this.#bigEndianL16 = format.encoding === 'audio/x-l16';
    return {
      type: 'start',
      sessionId: streamId,
      inputFormat: format,
      outputFormat: format,
      phone: {
        carrier: 'telnyx',
        callId: optionalStringField(start, 'call_control_id'),
        streamId,
        customParameters: stringRecordField(start, 'custom_parameters'),
      },
    };
  }
}

const TELNYX_ENCODINGS: Readonly<Record<string, MediaFormat['encoding']>> = {
  PCMU: 'audio/x-mulaw',
  'AUDIO/X-MULAW': 'audio/x-mulaw',
  PCMA: 'audio/x-alaw',
  'AUDIO/X-ALAW': 'audio/x-alaw',
  L16: 'audio/x-l16',
};

/** `media_format` {encoding, sample_rate, channels}; absent = PCMU 8 kHz (Telnyx's default codec). */
export function telnyxMediaFormat(format: JsonObject | undefined): MediaFormat {
  if (format === undefined) return { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };
  const name = stringField(format, 'encoding');
  const encoding = TELNYX_ENCODINGS[name.toUpperCase()];
  if (encoding === undefined) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `media_format.encoding ${show(name)} (wavegate takes PCMU, PCMA or L16 from Telnyx)`);
  }
  const sampleRate = format.sample_rate === undefined ? 8000 : Number(format.sample_rate);
  if (!Number.isInteger(sampleRate) || sampleRate <= 0 || (encoding !== 'audio/x-l16' && sampleRate !== 8000)) {
    throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `media_format.sample_rate ${show(format.sample_rate)} for ${name}`);
  }
  const channels = format.channels === undefined ? 1 : Number(format.channels);
  if (channels !== 1) throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `media_format.channels ${show(format.channels)} (mono only)`);
  return { encoding, sampleRate, channels: 1 };
}
