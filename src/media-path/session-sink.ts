import type { OutboundMessage } from '../transport/wire-events.js';

/** Where a session's messages go: a WebSocket connection through its carrier's serializer. */
export interface SessionSink {
  /** Sends now; false when the message was not sent (the client is not reading: backpressure). */
  send(message: OutboundMessage): boolean;
  /**
   * The 50-a-second case of `send({ type: 'media', payload })`, where a sink has a faster way (the
   * socket adapter: no message object, and one shape at the call site instead of every message type's).
   * `payload` is only read during the call.
   */
  sendMedia?(payload: Uint8Array): boolean;
  /**
   * Whether the socket still holds the bytes of the payload last given to `sendMedia` (it sent a view of
   * them, and has not written them yet): the payload must not be written over. Without `sendMedia`,
   * `bufferedAmount > 0` right after `send` stands for it.
   */
  holdsMedia?(): boolean;
  /**
   * `sendMedia` copies the payload before it returns and lends it to nothing: the payload may then be
   * scratch memory that the next frame of any session writes over (docs/architecture.md, "Who owns
   * which bytes").
   */
  readonly copiesMedia?: boolean;
  /** Bytes queued in the socket, not yet written (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  /** Ends the connection with a WebSocket close code. */
  close(code: number, reason: string): void;
}
