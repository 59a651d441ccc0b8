import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { sessionRequester } from '../auth/session-requester.js';
import { WebSocket, type RawData } from 'ws';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';
import { WavegateError } from '../errors/wavegate-error.js';
import type { Session } from '../session/session.js';
import type { SessionHost } from '../session/session-host.js';
import { receiveDirectly } from './direct-receive.js';
import { WebSocketSink } from './websocket-sink.js';
import type { InboundEvent, Serializer } from './wire-events.js';

export interface ConnectionOptions {
  readonly carrierConfirmsMarks: boolean;
  /** Called for every inbound event before the session sees it (e.g. carrier auto-detection). */
  readonly onStart?: (event: Extract<InboundEvent, { type: 'start' }>) => void;
}

/**
 * Wires one WebSocket to a session through a carrier's serializer: checks size and rate, parses,
 * opens the session on `start`, forwards the rest, and answers bad input with a coded error
 * without closing (unless the error leaves no session to talk to).
 */
export function serveConnection(socket: WebSocket, req: IncomingMessage, host: SessionHost, serializer: Serializer, options: ConnectionOptions): void {
  const { maxPayloadBytes, maxMessagesPerSecond, idleTimeoutS } = host.options;
  let session: Session | undefined;
  let windowStart = 0;
  let windowCount = 0;
  let rateWarned = false;
  /** Messages that arrive while a cluster directory decides on the start (docs/scale-out.md); bounded. */
  let admitting: Array<[RawData, boolean]> | undefined;
  let socketClosed = false;
  const sink = new WebSocketSink(socket, serializer, corkable(req.socket));

  const report = (code: ErrorCode, message: string, fatal: boolean): void => {
    sink.send({ type: 'error', code, message });
    if (fatal) sink.close(ERROR_CODES[code].closeCode, code);
  };

  // A connection that never starts a session is closed after the idle timeout.
  const startTimer = setTimeout(() => report('WG_ERR_IDLE_TIMEOUT', `no start within ${idleTimeoutS} s`, true), idleTimeoutS * 1000);
  startTimer.unref();

  const start = (event: Extract<InboundEvent, { type: 'start' }>): void => {
    options.onStart?.(event);
    const result = host.open({
      id: event.sessionId,
      carrier: serializer.name,
      inputFormat: event.inputFormat,
      outputFormat: event.outputFormat,
      opus: event.opus,
      phone: event.phone,
      handlerOptions: event.handlerOptions,
      room: event.room,
      carrierConfirmsMarks: options.carrierConfirmsMarks,
      sink,
      requester: sessionRequester(req),
    });
    if (!(result instanceof Promise)) return started(result);
    admitting = [];
    void result.then((opened) => {
      const queued = admitting ?? [];
      admitting = undefined;
      started(opened);
      if (socketClosed) void session?.close('socket_closed');
      else for (const [data, isBinary] of queued) onMessage(data, isBinary);
    });
  };

  const started = (opened: Awaited<ReturnType<SessionHost['open']>>): void => {
    if (!opened.ok) {
      if (opened.code === 'WG_ERR_CONCURRENCY_LIMIT') {
        sink.send({ type: 'refused', limit: opened.limit ?? 0 });
        sink.close(ERROR_CODES.WG_ERR_CONCURRENCY_LIMIT.closeCode, 'WG_ERR_CONCURRENCY_LIMIT');
      } else {
        report(opened.code, opened.message, true);
      }
      return;
    }
    clearTimeout(startTimer);
    session = opened.session;
  };

  const onMessage = (data: RawData, isBinary: boolean): void => {
    if (admitting) {
      if (admitting.length < 500) admitting.push([data, isBinary]);
      return;
    }
    const buffer = toBuffer(data);
    const now = host.now();
    if (now - windowStart >= 1000) {
      windowStart = now;
      windowCount = 0;
      rateWarned = false;
    }
    if (++windowCount > maxMessagesPerSecond) {
      if (session) session.counters.messagesDroppedRateLimit++;
      if (!rateWarned) report('WG_ERR_RATE_LIMIT', `more than ${maxMessagesPerSecond} messages in one second; extra messages are dropped`, false);
      rateWarned = true;
      return;
    }
    if (buffer.byteLength > maxPayloadBytes) {
      report('WG_ERR_PAYLOAD_TOO_LARGE', `${buffer.byteLength} bytes > ${maxPayloadBytes}`, false);
      return;
    }
    let event: InboundEvent;
    try {
      event = serializer.parse(buffer, isBinary);
    } catch (err) {
      const code: ErrorCode = err instanceof WavegateError ? err.code : 'WG_ERR_MALFORMED_MESSAGE';
      // A bad start leaves nothing to talk to: close. Anything else: say so and carry on.
      report(code, err instanceof Error ? err.message : String(err), session === undefined && isStartAttempt(buffer, isBinary));
      return;
    }
    if (session) {
      session.onInbound(event, isBinary);
    } else if (event.type === 'start') {
      start(event);
    } else if (event.type === 'ping') {
      sink.send({ type: 'pong' });
    } else if (event.type === 'media') {
      report('WG_ERR_MEDIA_BEFORE_START', 'send {"event":"start",…} first', false);
    } else if (event.type === 'stop') {
      sink.close(1000, 'stop');
    }
  };
  // ws's 'message' carries whatever its receiver reads: everything, or what receiveDirectly hands it.
  socket.on('message', onMessage);
  receiveDirectly(socket, onMessage);

  socket.on('close', () => {
    socketClosed = true;
    clearTimeout(startTimer);
    void session?.close('socket_closed');
  });
  socket.on('error', (err) => {
    console.error('wavegate: socket error', err.message);
  });
}

/** The TCP or TLS socket under the WebSocket when it can be corked, so media writes batch per turn (turn-writes.ts); a framework may upgrade on something else. */
function corkable(socket: unknown): Socket | undefined {
  const s = socket as Partial<Socket> | undefined;
  return typeof s?.cork === 'function' && typeof s.uncork === 'function' && typeof s.writableCorked === 'number' ? (s as Socket) : undefined;
}

function isStartAttempt(buffer: Buffer, isBinary: boolean): boolean {
  return !isBinary && buffer.includes('"start"');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
