import { decodeBase64, objectField, stringField, type JsonObject } from '../message-fields.js';
import type { InboundEvent } from '../wire-events.js';
import { isOutboundTrack, mediaSequence, mediaTimestamp } from './phone-fields.js';

/**
 * A carrier's `media` message (Twilio, Telnyx, Plivo) as an inbound event. `media.payload` is decoded
 * (and so checked) on every track; frames of the outbound track only echo our own audio and become a
 * `noop`. `sequenceKey` names the carrier's top-level sequence number (see `mediaSequence`); `convert`,
 * when given, turns the carrier's payload into wavegate's (Telnyx's big-endian L16).
 */
export function inboundMediaEvent(message: JsonObject, sequenceKey: string, convert?: (payload: Uint8Array) => Uint8Array): InboundEvent {
  const media = objectField(message, 'media');
  const raw = decodeBase64(stringField(media, 'payload'));
  if (isOutboundTrack(media)) return { type: 'noop' };
  const payload = convert === undefined ? raw : convert(raw);
  return { type: 'media', payload, seq: mediaSequence(message, media, sequenceKey), timestamp: mediaTimestamp(media) };
}
