import { mixToMono } from '../audio/mix-to-mono.js';
import { createAudioFrame, type AudioFrame } from '../audio/audio-frame.js';
import { checkOption, inRange } from '../dsp/option-check.js';
import { WavegateError } from '../errors/wavegate-error.js';
import type { CloseReason, Handler, HandlerContext, HandlerDefinition, HandlerOutput, SessionEvent } from '../handler/handler.js';
import { FrameSplitter } from '../audio/frame-splitter.js';
import type { VadFactory, VoiceActivityDetector } from '../vad/voice-activity-detector.js';
import { assertVadAvailable, chooseVad, type VadName } from '../vad/vad-choice.js';
import { PauseDetector, type TurnSignal } from './pause-detector.js';
import { ReplyPump } from './reply-pump.js';
import type { ListenContext, ReplyFn, UtteranceListener } from './reply-types.js';
import { resolveAlgoOptions, type AlgoOptions, type VadOptions } from './turn-options.js';

export interface ReplyOnPauseOptions<R = unknown> {
  /** FastRTC's AlgoOptions (camelCase). */
  algoOptions: Partial<AlgoOptions>;
  /** Options of the chosen detector (the WebRTC VAD's or Silero's). */
  vadOptions: Partial<VadOptions>;
  /** `'silero'`, `'webrtc'`, or another detector's factory. Default: DEFAULT_VAD (src/vad/vad-choice.ts). */
  vad: VadFactory | VadName | undefined;
  /** Speech while a reply plays stops it (barge-in). false: input is ignored while replying, as FastRTC. */
  canInterrupt: boolean;
  /** Wait for `POST /input` arguments before the first reply (the client is sent `send_input`). */
  needsInputs: boolean;
  /** Most reply audio (ms) kept queued in the session ahead of playback; what a barge-in throws away. */
  maxReplyLeadMs: number;
  /** Rate the handler wants its input at; the session converts. One of the VAD's rates. */
  inputSampleRate: number;
  /** A streaming tap on each turn (e.g. a recogniser decoding while the user talks). */
  listen: ((ctx: ListenContext) => UtteranceListener<R>) | undefined;
}

export const DEFAULT_REPLY_ON_PAUSE_OPTIONS: ReplyOnPauseOptions = {
  algoOptions: {},
  vadOptions: {},
  vad: undefined,
  canInterrupt: true,
  needsInputs: false,
  maxReplyLeadMs: 300,
  inputSampleRate: 16_000,
  listen: undefined,
};

export interface ResolvedReplyOnPauseOptions<R> extends ReplyOnPauseOptions<R> {
  readonly algo: AlgoOptions;
  readonly vadFactory: VadFactory;
  /** The built-in detector chosen, or 'custom' for a factory. */
  readonly vadName: VadName | 'custom';
  /** Resolves when the detector can run (a Silero detector named explicitly loads its model). */
  readonly vadReady: () => Promise<void>;
}

/** Defaults spread first, every option checked; throws a TypeError naming the offending value. */
export function resolveReplyOnPauseOptions<R>(options: Partial<ReplyOnPauseOptions<R>>): ResolvedReplyOnPauseOptions<R> {
  const o = { ...(DEFAULT_REPLY_ON_PAUSE_OPTIONS as ReplyOnPauseOptions<R>), ...options };
  checkOption(typeof o.canInterrupt === 'boolean', 'canInterrupt', o.canInterrupt, 'a boolean');
  checkOption(typeof o.needsInputs === 'boolean', 'needsInputs', o.needsInputs, 'a boolean');
  checkOption(inRange(o.maxReplyLeadMs, 0, 10_000), 'maxReplyLeadMs', o.maxReplyLeadMs, 'a number of ms from 0 to 10000');
  checkOption(Number.isInteger(o.inputSampleRate) && o.inputSampleRate > 0, 'inputSampleRate', o.inputSampleRate, 'a positive integer');
  checkOption(o.vad === undefined || typeof o.vad === 'function' || o.vad === 'silero' || o.vad === 'webrtc', 'vad', o.vad, "'silero', 'webrtc' or a VAD factory function");
  checkOption(o.listen === undefined || typeof o.listen === 'function', 'listen', o.listen, 'a function');
  const algo = resolveAlgoOptions(o.algoOptions);
  if (typeof o.vad === 'function') return { ...o, algo, vadFactory: o.vad, vadName: 'custom', vadReady: () => Promise.resolve() };
  const choice = chooseVad(o.vad, o.vadOptions);
  return { ...o, algo, vadFactory: choice.factory, vadName: choice.name, vadReady: () => assertVadAvailable(choice) };
}

