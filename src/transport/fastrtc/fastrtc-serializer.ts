import { parseClientOpusSettings, type OpusSettings } from '../../codecs/opus-settings.js';
import { WavegateError } from '../../errors/wavegate-error.js';
import {
  decodeBase64,
  objectField,
  optionalMediaFormatField,
  optionalNumberField,
  parseJsonObject,
  sessionIdField,
  stringField,
  type JsonObject,
} from '../message-fields.js';
import { MediaJsonBytes, PLAIN_MEDIA_JSON } from '../media-json.js';
import type { InboundEvent, OutboundMessage, Serializer, WireBytes } from '../wire-events.js';
import { decodeMediaPayloadInto, maxPayloadBytes, OUT_TOO_SMALL } from './fastrtc-media-fast-path.js';

type MediaEvent = { type: 'media'; payload: Uint8Array; seq: number | undefined; timestamp: number | undefined };

/**
 * Where exact-shape media payloads are decoded: one Buffer for every serializer of the process, so the
 * bytes land in memory the previous message just used, still in cache, not in a buffer of this
 * session's that 100 others have pushed out since (docs/architecture.md, "Who owns which bytes": the
 * payload is lent for the duration of the parse's caller, and the input pipeline copies what it keeps).
 */
const shared = { scratch: Buffer.alloc(0) };

/** Media JSON for callers that copy it at once (serializeMedia's `copied`): one Buffer for the process. */
const SHARED_MEDIA_JSON = new MediaJsonBytes(PLAIN_MEDIA_JSON);

/**
 * FastRTC's WebSocket protocol (docs/protocol.md) with wavegate's extensions. Binary messages carry raw
 * L16/Opus payloads; output in L16/Opus goes out binary too, G.711 as base64 JSON like FastRTC.
 */
export class FastRtcSerializer implements Serializer {
  readonly name = 'fastrtc';
  /** Set from `start`: binary output for L16/Opus. */
  binaryOutput = false;

  /** This serializer's view of the shared scratch (fastrtc-media-fast-path.ts), and the events reused for media. */
  #view: Uint8Array = shared.scratch;
  #viewOf = shared.scratch;
  readonly #media: MediaEvent = { type: 'media', payload: shared.scratch, seq: undefined, timestamp: undefined };
  /** Outbound media as bytes (serializeMedia): JSON written into one reused Buffer, and the result object. */
  readonly #mediaJson = new MediaJsonBytes(PLAIN_MEDIA_JSON);
  readonly #wire: { bytes: Buffer; binary: boolean } = { bytes: Buffer.alloc(0), binary: false };
  /** The payload `#wire.bytes` views (binary output). */
  #wireOf: Uint8Array | undefined;

  /**
   * One inbound message. A media event (and its payload) is only valid until the next `parse` on any
   * FastRTC serializer: media messages reuse one event per serializer, and exact-shape ones decode into
   * one buffer shared by all of them. The session copies what it keeps (docs/architecture.md, "Who owns
   * which bytes").
   */
  parse(data: Buffer, isBinary: boolean): InboundEvent {
    // A new event for binary media: ws hands over a new Buffer per message, and storing that young
    // object into a long-lived event takes the write barrier's slow path (a remembered-set entry) every
    // message; perf showed it in onMessage when the event was reused.
    if (isBinary) return { type: 'media', payload: data, seq: undefined, timestamp: undefined };
    return this.#parseMediaFast(data) ?? this.parseJson(data);
  }

