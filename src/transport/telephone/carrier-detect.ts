import { WavegateError } from '../../errors/wavegate-error.js';
import { parseJsonObject, type JsonObject } from '../message-fields.js';
import { PlivoSerializer } from '../plivo/plivo-serializer.js';
import { TelnyxSerializer } from '../telnyx/telnyx-serializer.js';
import { TwilioSerializer } from '../twilio/twilio-serializer.js';
import type { InboundEvent, OutboundMessage, Serializer } from '../wire-events.js';
import { show } from './phone-fields.js';
import { refusalMessage } from './refusal.js';

export const CARRIERS = ['twilio', 'telnyx', 'plivo'] as const;
export type Carrier = (typeof CARRIERS)[number];

export function createCarrierSerializer(carrier: Carrier): Serializer {
  switch (carrier) {
    case 'twilio':
      return new TwilioSerializer();
    case 'telnyx':
      return new TelnyxSerializer();
    case 'plivo':
      return new PlivoSerializer();
  }
}

/**
 * Which carrier sent this `start`, from the fields only that carrier uses: Twilio `start.streamSid`,
 * Telnyx top-level `stream_id`, Plivo `start.streamId`. Undefined when none matches.
 */
export function detectCarrier(message: JsonObject): Carrier | undefined {
  if (message.event !== 'start') return undefined;
  const start = message.start;
  const inner = typeof start === 'object' && start !== null && !Array.isArray(start) ? (start as JsonObject) : {};
  if (typeof inner.streamSid === 'string') return 'twilio';
  if (typeof message.stream_id === 'string') return 'telnyx';
  if (typeof inner.streamId === 'string') return 'plivo';
  return undefined;
}

/**
 * A serializer for one route shared by every carrier: messages before `start` (Twilio's and Telnyx's
 * `connected`) need no action; the `start` names the carrier, and from then on that carrier's
 * serializer does everything. Media or marks before `start` are WG_ERR_MEDIA_BEFORE_START.
 */
export class CarrierDetectingSerializer implements Serializer {
  #inner: Serializer | undefined;

  get name(): string {
    return this.#inner?.name ?? 'telephone';
  }

  get carrier(): Carrier | undefined {
    return this.#inner?.name as Carrier | undefined;
  }

  parse(data: Buffer, isBinary: boolean): InboundEvent {
    if (this.#inner !== undefined) return this.#inner.parse(data, isBinary);
    if (isBinary) throw new WavegateError('WG_ERR_MEDIA_BEFORE_START', 'binary frame before start');
    const message = parseJsonObject(data);
    switch (message.event) {
      case 'connected':
        return { type: 'noop' };
      case 'start': {
        const carrier = detectCarrier(message);
        if (carrier === undefined) {
          throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', 'start names no stream: expected Twilio `start.streamSid`, Telnyx `stream_id` or Plivo `start.streamId`');
        }
        const inner = createCarrierSerializer(carrier);
        const event = inner.parse(data, isBinary);
        this.#inner = inner;
        return event;
      }
      case 'stop':
        return { type: 'stop' };
      case 'media':
      case 'dtmf':
      case 'mark':
        throw new WavegateError('WG_ERR_MEDIA_BEFORE_START', `${message.event} before start`);
      default:
        throw new WavegateError('WG_ERR_UNKNOWN_EVENT', show(message.event ?? null));
    }
  }

  serialize(message: OutboundMessage): string | Buffer | undefined {
    if (this.#inner !== undefined) return this.#inner.serialize(message);
    return message.type === 'refused' ? refusalMessage(message.limit) : undefined;
  }
}
