import type { OutboundMessage } from '../transport/wire-events.js';

/** Where a session's messages go: a WebSocket connection through its carrier's serializer. */
export interface SessionSink {
  /** Sends now; false when the message was not sent (the client is not reading: backpressure). */
  send(message: OutboundMessage): boolean;
  /** Bytes queued in the socket, not yet written (ws `bufferedAmount`). */
  readonly bufferedAmount: number;
  /** Ends the connection with a WebSocket close code. */
  close(code: number, reason: string): void;
}
