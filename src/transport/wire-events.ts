import type { MediaFormat } from '../codecs/media-format.js';
import type { OpusSettings } from '../codecs/opus-settings.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { HandlerOutput, PhoneCallInfo } from '../handler/handler.js';

/**
 * The internal frame model every carrier's serializer maps to and from (FastRTC, Twilio, Telnyx,
 * Plivo, …). Sessions only ever see these.
 */
export type InboundEvent =
  | {
      readonly type: 'start';
      readonly sessionId: string;
      /** Undefined = the gateway's default input format. */
      readonly inputFormat: MediaFormat | undefined;
      readonly outputFormat: MediaFormat | undefined;
      readonly phone: PhoneCallInfo | undefined;
      /** Per-session Opus encoder settings (`outputFormat.opus`, wavegate extension), merged over the gateway's. */
      readonly opus?: Partial<OpusSettings> | undefined;
      /** Per-session handler options (wavegate extension), merged over the gateway's. */
      readonly handlerOptions?: Readonly<Record<string, unknown>> | undefined;
      /** The room the session joins (docs/rooms.md); undefined = none. */
      readonly room?: string | undefined;
    }
  | { readonly type: 'media'; readonly payload: Uint8Array; readonly seq: number | undefined; readonly timestamp: number | undefined }
  /** The client asks to be told when the audio sent before this point has gone out (FastRTC extension). */
  | { readonly type: 'client_mark'; readonly name: string }
  /** The carrier confirms one of our marks has been played to the caller (Twilio `mark`). */
  | { readonly type: 'played_mark'; readonly name: string }
  | { readonly type: 'dtmf'; readonly digit: string }
  /** A room control (`{"event":"room","action":…}`, docs/rooms.md). */
  | { readonly type: 'room'; readonly message: Readonly<Record<string, unknown>> }
  | { readonly type: 'stop' }
  | { readonly type: 'ping' }
  /** A message the carrier sends that needs no action (Twilio `connected`). */
  | { readonly type: 'noop' };

/**
 * Everything a session sends; the serializer decides each carrier's shape (or drops what it can't carry).
 * A message is lent for the `serialize` call only (the session reuses it for the next frame). A media
 * payload's bytes may go to the socket as they are (binary output): after each send the session checks
 * the sink's `bufferedAmount`, and when the socket has not written everything it leaves the payload's
 * buffer to it and encodes the next frame into a fresh one; otherwise it reuses the buffer. A sink that
 * keeps payloads some other way (a queue of its own) copies them.
 */
export type OutboundMessage =
  | { readonly type: 'media'; readonly payload: Uint8Array }
  | { readonly type: 'clear' }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'pong' }
  | { readonly type: 'output'; readonly output: Exclude<HandlerOutput, { type: 'audio' | 'clear' | 'mark' | 'end_stream' }> }
  | { readonly type: 'end_stream' }
  | { readonly type: 'error'; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'warning'; readonly code: ErrorCode; readonly message: string }
  | { readonly type: 'refused'; readonly limit: number }
  /** A room event for a participant (docs/rooms.md, "Events"). */
  | { readonly type: 'room'; readonly data: unknown };

export interface Serializer {
  /** Carrier name, e.g. 'fastrtc', 'twilio'. */
  readonly name: string;
  /** Parses one WebSocket message. Throws a WavegateError for bad input. */
  parse(data: Buffer, isBinary: boolean): InboundEvent;
  /** One WebSocket message, or undefined when the carrier has no such message. */
  serialize(message: OutboundMessage): string | Buffer | undefined;
  /**
   * Optional, for the message sent 50 times a second: a media message as bytes ready for the socket,
   * and whether they go as a binary or a text frame (the same message `serialize` gives, byte for
   * byte). The result and its bytes are lent: valid until the next call, unless `mediaKept()` is
   * called (the socket has not written them yet), after which the next call uses fresh bytes. With
   * `copied` the caller copies the bytes before anything else runs, so they may be written in memory
   * every serializer of the process shares (and `mediaKept` does not apply to them).
   */
  serializeMedia?(payload: Uint8Array, copied?: boolean): WireBytes | undefined;
  mediaKept?(): void;
}

/** Bytes for one WebSocket frame, and its kind. */
export interface WireBytes {
  readonly bytes: Buffer;
  readonly binary: boolean;
}
