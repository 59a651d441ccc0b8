import type { AudioFrame } from '../audio/audio-frame.js';
import { mixToMono } from '../audio/mix-to-mono.js';
import type { Handler, HandlerContext, HandlerDefinition, HandlerOutput } from '../handler/handler.js';
import { HandlerRunner } from '../media-path/handler-runner.js';
import { resamplerFor } from '../resample/resampler-tier.js';
import type { StreamingResampler } from '../resample/streaming-resampler.js';
import { ParticipantInput } from './participant-input.js';
import type { MixerMember } from './room-mixer.js';

export interface HandlerParticipantHost {
  readonly roomRate: number;
  readonly frameMs: number;
  readonly frameSamples: number;
  /** A transcript, log or warning the handler produced (labelled by the room). */
  said(participant: HandlerParticipant, output: Exclude<HandlerOutput, { type: 'audio' | 'clear' | 'mark' | 'end_stream' }>): void;
  /** The handler ended itself (`end_stream`) or failed. */
  ended(participant: HandlerParticipant, error?: unknown): void;
}

/**
 * A handler sitting in a room like a person (docs/rooms.md, "Handlers as participants"): it hears a mix
 * (or one speaker's own stream, `speaker` set) through its runner, with the same guarantees as in a
 * session (startUp first, calls in order, shutdown once), and what it says is queued at the room's rate
 * and taken one frame per mixing tick, so everyone hears it. Barge-in clears that queue.
 */
export class HandlerParticipant {
  readonly id: string;
  /** The person whose stream this instance hears (per-speaker mode), else null. */
  readonly speaker: string | null;
  readonly member: MixerMember;
  readonly input: ParticipantInput;
  /** Its entry in the room's per-tick level list (reused). */
  readonly level: [string, number];
  private readonly runner: HandlerRunner;
  private readonly host: HandlerParticipantHost;
  private readonly abort = new AbortController();
  private readonly handlerRate: number;
  private readonly toHandler: StreamingResampler | undefined;
  private fromHandler: { rate: number; stream: StreamingResampler } | undefined;
  private streamMs = 0;
  private closed = false;

  constructor(id: string, speaker: string | null, definition: HandlerDefinition<any>, options: Record<string, unknown>, host: HandlerParticipantHost, hearsMix: boolean) {
    this.id = id;
    this.speaker = speaker;
    this.level = [id, 0];
    this.host = host;
    const handler: Handler = definition.create(options);
    this.handlerRate = definition.inputSampleRate ?? host.roomRate;
    this.toHandler = this.handlerRate === host.roomRate ? undefined : resamplerFor(host.roomRate, this.handlerRate, 'audio/x-l16');
    // A reply may be queued whole (two minutes at most); one frame is enough to start it.
    this.input = new ParticipantInput({ frameSamples: host.frameSamples, primeFrames: 1, maxFrames: Infinity, capacity: Math.ceil(120_000 / host.frameMs) });
    this.member = {
      id,
      input: this.input,
      muted: false,
      gain: 1,
      listener: hearsMix ? (pcm) => this.hear(pcm) : undefined,
      always: true,
      frame: undefined,
      level: 0,
      heard: false,
    };
    this.runner = new HandlerRunner(handler, {
      maxPending: Math.ceil(2000 / host.frameMs),
      maxEmitsPerDrain: 64,
      shutdownTimeoutMs: 5000,
      deliver: (output) => this.deliver(output),
      fail: (err) => {
        console.error(`wavegate: room handler ${id} failed:`, err);
        this.host.ended(this, err);
      },
    });
    this.runner.startUp(this.context());
  }

  /** True while its reply is queued or playing. */
  get speaking(): boolean {
    return this.input.queuedFrames > 0;
  }

  /** One frame of what it hears (lent for the call): converted to the handler's rate, given to the runner. */
  hear(pcm: Int16Array): void {
    if (this.closed) return;
    let samples: Int16Array;
    if (this.toHandler) {
      samples = new Int16Array(this.toHandler.outputLength(pcm.length));
      const n = this.toHandler.processInto(pcm, samples);
      if (n < samples.length) samples = samples.subarray(0, n);
    } else samples = pcm.slice();
    if (samples.length === 0) return;
    const frame: AudioFrame = { samples, sampleRate: this.handlerRate, channels: 1, timestamp: this.streamMs };
    this.streamMs += this.host.frameMs;
    this.runner.receive(frame);
  }

  /** Barge-in: what it has queued is dropped (never heard). */
  clear(): void {
    this.input.clear();
    this.fromHandler?.stream.reset();
  }

  close(): Promise<void> {
    this.closed = true;
    this.abort.abort();
    return this.runner.shutdown('handler_closed');
  }

  private deliver(output: HandlerOutput): void {
    if (this.closed) return;
    switch (output.type) {
      case 'audio':
        this.queueAudio(output.frame);
        return;
      case 'clear':
        this.clear();
        return;
      case 'mark':
        // Nobody confirms marks in a room: it counts as heard once queued.
        this.runner.event({ type: 'mark', name: output.name });
        return;
      case 'end_stream':
        this.host.ended(this);
        return;
      default:
        this.host.said(this, output);
    }
  }

  private queueAudio(frame: AudioFrame): void {
    const samples = mixToMono(frame.samples, frame.channels);
    if (frame.sampleRate === this.host.roomRate) {
      this.input.push(samples);
      return;
    }
    if (this.fromHandler?.rate !== frame.sampleRate) this.fromHandler = { rate: frame.sampleRate, stream: resamplerFor(frame.sampleRate, this.host.roomRate, 'audio/x-l16') };
    const out = new Int16Array(this.fromHandler.stream.outputLength(samples.length));
    const n = this.fromHandler.stream.processInto(samples, out);
    this.input.push(out, 0, n);
  }

  private context(): HandlerContext {
    return {
      sessionId: this.id,
      inputSampleRate: this.handlerRate,
      outputSampleRate: this.host.roomRate,
      phone: undefined,
      signal: this.abort.signal,
      send: (output) => this.deliver(output),
      wake: () => this.runner.wake(),
      outputBacklogMs: () => this.input.queuedFrames * this.host.frameMs,
      latestInput: () => undefined,
    };
  }
}