/**
 * FastRTC's ReplyOnPause for wavegate: collects the user's turn with a real VAD, and when the user
 * pauses calls `fn` with the whole utterance and streams what it yields back (audio paced, events at
 * once), emitting `log` started_talking / pause_detected / response_starting. Barge-in happens on
 * speech start, not at the end of the next turn: the reply is aborted, its generator returned, and
 * the client gets `clear`, which also drops audio the session had queued.
 *
 *   createGateway({ handler: replyOnPause(async function* (turn) { yield turn.audio; }) })
 */
export function replyOnPause<R = unknown>(fn: ReplyFn<R>, options: Partial<ReplyOnPauseOptions<R>> = {}, name = 'reply-on-pause'): HandlerDefinition<Record<string, unknown>> {
  checkOption(typeof fn === 'function', 'fn', fn, 'a reply function');
  const resolved = resolveReplyOnPauseOptions(options);
  return {
    name,
    inputSampleRate: resolved.inputSampleRate,
    check: () => resolved.vadReady(),
    create: () => new ReplyOnPauseHandler(fn, resolved),
  };
}

/**
 * The handler behind `replyOnPause`. With `fn` undefined it only detects turns and drives the
 * listener (the ASR handler: transcripts, no reply audio, nothing to interrupt).
 */
export class ReplyOnPauseHandler<R = unknown> implements Handler {
  private readonly fn: ReplyFn<R> | undefined;
  private readonly o: ResolvedReplyOnPauseOptions<R>;
  private ctx: HandlerContext | undefined;
  private vad: VoiceActivityDetector | undefined;
  private framer: FrameSplitter | undefined;
  private detector: PauseDetector | undefined;
  private listener: UtteranceListener<R> | undefined;
  private reply: ReplyPump | undefined;
  private inputWaiters: Array<() => void> = [];
  private turnStartMs = 0;
  private closed = false;
  /** Counters for tests and stats. */
  readonly counts = { turns: 0, bargeIns: 0, replyErrors: 0 };

  constructor(fn: ReplyFn<R> | undefined, options: ResolvedReplyOnPauseOptions<R>) {
    this.fn = fn;
    this.o = options;
  }

  async startUp(ctx: HandlerContext): Promise<void> {
    this.ctx = ctx;
    try {
      this.vad = await this.o.vadFactory(ctx.inputSampleRate);
    } catch (err) {
      throw new WavegateError('WG_ERR_HANDLER_UNAVAILABLE', `voice activity detector at ${ctx.inputSampleRate} Hz: ${(err as Error).message}`, { cause: err });
    }
    this.framer = new FrameSplitter(this.vad.frameSamples);
    this.detector = new PauseDetector(this.o.algo, this.vad.frameMs);
  }

  receive(frame: AudioFrame): void {
    const { vad, framer, detector } = this;
    if (!vad || !framer || !detector || this.closed) return;
    if (this.reply && !this.o.canInterrupt) return; // FastRTC: input ignored while replying
    const mono = mixToMono(frame.samples, frame.channels);
    for (const chunk of framer.push(mono)) {
      const wasTalking = detector.isTalking;
      const signal = detector.push(chunk, vad.isSpeech(chunk));
      if (wasTalking) this.listener?.write(chunk);
      this.onSignal(signal, frame.timestamp);
    }
  }

