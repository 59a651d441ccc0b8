import WebSocket from 'ws';
import { encodeMulaw } from '../../src/codecs/g711.js';

/**
 * A clean session beside fuzzing, soak or load (docs/security.md, "Bystander fidelity"): it streams a
 * 440 Hz μ-law tone at 8 kHz in real time through the echo handler on `/websocket/offer`, in talk
 * spurts separated by silence (no packets), and counts the samples that come back. An echo must return
 * what it got, within one frame per talk spurt.
 */
export interface BystanderOptions {
  /** Talk spurt length in frames (20 ms each), default 150 (3 s). */
  spurtFrames?: number;
  /** Pause between spurts, ms (no packets), default 600. */
  pauseMs?: number;
  /** Busy-waits this many ms before sending frame `k` (an injected event-loop stall), if it returns > 0. */
  stallBefore?: (k: number) => number;
  /** Session id, default `bystander`. */
  id?: string;
}

export interface BystanderResult {
  readonly sentSamples: number;
  readonly backSamples: number;
  /** backSamples / sentSamples. */
  readonly ratio: number;
  readonly spurts: number;
  /** The tolerance of "± one frame per talk spurt", as a ratio: spurts × 160 / sentSamples. */
  readonly frameTolerance: number;
  readonly closeCode: number | undefined;
  readonly errors: readonly string[];
}

const FRAME = 160;

function tone(): string {
  return Buffer.from(encodeMulaw(Int16Array.from({ length: FRAME }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000))))).toString('base64');
}

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // an event loop held up
  }
}

export class EchoBystander {
  private readonly socket: WebSocket;
  private readonly options: Required<Omit<BystanderOptions, 'stallBefore'>> & Pick<BystanderOptions, 'stallBefore'>;
  private stopping = false;
  private sentSamples = 0;
  private backSamples = 0;
  private spurts = 0;
  private lastBackAt = 0;
  private closeCode: number | undefined;
  private readonly errors: string[] = [];
  private readonly running: Promise<void>;

  private constructor(socket: WebSocket, options: BystanderOptions) {
    this.socket = socket;
    this.options = { spurtFrames: 150, pauseMs: 600, id: 'bystander', ...options };
    socket.on('message', (data, isBinary) => {
      if (isBinary) return;
      const m = JSON.parse(data.toString()) as { event?: string; media?: { payload: string }; type?: string; code?: string };
      if (m.event === 'media' && m.media) {
        this.backSamples += Buffer.from(m.media.payload, 'base64').length;
        this.lastBackAt = performance.now();
      } else if (m.type === 'error' || m.type === 'warning') this.errors.push(m.code ?? '?');
    });
    socket.on('close', (code) => (this.closeCode = code));
    socket.send(JSON.stringify({ event: 'start', websocket_id: this.options.id, mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 }, outputFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 } }));
    this.running = this.run();
  }

  /** Connects to `baseUrl` (http://…) and starts streaming. */
  static start(baseUrl: string, options: BystanderOptions = {}, headers: Record<string, string> = {}): Promise<EchoBystander> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/websocket/offer`, { headers });
      socket.once('open', () => resolve(new EchoBystander(socket, options)));
      socket.once('error', reject);
    });
  }

  private async run(): Promise<void> {
    const payload = JSON.stringify({ event: 'media', media: { payload: tone() } });
    let k = 0;
    while (!this.stopping && this.socket.readyState === WebSocket.OPEN) {
      this.spurts++;
      const start = performance.now();
      for (let i = 0; i < this.options.spurtFrames && this.socket.readyState === WebSocket.OPEN; i++, k++) {
        const stall = this.options.stallBefore?.(k) ?? 0;
        if (stall > 0) busyWait(stall);
        const wait = start + i * 20 - performance.now();
        if (wait > 1) await new Promise((r) => setTimeout(r, wait));
        this.socket.send(payload);
        this.sentSamples += FRAME;
      }
      await new Promise((r) => setTimeout(r, this.options.pauseMs));
    }
  }

  /** Ends after the current spurt, waits for the echo's tail (quiet for 1.5 s, at most 15 s), and reports. */
  async stop(): Promise<BystanderResult> {
    this.stopping = true;
    await this.running;
    const deadline = performance.now() + 15_000;
    for (;;) {
      const quiet = performance.now() - this.lastBackAt;
      if (performance.now() > deadline || quiet > 1500 || (this.backSamples >= this.sentSamples && quiet > 300)) break;
      if (this.socket.readyState !== WebSocket.OPEN) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify({ event: 'stop' }));
      await new Promise((r) => {
        this.socket.once('close', r);
        setTimeout(r, 5000);
      });
    }
    return {
      sentSamples: this.sentSamples,
      backSamples: this.backSamples,
      ratio: this.backSamples / Math.max(1, this.sentSamples),
      spurts: this.spurts,
      frameTolerance: (this.spurts * FRAME) / Math.max(1, this.sentSamples),
      closeCode: this.closeCode,
      errors: this.errors,
    };
  }
}
