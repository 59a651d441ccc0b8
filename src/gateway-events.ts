import { EventEmitter } from 'node:events';
import type { ErrorCode } from './errors/error-codes.js';
import type { CloseReason } from './handler/handler.js';
import type { SessionStats } from './session/session.js';

/** A session was admitted and its handler created (any transport). */
export interface SessionOpenedEvent {
  readonly id: string;
  /** 'fastrtc', 'webrtc', 'twilio', 'telnyx', 'plivo'… */
  readonly carrier: string;
  readonly handler: string;
  /** Wall-clock time (ms since the epoch). */
  readonly startedAt: number;
}

/** A session ended, once, whichever way it ended. */
export interface SessionClosedEvent {
  readonly id: string;
  readonly carrier: string;
  readonly reason: CloseReason;
  readonly durationMs: number;
  /** The session's counters as it closed: frames in and out, drops by reason, jitter buffer. */
  readonly stats: SessionStats;
}

/** A session was refused before its handler ran: limit, duplicate id, client options, handler unavailable. */
export interface SessionRefusedEvent {
  readonly id: string;
  readonly carrier: string;
  readonly code: ErrorCode;
  readonly message: string;
  /** The client's address, when the session was asked for over HTTP or a WebSocket. */
  readonly client?: string;
  /** The route it was asked on (`/websocket/offer`, `/webrtc/offer`, `/telephone/twilio`…), without a query. */
  readonly route?: string;
}

/** A session's recording was closed: the file is complete. */
export interface RecordingFinishedEvent {
  readonly id: string;
  readonly path: string;
  readonly durationMs: number;
  /** 'closed', or 'failed' when it ended early (write error, disk full); the file holds what was written. */
  readonly state: 'closed' | 'failed';
  readonly droppedFrames: number;
  /**
   * The id was used before: where the earlier session's recording was moved when this one began
   * (`{id}@{time}.wav` beside it; docs/recordings.md, "An id used again"). `path` is always the latest's.
   */
  readonly previousPath?: string;
}

/** Two call-page users are in a call: the callee answered (fired on the callee's process). */
export interface CallStartedEvent {
  readonly caller: string;
  readonly callee: string;
  readonly startedAt: number;
}

/** A call that had started ended (fired on the process of the user who ended it). */
export interface CallEndedEvent {
  readonly caller: string;
  readonly callee: string;
  /** Who hung up, logged out or disconnected. */
  readonly endedBy: string;
  readonly reason: 'hangup' | 'disconnected' | 'logged_out';
  readonly durationMs: number;
}

/** The gateway's events for applications (billing, logging, dashboards): docs/embedding.md. */
export interface GatewayEventMap {
  'session-opened': [SessionOpenedEvent];
  'session-closed': [SessionClosedEvent];
  'session-refused': [SessionRefusedEvent];
  'recording-finished': [RecordingFinishedEvent];
  'call-started': [CallStartedEvent];
  'call-ended': [CallEndedEvent];
}

/**
 * A typed EventEmitter whose listeners cannot break the gateway: a listener that throws (or returns a
 * rejected promise) is logged with its event name, and the session, call or recording carries on.
 */
export class GatewayEvents extends EventEmitter<GatewayEventMap> {
  /** Emits to every listener, each isolated from the others. */
  report<K extends keyof GatewayEventMap>(event: K, ...args: GatewayEventMap[K]): void {
    for (const listener of this.rawListeners(event) as Array<(...a: GatewayEventMap[K]) => unknown>) {
      try {
        const result = listener.apply(this, args);
        if (result instanceof Promise) result.catch((err: unknown) => logListenerError(event, err));
      } catch (err) {
        logListenerError(event, err);
      }
    }
  }
}

function logListenerError(event: string, err: unknown): void {
  console.error(`wavegate: a '${event}' listener failed (the gateway carries on):`, err);
}
