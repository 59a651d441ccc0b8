import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * The longest a batch holds its writes, ms: a turn that has been reading for longer writes what it has
 * corked so far, then batches on (docs/architecture.md, "Outbound").
 */
export const MAX_BATCH_HOLD_MS = 2;

/**
 * Media writes batched per event-loop turn (docs/architecture.md, "Outbound"). The first media message
 * a connection sends in a turn corks its socket; every socket corked in the turn is uncorked together
 * once the turn's reads have been handled (a `setImmediate`, which runs after the poll phase that read
 * them), so each socket still gets one `writev`, but they come back to back: a client woken by the first
 * reply finds the next ones waiting instead of being woken again for each (uWebSockets corks per loop
 * iteration for the same reason).
 *
 * A batch holds its writes for at most `maxHoldMs`: under load one poll phase can read a thousand
 * sockets, tens of milliseconds of work, and the first reply would wait for all of it. The first cork
 * after the bound writes the batch so far, synchronously, and starts the next one. So what a reply
 * waits is bounded by `maxHoldMs` plus the writes of its own batch, not by the length of the turn.
 *
 * While corked, a socket holds every buffer written to it; `holds(socket)` says so, and the buffers
 * the socket adapter lends (a reused JSON message, a binary payload) are then not written over.
 */
export class TurnWrites {
  #corked: Socket[] = [];
  #spare: Socket[] = [];
  #scheduled = false;
  /** When the open batch's first socket was corked (`clock`, ms). */
  #openedAt = 0;

  constructor(
    private readonly maxHoldMs = MAX_BATCH_HOLD_MS,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Corks `socket` until the end of this turn, or of its batch (once per batch; ws's own cork nests inside). */
  cork(socket: Socket): void {
    if (socket.writableCorked > 0 || socket.destroyed) return;
    if (this.#corked.length === 0) {
      this.#openedAt = this.clock();
    } else {
      const now = this.clock();
      if (now - this.#openedAt >= this.maxHoldMs) {
        this.#write();
        this.#openedAt = now;
      }
    }
    socket.cork();
    this.#corked.push(socket);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Whether `socket` still holds what was written to it: corked in the open batch, or not all written yet. */
  holds(socket: Socket): boolean {
    return socket.writableCorked > 0 || socket.writableLength > 0;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    this.#write();
  };

  /** Uncorks every socket of the open batch: each writes what it holds. */
  #write(): void {
    const corked = this.#corked;
    this.#corked = this.#spare;
    for (const socket of corked) socket.uncork();
    corked.length = 0;
    this.#spare = corked;
  }
}

/** The gateway's one batcher: every connection of the process uncorks in the same immediate. */
export const turnWrites = new TurnWrites();
