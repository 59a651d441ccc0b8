import PQueue from 'p-queue';
import type { AudioFrame } from '../audio/audio-frame.js';
import type { CloseReason, Handler, HandlerContext, HandlerOutput, SessionEvent } from '../handler/handler.js';

export interface HandlerRunnerOptions {
  /** Most calls waiting for the handler; more are dropped and counted. */
  maxPending: number;
  /** Most outputs taken from `emit()` in one drain before yielding to other work. */
  maxEmitsPerDrain: number;
  /** How long `shutdown()` may take before the session gives up waiting for it. */
  shutdownTimeoutMs: number;
  /** Where outputs go. */
  deliver: (output: HandlerOutput) => void;
  /** The handler threw (or rejected): the session ends with handler_error. */
  fail: (err: unknown) => void;
}

/**
 * Runs one handler instance: `startUp` first, then `receive`/`onEvent` strictly in order and never
 * overlapping (a p-queue of concurrency 1, bounded), `emit()` drained after each of them and after
 * `wake()`, and `shutdown()` exactly once, bounded in time. Nothing polls: a silent handler costs nothing.
 */
export class HandlerRunner {
  readonly handler: Handler;
  private readonly queue = new PQueue({ concurrency: 1 });
  private readonly options: HandlerRunnerOptions;
  private drainQueued = false;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;
  droppedFrames = 0;
  receivedFrames = 0;

  constructor(handler: Handler, options: HandlerRunnerOptions) {
    this.handler = handler;
    this.options = options;
  }

  /** Queues `startUp`; frames queued meanwhile wait for it. */
  startUp(ctx: HandlerContext): void {
    const { handler } = this;
    if (handler.startUp) this.run(() => handler.startUp!(ctx));
  }

  /** False when the queue is full and the frame was dropped. */
  receive(frame: AudioFrame): boolean {
    if (this.stopped) return false;
    if (this.queue.size >= this.options.maxPending) {
      this.droppedFrames++;
      return false;
    }
    this.run(async () => {
      this.receivedFrames++;
      await this.handler.receive(frame);
      await this.drain();
    });
    return true;
  }

  event(event: SessionEvent): void {
    const { handler } = this;
    if (!handler.onEvent) return;
    this.run(async () => {
      await handler.onEvent!(event);
      await this.drain();
    });
  }

  /** The handler has output ready on its own: call `emit()` soon. */
  wake(): void {
    if (this.drainQueued || this.stopped || !this.handler.emit) return;
    this.drainQueued = true;
    this.run(() => this.drain());
  }

  get pending(): number {
    return this.queue.size + this.queue.pending;
  }

  /**
   * Stops taking work, lets the call in progress finish (bounded), then runs `shutdown(reason)` once.
   * Later calls return the same promise.
   */
  shutdown(reason: CloseReason): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.stopped = true;
      this.queue.clear();
      const { shutdownTimeoutMs } = this.options;
      await withTimeout(this.queue.onIdle(), shutdownTimeoutMs);
      if (this.handler.shutdown) {
        try {
          await withTimeout(Promise.resolve(this.handler.shutdown(reason)), shutdownTimeoutMs);
        } catch (err) {
          console.error('wavegate: handler shutdown failed', err);
        }
      }
    })();
    return this.shutdownPromise;
  }

  private run(task: () => unknown): void {
    this.queue
      .add(async () => {
        if (this.stopped) return;
        await task();
      })
      .catch((err: unknown) => {
        if (this.stopped) return;
        this.stopped = true;
        this.queue.clear();
        this.options.fail(err);
      });
  }

  private async drain(): Promise<void> {
    this.drainQueued = false;
    const { emit } = this.handler;
    if (!emit) return;
    for (let i = 0; i < this.options.maxEmitsPerDrain; i++) {
      if (this.stopped) return;
      const output = await emit.call(this.handler);
      if (output === undefined) return;
      this.options.deliver(output);
    }
    this.wake(); // more may be waiting: yield to queued frames, then continue
  }
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
