import type { AudioFrame } from '../audio/audio-frame.js';
import type { EncoderOptions } from '../codecs/codec.js';
import type { MediaFormat } from '../codecs/media-format.js';
import type { ErrorCode } from '../errors/error-codes.js';
import { ERROR_CODES } from '../errors/error-codes.js';
import { WavegateError, errorCodeOf } from '../errors/wavegate-error.js';
import type { CloseReason, Handler, HandlerContext, HandlerOutput, PhoneCallInfo } from '../handler/handler.js';
import type { Paced, SharedPacer } from '../pacer/shared-pacer.js';
import type { InboundEvent } from '../transport/wire-events.js';
import { HandlerRunner } from '../media-path/handler-runner.js';
import { InputPipeline } from '../media-path/input-pipeline.js';
import { OutputPipeline } from '../media-path/output-pipeline.js';
import { OutputSender } from '../media-path/output-sender.js';
import { TapFeed } from '../media-path/tap-feed.js';
import { emptyCounters, type SessionCounters } from './session-stats.js';
import type { SessionSink } from '../media-path/session-sink.js';
import type { RoomMember } from '../rooms/room-member.js';
import type { SessionTap } from './session-tap.js';

export type SessionStats = SessionCounters & {
  readonly id: string;
  readonly carrier: string;
  readonly outputBacklogMs: number;
  /** Output talk spurts flushed (each ends with a padded frame). */
  readonly outputSpurts: number;
  readonly jitterBuffer: ReturnType<InputPipeline['stats']>;
};

export interface SessionConfig {
  readonly id: string;
  readonly carrier: string;
  readonly handler: Handler;
  /** Rate the handler wants input at; undefined = as it arrives. */
  readonly handlerInputRate: number | undefined;
  readonly inputTiming: 'realtime' | 'lossless';
  readonly inputFormat: MediaFormat;
  readonly outputFormat: MediaFormat;
  /** Output encoder settings (Opus complexity, application, DTX, FEC: docs/media.md). */
  readonly encoder?: Omit<EncoderOptions, 'frameMs'> | undefined;
  readonly phone: PhoneCallInfo | undefined;
  /** True when the carrier confirms played marks itself (Twilio); else marks count as heard when sent. */
  readonly carrierConfirmsMarks: boolean;
  readonly frameMs: number;
  readonly outputLeadMs: number;
  readonly outputCapacityFrames: number;
  readonly maxPendingFrames: number;
  readonly maxBufferedBytes: number;
  readonly slowConsumerTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly pacer: SharedPacer;
  readonly sink: SessionSink;
  readonly taps: readonly SessionTap[];
  readonly now: () => number;
  /** The session sits in a room: its handler is the room's seat (docs/rooms.md). */
  readonly inRoom?: boolean;
}

const CLOSE_CODES: Record<CloseReason, number> = {
  client_stop: 1000,
  socket_closed: 1000,
  handler_closed: 1000,
  handler_error: ERROR_CODES.WG_ERR_HANDLER_FAILED.closeCode,
  time_limit: ERROR_CODES.WG_ERR_TIME_LIMIT.closeCode,
  idle_timeout: ERROR_CODES.WG_ERR_IDLE_TIMEOUT.closeCode,
  server_shutdown: ERROR_CODES.WG_ERR_SHUTTING_DOWN.closeCode,
  slow_consumer: ERROR_CODES.WG_ERR_SLOW_CONSUMER.closeCode,
  protocol_error: 1008,
};

type Listener = (data: unknown) => void;

/**
 * One client's session: media in → decode → jitter buffer → resample → handler (in order, bounded);
 * handler out → resample → frames → encode → paced by the shared clock → client. Ends exactly once,
 * whatever ends it, and runs the handler's `shutdown` before the connection closes.
 */
export class Session implements Paced, RoomMember {
  readonly id: string;
  readonly carrier: string;
  readonly startedAt: number;
  readonly counters: SessionCounters = emptyCounters();
  private readonly config: SessionConfig;
  private readonly input: InputPipeline;
  private readonly output: OutputPipeline;
  private readonly runner: HandlerRunner;
  private readonly abort = new AbortController();
  private readonly outputListeners = new Set<Listener>();
  private readonly sender: OutputSender;
  private readonly taps: TapFeed;
  private latestInput: Readonly<Record<string, unknown>> | undefined;
  private closing: Promise<void> | undefined;
  private paced = false;
  private ending = false;
  private warnedBusy = false;
  /** While a synchronous handler answers input a stall held up: how late it was (its reply may catch up). */
  private replyLateMs = 0;
  lastActivity: number;
  closeReason: CloseReason | undefined;

