import type { AudioFrame } from '../audio/audio-frame.js';

/** Turn-taking events, sent to clients as `{"type":"log","data":…}` exactly as FastRTC does. */
export type TurnEvent = 'started_talking' | 'pause_detected' | 'response_starting';

/** What a handler can produce. Audio is paced to the client; everything else is sent at once. */
export type HandlerOutput =
  | { readonly type: 'audio'; readonly frame: AudioFrame }
  | { readonly type: 'transcript'; readonly text: string; readonly final: boolean }
  | { readonly type: 'log'; readonly data: TurnEvent }
  | { readonly type: 'send_input' }
  | { readonly type: 'additional_outputs'; readonly data: unknown }
  /** Barge-in: drop audio queued for the client and tell the client to drop its own. */
  | { readonly type: 'clear' }
  /** A named point in the output audio; reported back once the audio before it has been sent/heard. */
  | { readonly type: 'mark'; readonly name: string }
  | { readonly type: 'warning'; readonly message: string }
  /** The handler is done: the client gets `end_stream` and the session ends. */
  | { readonly type: 'end_stream' };

/** Events the session delivers to a handler besides audio. */
export type SessionEvent =
  | { readonly type: 'input'; readonly args: Readonly<Record<string, unknown>> }
  | { readonly type: 'dtmf'; readonly digit: string }
  /** A mark the handler sent has been played out (phone carriers confirm it; WebSocket clients when sent). */
  | { readonly type: 'mark'; readonly name: string }
  /** A `room` control message from the client of a session in a room (docs/rooms.md); other handlers never get it. */
  | { readonly type: 'room'; readonly message: Readonly<Record<string, unknown>> };

export type CloseReason =
  | 'client_stop'
  | 'socket_closed'
  | 'handler_error'
  | 'handler_closed'
  | 'time_limit'
  | 'idle_timeout'
  | 'server_shutdown'
  | 'slow_consumer'
  | 'protocol_error';

export interface PhoneCallInfo {
  readonly carrier: string;
  readonly callId: string | undefined;
  readonly streamId: string | undefined;
  readonly customParameters: Readonly<Record<string, string>>;
}

export interface HandlerContext {
  /** The session id (FastRTC's webrtc_id, or the carrier's stream id). */
  readonly sessionId: string;
  /** Sample rate of the frames `receive()` gets. */
  readonly inputSampleRate: number;
  /** Sample rate the client receives (audio of any rate is converted to it). */
  readonly outputSampleRate: number;
  /** Set when the session is a phone call (Twilio, Telnyx, Plivo). */
  readonly phone: PhoneCallInfo | undefined;
  /** Aborted when the session ends, for any reason. */
  readonly signal: AbortSignal;
  /** Push an output now (the push style; `emit()` is the pull style). Ignored after the session ends. */
  send(output: HandlerOutput): void;
  /** Ask the session to call `emit()` again (for handlers whose output becomes ready on their own). */
  wake(): void;
  /** Milliseconds of audio queued for the client, not yet sent (lets a producer pace itself). */
  outputBacklogMs(): number;
  /** The latest arguments posted to `POST /input` for this session, or undefined. */
  latestInput(): Readonly<Record<string, unknown>> | undefined;
}

/**
 * One instance per session (FastRTC's `copy()`). The session awaits `startUp` before the first
 * `receive`, calls `receive` in order and never concurrently, calls `emit` after every `receive` and
 * after every `ctx.wake()` until it returns undefined, and calls `shutdown` exactly once.
 */
export interface Handler {
  startUp?(ctx: HandlerContext): void | Promise<void>;
  /**
   * `frame` is lent until this returns (or its promise settles), then reused: copy what you keep (see
   * AudioFrame). A synchronous `receive` is called directly, with no promise or queue in between.
   */
  receive(frame: AudioFrame): void | Promise<void>;
  emit?(): HandlerOutput | undefined | Promise<HandlerOutput | undefined>;
  onEvent?(event: SessionEvent): void | Promise<void>;
  shutdown?(reason: CloseReason): void | Promise<void>;
}

export interface HandlerDefinition<O = Record<string, unknown>> {
  readonly name: string;
  /** Rate the handler wants its input at; undefined = as the client sends it. */
  readonly inputSampleRate?: number;
  /**
   * How input reaches `receive()`. 'realtime' (default): through the jitter buffer, gaps concealed
   * and playout sped up or slowed down to hold a target delay — right for audio that is played back.
   * 'lossless': every frame the client sent, in order, on arrival, nothing made up or dropped —
   * right for recognizers, which a concealed gap mid-word garbles.
   */
  readonly inputTiming?: 'realtime' | 'lossless';
  /**
   * Option keys a client may set for its own session (`"handlerOptions"` in `start`). Anything else
   * from a client is refused (WG_ERR_OPTION_NOT_ALLOWED): options naming programs, paths or voices stay
   * the operator's. Default: none.
   */
  readonly clientOptions?: readonly string[];
  /**
   * Checks one session's options (the gateway's, with the client's `handlerOptions` over them) before
   * `create()` runs; throw to refuse the session with WG_ERR_INVALID_OPTION (docs/errors.md), e.g.
   * `gainDb: "x"`. Keep it pure and quick (no engines, no I/O). Without it a bad value reaches
   * `create()`, whose failure is WG_ERR_HANDLER_UNAVAILABLE.
   */
  validateOptions?(options: O): void;
  /** Called once per session, after admission. Throw a WavegateError('WG_ERR_HANDLER_UNAVAILABLE') when it cannot work. */
  create(options: O): Handler;
  /** Called once when the gateway starts with this handler: check engines exist, fail early. */
  check?(options: O): void | Promise<void>;
}

export function defineHandler<O = Record<string, unknown>>(definition: HandlerDefinition<O>): HandlerDefinition<O> {
  return definition;
}

export function audioOutput(frame: AudioFrame): HandlerOutput {
  return { type: 'audio', frame };
}
