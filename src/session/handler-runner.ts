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
  /**
   * The handler is done with a frame: its `receive` returned, or the promise it returned settled, or the
   * frame was dropped unseen. The frame may then be reused (see AudioFrame's ownership rule).
   */
  release?: (frame: AudioFrame) => void;
}

/** One call waiting for the handler. `drain` = call `emit()` until it has nothing (or the drain bound). */
type Task =
  | { readonly kind: 'startUp'; readonly ctx: HandlerContext }
  | { readonly kind: 'receive'; readonly frame: AudioFrame }
  | { readonly kind: 'event'; readonly event: SessionEvent }
  | { readonly kind: 'drain' };

type Step = void | Promise<void>;

const isThenable = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';

/**
 * Runs one handler instance (docs/architecture.md, "The handler runner"): `startUp` first, then
 * `receive`/`onEvent` strictly in order and never overlapping, `emit()` drained after each of them and
 * after `wake()`, and `shutdown()` exactly once, bounded in time. Nothing polls: a silent handler costs
 * nothing.
 *
 * A handler that answers synchronously is called directly: while it is idle, `receive(frame)` calls
 * `handler.receive` and drains `emit()` on the spot, with no promise, no queue and no microtask. Only
 * when a call returns a promise does the runner wait for it; calls made meanwhile (frames, events,
 * wakes, also those the handler causes from inside its own call) wait in a bounded FIFO and run, in
 * order, once it settles. A handler that always has output ready is cut off after `maxEmitsPerDrain`
 * outputs and continued on the next turn of the event loop, after what was queued before.
 */
export class HandlerRunner {
  readonly handler: Handler;
  private readonly options: HandlerRunnerOptions;
  private readonly tasks: Task[] = [];
  /** A handler call is on the stack right now (calls it causes must wait, not nest). */
  private running = false;
  /** The promise of the handler call in progress, when it went asynchronous. */
  private inFlight: Promise<void> | undefined;
  private drainQueued = false;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;
  droppedFrames = 0;
  receivedFrames = 0;

  constructor(handler: Handler, options: HandlerRunnerOptions) {
    this.handler = handler;
    this.options = options;
  }

  /** Runs `startUp` (now, when it is synchronous); frames that come while it is pending wait for it. */
  startUp(ctx: HandlerContext): void {
    if (this.handler.startUp) this.submit({ kind: 'startUp', ctx });
  }

  /** False when the queue is full and the frame was dropped (or the runner has stopped). */
  receive(frame: AudioFrame): boolean {
    if (this.stopped) {
      this.options.release?.(frame);
      return false;
    }
    if (!this.idle && this.tasks.length >= this.options.maxPending) {
      this.droppedFrames++;
      this.options.release?.(frame);
      return false;
    }
    this.submit({ kind: 'receive', frame });
    return true;
  }

  event(event: SessionEvent): void {
    if (!this.handler.onEvent || this.stopped) return;
    this.submit({ kind: 'event', event });
  }

  /** The handler has output ready on its own: call `emit()` (now when idle, else after what is queued). */
  wake(): void {
    if (this.drainQueued || this.stopped || !this.handler.emit) return;
    this.drainQueued = true;
    this.submit({ kind: 'drain' });
  }

  /** Calls waiting or in progress. */
  get pending(): number {
    return this.tasks.length + (this.running || this.inFlight !== undefined ? 1 : 0);
  }

  /**
   * Stops taking work, lets the call in progress finish (bounded), then runs `shutdown(reason)` once.
   * Later calls return the same promise.
   */
  shutdown(reason: CloseReason): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.stopped = true;
      this.dropTasks();
      const { shutdownTimeoutMs } = this.options;
      // A call on the stack now (shutdown may be asked from inside one) may yet return a promise: let it.
      await Promise.resolve();
      if (this.inFlight) await withTimeout(this.inFlight, shutdownTimeoutMs);
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

  private get idle(): boolean {
    return !this.running && this.inFlight === undefined && this.tasks.length === 0;
  }

  private submit(task: Task): void {
    if (!this.idle) {
      this.tasks.push(task);
      return;
    }
    this.execute(task);
    this.runQueued(); // calls the handler caused from inside its own call
  }

  /** Runs queued tasks in order until one goes asynchronous or the queue is empty. */
  private runQueued(): void {
    while (!this.stopped && !this.running && this.inFlight === undefined) {
      const task = this.tasks.shift();
      if (task === undefined) return;
      this.execute(task);
    }
  }

  /** Runs one task; a synchronous one completes here, an asynchronous one becomes `inFlight`. */
  private execute(task: Task): void {
    let step: Step;
    this.running = true;
    try {
      step = this.call(task);
    } catch (err) {
      this.running = false;
      this.failWith(err);
      return;
    }
    this.running = false;
    if (step === undefined) return;
    this.inFlight = step.then(
      () => {
        this.inFlight = undefined;
        this.runQueued();
      },
      (err: unknown) => {
        this.inFlight = undefined;
        this.failWith(err);
      },
    );
  }

  private call(task: Task): Step {
    const { handler } = this;
    switch (task.kind) {
      case 'startUp':
        return settleThen(handler.startUp!(task.ctx), noop);
      case 'receive': {
        this.receivedFrames++;
        const { frame } = task;
        const { release } = this.options;
        let result: unknown;
        try {
          result = handler.receive(frame);
        } finally {
          if (release && !isThenable(result)) release(frame);
        }
        if (!isThenable(result)) return this.drain(0);
        return Promise.resolve(result)
          .finally(() => release?.(frame))
          .then(this.drainFromStart);
      }
      case 'event':
        return settleThen(handler.onEvent!(task.event), this.drainFromStart);
      case 'drain':
        return this.drain(0);
    }
  }

  private readonly drainFromStart = (): Step => this.drain(0);

  /** `emit()` until it returns undefined; synchronous while the handler is, a promise once it is not. */
  private drain(from: number): Step {
    if (from === 0) this.drainQueued = false;
    const { emit } = this.handler;
    if (!emit) return undefined;
    for (let i = from; i < this.options.maxEmitsPerDrain; i++) {
      if (this.stopped) return undefined;
      const output = emit.call(this.handler);
      if (isThenable(output)) {
        return Promise.resolve(output).then((value) => {
          if (value === undefined || this.stopped) return undefined;
          this.options.deliver(value);
          return this.drain(i + 1);
        });
      }
      if (output === undefined) return undefined;
      this.options.deliver(output);
    }
    // More may be waiting: let queued calls and the event loop go first, then continue.
    this.drainQueued = true;
    this.tasks.push({ kind: 'drain' });
    return new Promise<void>((resolve) => setImmediate(resolve));
  }

  private failWith(err: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.dropTasks();
    this.options.fail(err);
  }

  /** Forgets what waits; frames in it go back unseen. */
  private dropTasks(): void {
    const { release } = this.options;
    if (release) for (const task of this.tasks) if (task.kind === 'receive') release(task.frame);
    this.tasks.length = 0;
  }
}

const noop = (): undefined => undefined;

/** `then()` after `result` settles: at once when it is not a promise, else after it resolves. */
function settleThen(result: unknown, then: () => Step): Step {
  if (!isThenable(result)) return then();
  return Promise.resolve(result).then(then);
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(
      () => undefined,
      () => undefined,
    ),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
