import type { MediaFormat } from '../../codecs/media-format.js';
import { WavegateError } from '../../errors/wavegate-error.js';
import { objectField, optionalMediaFormatField, parseJsonObject, sessionIdField, stringField, type JsonObject } from '../message-fields.js';
import { inboundMediaEvent } from '../telephone/inbound-media.js';
import { dtmfDigitField, optionalStringField, show, stringRecordField } from '../telephone/phone-fields.js';
import { refusalMessage } from '../telephone/refusal.js';
import { jsonValue, MediaJson } from '../media-json.js';
import type { InboundEvent, OutboundMessage, Serializer } from '../wire-events.js';

/** Twilio Media Streams carry μ-law at 8 kHz, mono, both ways (docs/telephony.md). */
export const TWILIO_FORMAT: MediaFormat = { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 };

/**
 * Twilio Media Streams (bidirectional, `<Connect><Stream>`), one instance per connection.
 *
 * In: `connected` (no action), `start` (streamSid, callSid, mediaFormat, customParameters),
 * `media` (sequenceNumber, media.chunk/timestamp/payload; `outbound` track frames are our own audio and
 * are ignored), `dtmf`, `mark` (Twilio's echo of one of our marks: it has been played), `stop`.
 * Out: `media`, `mark`, `clear`, each with the streamSid; nothing else has a Twilio message, except the
 * admission refusal, sent in FastRTC's shape before the socket closes.
 */
export class TwilioSerializer implements Serializer {
  readonly name = 'twilio';
  #streamSid: string | undefined;
  #media: MediaJson | undefined;

  get streamSid(): string | undefined {
    return this.#streamSid;
  }

  parse(data: Buffer, isBinary: boolean): InboundEvent {
    if (isBinary) throw new WavegateError('WG_ERR_BINARY_NOT_ALLOWED', 'Twilio Media Streams send text frames only');
    const message = parseJsonObject(data);
    switch (message.event) {
      case 'connected':
        return { type: 'noop' };
      case 'start':
        return this.#parseStart(message);
      case 'media':
        this.#checkStreamSid(message);
        return inboundMediaEvent(message, 'sequenceNumber');
      case 'dtmf':
        this.#checkStreamSid(message);
        return { type: 'dtmf', digit: dtmfDigitField(objectField(message, 'dtmf')) };
      case 'mark':
        this.#checkStreamSid(message);
        return { type: 'played_mark', name: stringField(objectField(message, 'mark'), 'name') };
      case 'stop':
        this.#checkStreamSid(message);
        return { type: 'stop' };
      default:
        throw new WavegateError('WG_ERR_UNKNOWN_EVENT', show(message.event ?? null));
    }
  }

  serialize(message: OutboundMessage): string | undefined {
    const streamSid = this.#streamSid;
    switch (message.type) {
      case 'media':
        return streamSid === undefined ? undefined : this.#mediaJson(streamSid).text(message.payload);
      case 'mark':
        return streamSid === undefined ? undefined : JSON.stringify({ event: 'mark', streamSid, mark: { name: message.name } });
      case 'clear':
        return streamSid === undefined ? undefined : JSON.stringify({ event: 'clear', streamSid });
      case 'refused':
        return refusalMessage(message.limit);
      default:
        return undefined;
    }
  }

  /** `{"event":"media","streamSid":SID,"media":{"payload":B64}}` from fixed parts, made once per stream. */
  #mediaJson(streamSid: string): MediaJson {
    if (this.#media === undefined || this.#mediaSid !== streamSid) {
      this.#media = new MediaJson(`{"event":"media","streamSid":${jsonValue(streamSid)},"media":{"payload":"`, '"}}');
      this.#mediaSid = streamSid;
    }
    return this.#media;
  }

  #mediaSid: string | undefined;

  #parseStart(message: JsonObject): InboundEvent {
    const start = objectField(message, 'start');
    const streamSid = sessionIdField(start, 'streamSid');
    const outer = optionalStringField(message, 'streamSid');
    if (outer !== undefined && outer !== streamSid) {
      throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`streamSid\` ${show(outer)} differs from \`start.streamSid\` ${show(streamSid)}`);
    }
    const inputFormat = optionalMediaFormatField(start, 'mediaFormat') ?? TWILIO_FORMAT;
    this.#streamSid = streamSid;
    return {
      type: 'start',
      sessionId: streamSid,
      inputFormat,
      // Twilio plays back μ-law 8 kHz only, whatever it sends.
      outputFormat: TWILIO_FORMAT,
      phone: {
        carrier: 'twilio',
        callId: optionalStringField(start, 'callSid'),
        streamId: streamSid,
        customParameters: stringRecordField(start, 'customParameters'),
      },
    };
  }

  /** Messages of another stream on this connection are a protocol error, not audio to mix in. */
  #checkStreamSid(message: JsonObject): void {
    const sid = optionalStringField(message, 'streamSid');
    if (sid !== undefined && this.#streamSid !== undefined && sid !== this.#streamSid) {
      throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `\`streamSid\` ${show(sid)} is not this connection's stream ${show(this.#streamSid)}`);
    }
  }
}
