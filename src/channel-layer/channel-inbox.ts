import type { ChannelListener, ChannelMessage } from './channel-layer.js';

/**
 * The bounded inbox of one channel: messages are handed to the listener one at a time, in order; a
 * message that finds `capacity` messages already waiting is refused (the caller counts the drop). A
 * listener that throws or rejects loses that message only; the inbox keeps going.
 */
export class ChannelInbox {
  private readonly queue: ChannelMessage[] = [];
  private draining = false;
  private closed = false;
  delivered = 0;

  constructor(
    private readonly listener: ChannelListener,
    private readonly capacity: number,
    private readonly onListenerError: (err: unknown) => void,
  ) {}

  get size(): number {
    return this.queue.length;
  }

  /** False when the inbox is full or closed: the message is dropped. */
  push(message: ChannelMessage): boolean {
    if (this.closed || this.queue.length >= this.capacity) return false;
    this.queue.push(message);
    if (!this.draining) void this.drain();
    return true;
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    this.draining = true;
    // Deliver on a later microtask so a sender never re-enters its own listener synchronously.
    await Promise.resolve();
    while (!this.closed) {
      const message = this.queue.shift();
      if (message === undefined) break;
      this.delivered++;
      try {
        await this.listener(message);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    this.draining = false;
  }
}
