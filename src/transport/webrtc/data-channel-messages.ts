import type { OutboundMessage } from '../wire-events.js';

/**
 * What a session says on the data channel `text`, in FastRTC's JSON (docs/webrtc.md#data-channel):
 * `log`, `send_input`, `warning`/`error` (with wavegate's `code`), `end_stream`, and wavegate's
 * `transcript` and `clear`. Media travels as RTP, never here; undefined = nothing to send.
 */
export function dataChannelMessage(message: OutboundMessage): string | undefined {
  switch (message.type) {
    case 'clear':
      return '{"type":"clear"}';
    case 'end_stream':
      return '{"type":"end_stream","data":[]}';
    case 'error':
    case 'warning':
      return JSON.stringify({ type: message.type, message: message.message, code: message.code });
    case 'output': {
      const output = message.output;
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
          return undefined; // announced by fetch_output; the data goes on GET /outputs
      }
      return undefined;
    }
    case 'room':
      return JSON.stringify({ type: 'room', data: message.data });
    case 'media':
    case 'mark':
    case 'pong':
    case 'refused':
      return undefined;
  }
}

/** Sent when the handler has an additional output for the client to read from `GET /outputs` (FastRTC). */
export const FETCH_OUTPUT = '{"type":"fetch_output","data":[]}';

/** FastRTC's answer to every data channel message from the client (its `handshake` first). */
export function receivedLog(text: string): string {
  return JSON.stringify({ type: 'log', data: `Server received: ${text.slice(0, 200)}` });
}
