import type { AudioFrame } from '../audio/audio-frame.js';
import { allocSamples } from '../audio/sample-pool.js';
import type { SessionTap } from '../session/session-tap.js';

/**
 * A session's taps (recorders, analysers) fed copies of its audio on one clock: what the handler
 * receives and what is sent, timed in ms since the session's first media, input or output, passed (a
 * transport that connects a while after the session opens, WebRTC's ICE and DTLS, records no lead-in).
 * Input that starts after output is placed after it, so the two sides of a recording stay aligned.
 * Taps may keep what they see, and the media path lends its frames (docs/architecture.md, "Who owns
 * which bytes"), so each tap call gets a copy; with no taps nothing is copied.
 */
export class TapFeed {
  private readonly taps: readonly SessionTap[];
  private readonly openedAt: number;
  private readonly outputRate: number;
  /** Taps' time zero, ms after the session opened. */
  private mediaOriginMs: number | undefined;
  /** Where input stream time 0 sits on the taps' clock. */
  private inputOffsetMs: number | undefined;

  constructor(taps: readonly SessionTap[], openedAt: number, outputRate: number) {
    this.taps = taps;
    this.openedAt = openedAt;
    this.outputRate = outputRate;
  }

  get active(): boolean {
    return this.taps.length > 0;
  }

  /** A frame the handler is about to receive (lent: copied here). */
  input(frame: AudioFrame, now: number): void {
    this.inputOffsetMs ??= this.time(now);
    const copy: AudioFrame = { ...frame, samples: frame.samples.slice(), timestamp: frame.timestamp + this.inputOffsetMs };
    for (const tap of this.taps) tap.onInput(copy);
  }

  /** PCM of a frame just sent (a view of the output ring: copied here). */
  output(pcm: Int16Array, now: number): void {
    const samples = allocSamples(pcm.length);
    samples.set(pcm);
    const frame: AudioFrame = { samples, sampleRate: this.outputRate, channels: 1, timestamp: this.time(now) };
    for (const tap of this.taps) tap.onOutput(frame);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.taps.map((tap) => tap.close()));
  }

  /** `now` on the taps' clock; the first call sets its zero. */
  private time(now: number): number {
    const sinceOpen = now - this.openedAt;
    this.mediaOriginMs ??= sinceOpen;
    return sinceOpen - this.mediaOriginMs;
  }
}
