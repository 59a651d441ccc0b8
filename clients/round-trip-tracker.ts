/**
 * Round-trip latency measured two ways (pure: times passed in, ms):
 *
 * - **frame echo** — frame k is back when the reply audio received so far covers the audio sent up
 *   to and including it (less half a frame, which absorbs the few ms of resampler lag on the way);
 *   its RTT is that moment minus the moment frame k was sent. Compares durations, not samples, so
 *   input and output rates may differ. Meaningful for handlers whose output follows the input
 *   (echo, DSP); a handler that answers with other audio makes these numbers meaningless.
 * - **marks** — the client sends `{"event":"mark"}` now and then; the server echoes each once the
 *   output queued before it has been sent. Works with any handler, but measures only the output
 *   side: wavegate queues the mark when it arrives, while the audio sent just before it may still be
 *   in the server's input jitter buffer.
 */
export class RoundTripTracker {
  readonly #toleranceMs: number;
  /** Sent frames not yet back: audio end (ms of stream) and send time. */
  #pending: { endMs: number; sentAt: number }[] = [];
  #pendingHead = 0;
  #sentMs = 0;
  #receivedMs = 0;
  readonly #frameRtts: number[] = [];
  readonly #marks = new Map<string, number>();
  readonly #markRtts: number[] = [];

  constructor(frameMs: number) {
    this.#toleranceMs = frameMs / 2;
  }

  /** Audio sent so far, ms. */
  get sentMs(): number {
    return this.#sentMs;
  }

  /** Reply audio received so far, ms. */
  get receivedMs(): number {
    return this.#receivedMs;
  }

  sent(durationMs: number, now: number): void {
    this.#sentMs += durationMs;
    this.#pending.push({ endMs: this.#sentMs, sentAt: now });
  }

  received(durationMs: number, now: number): void {
    this.#receivedMs += durationMs;
    const p = this.#pending;
    while (this.#pendingHead < p.length && p[this.#pendingHead]!.endMs - this.#toleranceMs <= this.#receivedMs) {
      this.#frameRtts.push(now - p[this.#pendingHead]!.sentAt);
      this.#pendingHead++;
    }
    if (this.#pendingHead > 1024 && this.#pendingHead * 2 > p.length) {
      this.#pending = p.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  markSent(name: string, now: number): void {
    this.#marks.set(name, now);
  }

  /** Records the echo of a mark this tracker sent; returns its RTT, or undefined for an unknown name. */
  markEchoed(name: string, now: number): number | undefined {
    const sentAt = this.#marks.get(name);
    if (sentAt === undefined) return undefined;
    this.#marks.delete(name);
    const rtt = now - sentAt;
    this.#markRtts.push(rtt);
    return rtt;
  }

  frameRtts(): readonly number[] {
    return this.#frameRtts;
  }

  markRtts(): readonly number[] {
    return this.#markRtts;
  }
}