  constructor(config: SessionConfig) {
    this.config = config;
    this.id = config.id;
    this.carrier = config.carrier;
    this.startedAt = config.now();
    this.lastActivity = this.startedAt;
    this.input = new InputPipeline(config.inputFormat, config.handlerInputRate ?? config.inputFormat.sampleRate, config.frameMs, config.inputTiming, this.startedAt);
    this.output = new OutputPipeline(config.outputFormat, {
      frameMs: config.frameMs,
      leadMs: config.outputLeadMs,
      capacity: config.outputCapacityFrames,
      encoder: config.encoder,
    });
    this.taps = new TapFeed(config.taps, this.startedAt, config.outputFormat.sampleRate);
    this.sender = new OutputSender(this.output, config.sink, this.counters, this.taps, config);
    this.runner = new HandlerRunner(config.handler, {
      maxPending: config.maxPendingFrames,
      maxEmitsPerDrain: 64,
      shutdownTimeoutMs: config.shutdownTimeoutMs,
      deliver: (output) => this.deliver(output),
      fail: (err) => this.fail(err),
      release: (frame) => this.input.release(frame),
    });
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Queues the handler's `startUp`; media received meanwhile waits in order behind it. */
  start(): void {
    this.runner.startUp(this.context());
  }

  /** One parsed client message (everything but `start`). */
  onInbound(event: InboundEvent, isBinary: boolean): void {
    if (this.closed) return;
    const now = this.config.now();
    this.lastActivity = now;
    this.counters.messagesIn++;
    switch (event.type) {
      case 'media':
        this.onMedia(event, isBinary, now);
        return;
      case 'client_mark':
        this.output.pushMark(event.name, 'client');
        this.joinPacer();
        return;
      case 'played_mark':
        this.runner.event({ type: 'mark', name: event.name });
        return;
      case 'dtmf':
        this.runner.event({ type: 'dtmf', digit: event.digit });
        return;
      case 'ping':
        this.config.sink.send({ type: 'pong' });
        return;
      case 'room':
        if (this.config.inRoom) this.runner.event({ type: 'room', message: event.message });
        else this.warn('WG_ERR_NOT_IN_ROOM', `session ${this.id} joined no room`);
        return;
      case 'stop':
        void this.close('client_stop');
        return;
      case 'start':
        this.warn('WG_ERR_ALREADY_STARTED', `session ${this.id} is already started`);
        return;
      case 'noop':
        return;
    }
  }

  /** `POST /input` (FastRTC's set_input). */
  setInput(args: Readonly<Record<string, unknown>>): void {
    if (this.closed) return;
    this.latestInput = args;
    this.lastActivity = this.config.now();
    this.runner.event({ type: 'input', args });
  }

  /**
   * The far end's packet loss, percent (0–100): WebRTC RTCP receiver reports, or a client's own figure.
   * The Opus encoder spends in-band FEC on it (fec 'auto' turns FEC on above 0); see docs/media.md.
   */
  setRemoteLossPercent(percent: number): void {
    if (this.closed) return;
    this.output.setRemoteLossPercent(percent);
  }

  /** A room event for this participant's client (docs/rooms.md, "Events"); carriers without a way to carry it drop it. */
  sendRoomMessage(data: unknown): void {
    if (!this.closed) this.config.sink.send({ type: 'room', data });
  }

  /** A refused room control, as a coded warning. */
  sendRoomWarning(code: ErrorCode, detail: string): void {
    if (!this.closed) this.warn(code, detail);
  }

  /** `GET /outputs` (SSE): every additional output; returns the unsubscribe function. */
  subscribeOutputs(listener: Listener): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  stats(): SessionStats {
    return {
      id: this.id,
      carrier: this.carrier,
      ...this.counters,
      framesCleared: this.output.stats.framesCleared,
      framesDroppedOutputOverflow: this.output.stats.framesDroppedOverflow,
      framesDroppedHandlerBusy: this.runner.droppedFrames,
      outputBacklogMs: this.output.backlogMs,
      outputSpurts: this.output.spurts,
      jitterBuffer: this.input.stats(),
    };
  }

  /** Shared clock tick: feed the handler what the jitter buffer releases, send what output is due. */
  onTick(now: number, onSchedule: boolean): boolean {
    if (this.closed) return false;
    const frames = this.input.pull(now, 'tick');
    this.replyLateMs = this.input.releasedLateMs;
    for (const frame of frames) this.receive(frame, now);
    this.replyLateMs = 0;
    this.output.onTick(now, onSchedule);
    if (onSchedule) this.sender.endSegmentIfDry(); // before sending: the tick that sends the last frame is not dry
    this.sendDue(now);
    if (this.ending && this.output.isEmpty) {
      this.config.sink.send({ type: 'end_stream' });
      void this.close('handler_closed');
      return false;
    }
    this.paced = this.input.isActive || !this.output.isEmpty || this.output.hasResidual || this.ending || this.sender.segmentOpen;
    return this.paced;
  }

  /** Ends the session once: handler shutdown (bounded) first, then taps and codecs, then the socket. */
  close(reason: CloseReason, error?: { code: ErrorCode; message: string }): Promise<void> {
    this.closing ??= (async () => {
      this.closeReason = reason;
      this.abort.abort();
      this.config.pacer.leave(this);
      this.outputListeners.clear();
      if (error) this.config.sink.send({ type: 'error', ...error });
      await this.runner.shutdown(reason);
      await this.taps.close();
      this.input.close();
      this.output.close();
      const code = reason === 'protocol_error' && error ? ERROR_CODES[error.code].closeCode : CLOSE_CODES[reason];
      this.config.sink.close(code, error?.code ?? reason);
    })();
    return this.closing;
  }

  private onMedia(event: Extract<InboundEvent, { type: 'media' }>, isBinary: boolean, now: number): void {
    const { encoding } = this.config.inputFormat;
    if (isBinary && (encoding === 'audio/x-mulaw' || encoding === 'audio/x-alaw')) {
      this.warn('WG_ERR_BINARY_NOT_ALLOWED', `input encoding is ${encoding}`);
      return;
    }
    this.counters.framesIn++;
    this.counters.bytesIn += event.payload.byteLength;
    try {
      this.input.push(event, now);
    } catch (err) {
      this.counters.framesDroppedUndecodable++;
      this.warn(errorCodeOf(err) === 'WG_ERR_INTERNAL' ? 'WG_ERR_BAD_PAYLOAD' : errorCodeOf(err), (err as Error).message);
      return;
    }
    // A synchronous handler's reply to late input catches up instead of trailing real time (docs/architecture.md, "Timing rules").
    const frames = this.input.pull(now, 'arrival');
    this.replyLateMs = this.input.releasedLateMs;
    for (const frame of frames) this.receive(frame, now);
    this.replyLateMs = 0;
    this.joinPacer();
  }

  private receive(frame: AudioFrame, now: number): void {
    if (this.taps.active) this.taps.input(frame, now);
    if (this.runner.receive(frame)) return;
    this.counters.framesDroppedHandlerBusy++;
    if (!this.warnedBusy) {
      this.warnedBusy = true;
      this.warn('WG_ERR_QUEUE_OVERFLOW', 'the handler is not keeping up; input frames are dropped and counted');
    }
  }

  /** What is due goes out (output-sender.ts); the marks it made heard go to the handler. */
  private sendDue(now: number): void {
    const outcome = this.sender.sendDue(now);
    if (this.sender.heardMarks.length > 0) {
      // Taken first: a handler answering a mark may send more, and this runs again inside.
      for (const name of this.sender.heardMarks.splice(0)) this.runner.event({ type: 'mark', name });
    }
    if (outcome === 'slow_consumer') void this.close('slow_consumer', { code: 'WG_ERR_SLOW_CONSUMER', message: ERROR_CODES.WG_ERR_SLOW_CONSUMER.message });
  }

  private deliver(output: HandlerOutput): void {
    if (this.closed) return;
    const now = this.config.now();
    switch (output.type) {
      case 'audio':
        this.output.pushAudio(output.frame, now, this.replyLateMs);
        this.sendDue(now); // what is due now (the lead) goes at once, not at the next tick
        this.joinPacer();
        return;
      case 'clear':
        this.output.clear();
        this.sender.cleared();
        this.config.sink.send({ type: 'clear' });
        return;
      case 'mark':
        this.output.pushMark(output.name, 'handler');
        this.joinPacer();
        return;
      case 'end_stream':
        this.output.flush(now);
        this.ending = true;
        this.joinPacer();
        return;
      case 'additional_outputs':
        for (const listener of this.outputListeners) listener(output.data);
        return;
      default:
        this.config.sink.send({ type: 'output', output });
    }
  }

  private fail(err: unknown): void {
    this.counters.handlerErrors++;
    console.error(`wavegate: handler of session ${this.id} failed:`, err);
    const message = `${ERROR_CODES.WG_ERR_HANDLER_FAILED.message}: ${err instanceof Error ? err.message : String(err)}`;
    void this.close('handler_error', { code: 'WG_ERR_HANDLER_FAILED', message });
  }

  private warn(code: ErrorCode, detail: string): void {
    this.config.sink.send({ type: 'warning', code, message: new WavegateError(code, detail).message });
  }

  private joinPacer(): void {
    if (this.paced || this.closed) return;
    this.paced = true;
    this.config.pacer.join(this);
  }

  private context(): HandlerContext {
    const { config } = this;
    return {
      sessionId: this.id,
      inputSampleRate: config.handlerInputRate ?? config.inputFormat.sampleRate,
      outputSampleRate: config.outputFormat.sampleRate,
      phone: config.phone,
      signal: this.abort.signal,
      send: (output) => this.deliver(output),
      wake: () => this.runner.wake(),
      latestInput: () => this.latestInput,
      outputBacklogMs: () => this.output.backlogMs,
    };
  }
}
