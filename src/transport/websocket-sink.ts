import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { SessionSink } from '../media-path/session-sink.js';
import { ServerFrames } from './server-frames.js';
import { turnWrites } from './turn-writes.js';
import type { OutboundMessage, Serializer } from './wire-events.js';

/**
 * A session's sink on one WebSocket, through its carrier's serializer (docs/architecture.md,
 * "Outbound"). A class, not an object literal: a literal with a getter gets a hidden class of its own
 * per connection, and at 300 sessions every `sink.…` in the output sender became a megamorphic lookup
 * (perf: the largest builtin under `sendDue`).
 *
 * Media goes one of two ways. On a plain socket (`raw`, net or TLS) with no extension negotiated, each
 * message is framed here (server-frames.ts) and written straight to the socket, corked for the turn
 * (turn-writes.ts); ws writes whole frames synchronously when no extension is in use, so its own
 * frames (control messages, a close) and these never interleave. The serializer's bytes and the
 * payload are copied into the frame, so neither is lent: only the frame is, and while the socket still
 * holds it the next message gets a fresh one. Otherwise (an extension, or a socket that cannot be
 * corked) media goes through ws's `send`, with the serializer's bytes lent as before.
 */
export class WebSocketSink implements SessionSink {
  readonly #socket: WebSocket;
  readonly #serializer: Serializer;
  readonly #raw: Socket | undefined;
  readonly #frames: ServerFrames | undefined;
  /** What the last media message lent the socket on ws's path: its JSON bytes (the serializer's) or a binary payload (the caller's). */
  #lent: 'json' | 'payload' | undefined;
  /** Media is framed here and copied into the frame: the payload may be scratch (SessionSink.copiesMedia). */
  readonly copiesMedia: boolean;

  constructor(socket: WebSocket, serializer: Serializer, raw: Socket | undefined) {
    this.#socket = socket;
    this.#serializer = serializer;
    this.#raw = raw;
    this.#frames = raw !== undefined && socket.extensions === '' ? new ServerFrames() : undefined;
    this.copiesMedia = this.#frames !== undefined && serializer.serializeMedia !== undefined;
  }

  send(message: OutboundMessage): boolean {
    if (message.type === 'media') return this.sendMedia(message.payload);
    if (this.#socket.readyState !== WebSocket.OPEN) return false;
    const data = this.#serializer.serialize(message);
    if (data !== undefined) this.#socket.send(data);
    return true;
  }

  sendMedia(payload: Uint8Array): boolean {
    const socket = this.#socket;
    if (socket.readyState !== WebSocket.OPEN) return false;
    const serializer = this.#serializer;
    if (serializer.serializeMedia === undefined) {
      const data = serializer.serialize({ type: 'media', payload });
      if (data !== undefined) socket.send(data);
      return true;
    }
    const raw = this.#raw;
    const frames = this.#frames;
    if (frames !== undefined && raw !== undefined) {
      const wire = serializer.serializeMedia(payload, true);
      if (wire === undefined) return true;
      if (turnWrites.holds(raw)) frames.kept();
      const frame = frames.frame(wire.bytes, wire.binary);
      turnWrites.cork(raw);
      raw.write(frame);
      return true;
    }
    // The serializer's reused JSON bytes are not written over while the socket still holds them.
    if (this.#lent === 'json' && this.#holdsLent()) serializer.mediaKept?.();
    const wire = serializer.serializeMedia(payload);
    if (wire === undefined) return true;
    if (raw !== undefined) turnWrites.cork(raw);
    socket.send(wire.bytes, wire.binary ? BINARY_FRAME : TEXT_FRAME);
    this.#lent = wire.binary ? 'payload' : 'json';
    return true;
  }

  holdsMedia(): boolean {
    return this.#lent === 'payload' && this.#holdsLent();
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  close(code: number, reason: string): void {
    const socket = this.#socket;
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason.slice(0, 120));
  }

  #holdsLent(): boolean {
    return this.#raw !== undefined ? turnWrites.holds(this.#raw) : this.#socket.bufferedAmount > 0;
  }
}

/** ws `send` options, made once (ws copies them per call anyway). */
const BINARY_FRAME = { binary: true } as const;
const TEXT_FRAME = { binary: false } as const;
