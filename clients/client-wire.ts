import type { MediaFormat } from '../src/codecs/media-format.js';

/**
 * The client side of the FastRTC WebSocket protocol (docs/protocol.md), pure: builds what a client sends
 * and classifies what the server sends. Message shapes are FastRTC's; `mediaFormat`/`outputFormat`,
 * `sequenceNumber`/`timestamp` and marks are wavegate's extensions (a FastRTC server ignores them).
 */
export function startMessage(id: string, input?: MediaFormat, output?: MediaFormat): string {
  return JSON.stringify({
    event: 'start',
    websocket_id: id,
    ...(input && { mediaFormat: input }),
    ...(output && { outputFormat: output }),
  });
}

/** A media message: base64 payload, plus the sequence number and the stream timestamp (ms). */
export function mediaMessage(payload: Uint8Array, seq?: number, timestampMs?: number): string {
  const b64 = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
  return JSON.stringify({
    event: 'media',
    ...(seq !== undefined && { sequenceNumber: seq }),
    media: { payload: b64, ...(timestampMs !== undefined && { timestamp: timestampMs }) },
  });
}

export const markMessage = (name: string): string => JSON.stringify({ event: 'mark', mark: { name } });
export const STOP_MESSAGE = '{"event":"stop"}';
export const PING_MESSAGE = '{"event":"ping"}';

export type ServerEvent =
  /** Reply audio; over WebRTC with the RTP sequence number and the timestamp in ms since the first packet. */
  | { readonly type: 'media'; readonly payload: Uint8Array; readonly seq?: number; readonly timestampMs?: number }
  | { readonly type: 'clear' }
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'pong' }
  | { readonly type: 'end_stream' }
  | { readonly type: 'refused'; readonly limit: number | undefined; readonly reason: string }
  | { readonly type: 'error' | 'warning'; readonly code: string | undefined; readonly message: string }
  /** log, transcript, send_input and anything newer: passed on as parsed JSON. */
  | { readonly type: 'other'; readonly message: Readonly<Record<string, unknown>> }
  | { readonly type: 'malformed'; readonly text: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Classifies one server message (binary = raw L16/Opus media). Never throws. */
export function parseServerMessage(data: Buffer, isBinary: boolean): ServerEvent {
  if (isBinary) return { type: 'media', payload: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  return parseServerText(data.toString('utf8'));
}

/**
 * Classifies one text message: a WebSocket text frame, or a message on the WebRTC `text` data channel,
 * which carries the same JSON (log, transcript, warning/error with code, end_stream, clear). Never throws.
 */
export function parseServerText(text: string): ServerEvent {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { type: 'malformed', text };
  }
  if (!isObject(message)) return { type: 'malformed', text };
  if (message.event === 'media' && isObject(message.media) && typeof message.media.payload === 'string') {
    return { type: 'media', payload: new Uint8Array(Buffer.from(message.media.payload, 'base64')) };
  }
  // `{"event":"clear"}` on the WebSocket; the data channel's messages are typed, so `{"type":"clear"}` too.
  if (message.event === 'clear' || message.type === 'clear') return { type: 'clear' };
  if (message.event === 'pong') return { type: 'pong' };
  if (message.event === 'mark' && isObject(message.mark) && typeof message.mark.name === 'string') return { type: 'mark', name: message.mark.name };
  if (message.type === 'end_stream') return { type: 'end_stream' };
  if (message.status === 'failed') {
    const meta = isObject(message.meta) ? message.meta : {};
    return { type: 'refused', limit: typeof meta.limit === 'number' ? meta.limit : undefined, reason: String(meta.error ?? 'failed') };
  }
  if (message.type === 'error' || message.type === 'warning') {
    return { type: message.type, code: typeof message.code === 'string' ? message.code : undefined, message: String(message.message ?? '') };
  }
  return { type: 'other', message };
}