  onEvent(event: SessionEvent): void {
    if (event.type !== 'input') return;
    const waiters = this.inputWaiters;
    this.inputWaiters = [];
    for (const wake of waiters) wake();
  }

  shutdown(_reason: CloseReason): void {
    this.closed = true;
    this.reply?.stop();
    this.reply = undefined;
    this.listener?.cancel();
    this.listener = undefined;
    for (const wake of this.inputWaiters) wake();
    this.inputWaiters = [];
    this.vad?.close();
  }

  private send(output: HandlerOutput): void {
    if (!this.closed) this.ctx?.send(output);
  }

  private onSignal(signal: TurnSignal, timestamp: number): void {
    if (signal.type === 'started_talking') {
      this.send({ type: 'log', data: 'started_talking' });
      // The turn's audio starts with the pre-roll, before the frame that decided it.
      this.turnStartMs = Math.max(0, timestamp - (signal.preroll.length * 1000) / this.ctx!.inputSampleRate);
      this.bargeIn();
      if (this.o.listen && this.ctx) {
        const ctx = this.ctx;
        this.listener = this.o.listen({ sessionId: ctx.sessionId, sampleRate: ctx.inputSampleRate, send: (output) => this.send(output) });
        this.listener.write(signal.preroll);
      }
    } else if (signal.type === 'pause_detected') {
      this.send({ type: 'log', data: 'pause_detected' });
      const listened = this.listener?.finish();
      listened?.catch(() => undefined); // the reply decides what a failed listener means
      this.listener = undefined;
      this.counts.turns++;
      if (!this.fn) return;
      const audio = createAudioFrame(signal.utterance, this.ctx!.inputSampleRate, 1, this.turnStartMs);
      void this.startReply(audio, listened, signal.reason);
    }
  }

  private bargeIn(): void {
    if (!this.o.canInterrupt) return;
    const reply = this.reply;
    // A finished reply's last audio may still be queued: speech over it is a barge-in too.
    const queued = this.ctx !== undefined && this.ctx.outputBacklogMs() > 0;
    if (reply) {
      this.reply = undefined;
      reply.stop();
    }
    if (reply || queued) {
      this.counts.bargeIns++;
      if (reply?.sentAudio || queued) this.send({ type: 'clear' });
    }
  }

  private async startReply(audio: AudioFrame, listened: Promise<R> | undefined, reason: 'pause' | 'max_length'): Promise<void> {
    const ctx = this.ctx!;
    const pump = new ReplyPump({ maxLeadMs: this.o.maxReplyLeadMs, send: (output) => this.send(output), backlogMs: () => ctx.outputBacklogMs() });
    this.reply = pump;
    const endWithSession = () => pump.stop();
    ctx.signal.addEventListener('abort', endWithSession, { once: true });
    try {
      if (this.o.needsInputs && ctx.latestInput() === undefined) {
        this.send({ type: 'send_input' });
        await new Promise<void>((wake) => {
          this.inputWaiters.push(wake);
          pump.abort.signal.addEventListener('abort', () => wake(), { once: true });
        });
        if (pump.stopped) return;
      }
      const items = this.fn!({ audio, listened, inputs: ctx.latestInput(), signal: pump.abort.signal, sessionId: ctx.sessionId, reason });
      await pump.run(items);
    } catch (err) {
      if (!pump.stopped) {
        this.counts.replyErrors++;
        this.send({ type: 'warning', message: `reply failed: ${err instanceof Error ? err.message : String(err)}` });
      }
    } finally {
      ctx.signal.removeEventListener('abort', endWithSession);
      if (this.reply === pump) {
        this.reply = undefined;
        if (!this.o.canInterrupt) {
          // What was said during the reply was ignored: start listening afresh.
          this.detector?.reset();
          this.framer?.reset();
        }
      }
    }
  }
}