  #parseMediaFast(data: Buffer): InboundEvent | undefined {
    let n = decodeMediaPayloadInto(data, shared.scratch);
    if (n === OUT_TOO_SMALL) {
      shared.scratch = Buffer.alloc(Math.max(maxPayloadBytes(data.length), 2 * shared.scratch.length));
      n = decodeMediaPayloadInto(data, shared.scratch);
    }
    if (n < 0) return undefined;
    const scratch = shared.scratch;
    // The scratch Buffer itself is compared, not `.buffer` (a call into C++ per message).
    if (this.#viewOf !== scratch || this.#view.length !== n) {
      this.#view = scratch.subarray(0, n);
      this.#viewOf = scratch;
    }
    this.#media.payload = this.#view;
    return this.#media;
  }

  /** The strict path for every text message: JSON.parse and field checks (message-fields.ts). */
  parseJson(data: Buffer): InboundEvent {
    const message = parseJsonObject(data);
    const event = message.event;
    switch (event) {
      case 'media': {
        const media = objectField(message, 'media');
        return {
          type: 'media',
          payload: decodeBase64(stringField(media, 'payload')),
          seq: optionalNumberField(message, 'sequenceNumber'),
          timestamp: optionalNumberField(message, 'timestamp') ?? optionalNumberField(media, 'timestamp'),
        };
      }
      case 'start': {
        const outputFormat = optionalMediaFormatField(message, 'outputFormat');
        this.binaryOutput = outputFormat !== undefined && outputFormat.encoding !== 'audio/x-mulaw' && outputFormat.encoding !== 'audio/x-alaw';
        return {
          type: 'start',
          sessionId: sessionIdField(message, 'websocket_id'),
          inputFormat: optionalMediaFormatField(message, 'mediaFormat'),
          outputFormat,
          opus: outputOpusSettings(message),
          phone: undefined,
          handlerOptions: message.handlerOptions === undefined ? undefined : objectField(message, 'handlerOptions'),
          room: message.room === undefined ? undefined : stringField(message, 'room'),
        };
      }
      case 'stop':
        return { type: 'stop' };
      case 'ping':
        return { type: 'ping' };
      case 'room':
        return { type: 'room', message };
      case 'mark':
        return { type: 'client_mark', name: stringField(objectField(message, 'mark'), 'name') };
      default:
        throw new WavegateError('WG_ERR_UNKNOWN_EVENT', JSON.stringify(event ?? message.type ?? null));
    }
  }

  /**
   * The media message as bytes (wire-events.ts): binary output is a view of the payload itself (the
   * session gives the payload's buffer up when the socket keeps it), G.711 JSON is written into a
   * reused Buffer (media-json.ts): this serializer's, or with `copied` the one every FastRTC serializer
   * shares, still in cache from the previous session's message.
   */
  serializeMedia(payload: Uint8Array, copied = false): WireBytes {
    const wire = this.#wire;
    wire.binary = this.binaryOutput;
    if (this.binaryOutput) {
      // The same payload array as last time has the same view (compared by identity: `.buffer` is a call into C++).
      if (this.#wireOf !== payload) {
        wire.bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
        this.#wireOf = payload;
      }
    } else {
      wire.bytes = (copied ? SHARED_MEDIA_JSON : this.#mediaJson).write(payload);
      this.#wireOf = undefined;
    }
    return wire;
  }

  mediaKept(): void {
    if (!this.binaryOutput) this.#mediaJson.kept();
  }

  serialize(message: OutboundMessage): string | Buffer | undefined {
    switch (message.type) {
      case 'media':
        // A view, not a copy: the session gives up the payload's buffer if the socket keeps it (wire-events.ts).
        if (this.binaryOutput) return Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
        return PLAIN_MEDIA_JSON.text(message.payload);
      case 'clear':
        return '{"event":"clear"}';
      case 'mark':
        return JSON.stringify({ event: 'mark', mark: { name: message.name } });
      case 'pong':
        return '{"event":"pong"}';
      case 'end_stream':
        return '{"type":"end_stream"}';
      case 'error':
      case 'warning':
        return JSON.stringify({ type: message.type, code: message.code, message: message.message });
      case 'refused':
        return JSON.stringify({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: message.limit } });
      case 'output':
        return serializeOutput(message.output);
      case 'room':
        return JSON.stringify({ type: 'room', data: message.data });
    }
  }
}

/** `outputFormat.opus` (docs/protocol.md), checked; only for an Opus output format. */
function outputOpusSettings(message: JsonObject): Partial<OpusSettings> | undefined {
  const format = message.outputFormat as JsonObject | undefined;
  if (format?.opus === undefined) return undefined;
  if (format.encoding !== 'audio/opus') throw new WavegateError('WG_ERR_UNSUPPORTED_FORMAT', `outputFormat.opus is for audio/opus, not ${JSON.stringify(format.encoding)}`);
  return parseClientOpusSettings(format.opus);
}

function serializeOutput(output: Extract<OutboundMessage, { type: 'output' }>['output']): string | undefined {
  switch (output.type) {
    case 'transcript':
      return JSON.stringify({ type: 'transcript', data: { text: output.text, final: output.final } });
    case 'log':
      return JSON.stringify({ type: 'log', data: output.data });
    case 'send_input':
      return '{"type":"send_input","data":[]}';
    case 'warning':
      return JSON.stringify({ type: 'warning', message: output.message });
    case 'additional_outputs':
      // Like FastRTC, additional outputs travel on GET /outputs (SSE), not on the media socket.
      return undefined;
  }
}
