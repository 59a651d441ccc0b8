import { frameDurationMs } from '../audio/audio-frame.js';
import type { HandlerOutput } from '../handler/handler.js';
import { isAudioFrame, type ReplyItem } from './reply-types.js';

export interface ReplyPumpOptions {
  /** Most audio (ms) allowed to wait in the session's output queue before the generator is pulled again. */
  maxLeadMs: number;
  send(output: HandlerOutput): void;
  /** Audio queued for the client and not yet sent (the session's `outputBacklogMs()`). */
  backlogMs(): number;
}

/**
 * Pulls one reply generator and forwards what it yields, pacing audio on the session's output
 * backlog so a fast generator never floods the bounded output queue and a barge-in wastes little.
 * `response_starting` goes out before the first audio (or at the end if there was none), as in FastRTC.
 * `stop()` aborts: nothing the generator yields afterwards is sent, and `return()` is called on it.
 */
export class ReplyPump {
  readonly abort = new AbortController();
  /** Audio sent so far (ms). */
  audioMs = 0;
  sentAudio = false;
  private iterator: AsyncIterator<ReplyItem> | Iterator<ReplyItem> | undefined;
  private readonly options: ReplyPumpOptions;

  constructor(options: ReplyPumpOptions) {
    this.options = options;
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  async run(items: AsyncIterable<ReplyItem> | Iterable<ReplyItem>): Promise<void> {
    const { send, backlogMs, maxLeadMs } = this.options;
    const signal = this.abort.signal;
    const iterator = Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : (items as Iterable<ReplyItem>)[Symbol.iterator]();
    this.iterator = iterator;
    if (signal.aborted) {
      this.closeIterator();
      return;
    }
    while (!signal.aborted) {
      const ahead = backlogMs();
      if (ahead > maxLeadMs) {
        await sleep(Math.max(5, ahead - maxLeadMs), signal);
        continue;
      }
      const next = await iterator.next();
      if (signal.aborted || next.done) break;
      const item = next.value;
      if (isAudioFrame(item)) {
        if (!this.sentAudio) {
          send({ type: 'log', data: 'response_starting' });
          this.sentAudio = true;
        }
        send({ type: 'audio', frame: item });
        this.audioMs += frameDurationMs(item);
      } else if (typeof item === 'object' && item !== null && typeof (item as HandlerOutput).type === 'string') {
        send(item);
      } else {
        throw new TypeError(`a reply yielded ${String(item)}: expected an AudioFrame or a handler output`);
      }
    }
    if (!signal.aborted && !this.sentAudio) send({ type: 'log', data: 'response_starting' });
  }

  /** Barge-in or session end: no more output from this reply; the generator is asked to return. */
  stop(): void {
    if (this.abort.signal.aborted) return;
    this.abort.abort();
    this.closeIterator();
  }

  private closeIterator(): void {
    const it = this.iterator;
    if (!it?.return) return;
    try {
      // An async generator busy in next() queues this return until that step settles; don't wait for it.
      const result = it.return();
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // a generator that throws in its finally block: nothing more to do
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
