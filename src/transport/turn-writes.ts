import type { Socket } from 'node:net';

/**
 * Media writes batched per event-loop turn (docs/architecture.md, "Outbound"). The first media message
 * a connection sends in a turn corks its socket; every socket corked in the turn is uncorked together
 * once the turn's reads have been handled (a `setImmediate`, which runs after the poll phase that read
 * them), so each socket still gets one `writev`, but they come back to back: a client woken by the first
 * reply finds the next ones waiting instead of being woken again for each (uWebSockets corks per loop
 * iteration for the same reason). What a turn's replies wait is the rest of that turn's work.
 *
 * While corked, a socket holds every buffer written to it; `holds(socket)` says so, and the buffers
 * the socket adapter lends (a reused JSON message, a binary payload) are then not written over.
 */
export class TurnWrites {
  #corked: Socket[] = [];
  #spare: Socket[] = [];
  #scheduled = false;

  /** Corks `socket` until the end of this turn (once per turn; ws's own cork nests inside). */
  cork(socket: Socket): void {
    if (socket.writableCorked > 0 || socket.destroyed) return;
    socket.cork();
    this.#corked.push(socket);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
  }

  /** Whether `socket` still holds what was written to it: corked for this turn, or not all written yet. */
  holds(socket: Socket): boolean {
    return socket.writableCorked > 0 || socket.writableLength > 0;
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const corked = this.#corked;
    this.#corked = this.#spare;
    for (const socket of corked) socket.uncork();
    corked.length = 0;
    this.#spare = corked;
  };
}

/** The gateway's one batcher: every connection of the process uncorks in the same immediate. */
export const turnWrites = new TurnWrites();
