import WebSocket from 'ws';

/**
 * A FastRTC-protocol test client for the speech benchmarks and tests: sends `start` with L16 at a
 * chosen rate (binary frames) and asks for L16 back at `outputRate`, streams PCM paced on a drift-free
 * schedule, and records every server message with its arrival time (performance.now()).
 */
export interface ReceivedMessage {
  readonly at: number;
  /** Parsed JSON, or undefined for binary audio. */
  readonly json: Record<string, any> | undefined;
  /** Binary audio (L16 little-endian), when it is audio. */
  readonly audio: Int16Array | undefined;
}

export class SpeechTestClient {
  readonly socket: WebSocket;
  readonly received: ReceivedMessage[] = [];
  readonly closed: Promise<number>;
  private listeners: Array<() => void> = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const at = performance.now();
      if (isBinary) {
        const copy = new Uint8Array(data);
        this.received.push({ at, json: undefined, audio: new Int16Array(copy.buffer, 0, copy.byteLength >> 1) });
      } else {
        this.received.push({ at, json: JSON.parse(data.toString('utf8')) as Record<string, any>, audio: undefined });
      }
      for (const wake of this.listeners.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => resolve(code)));
  }

  static open(wsUrl: string, id: string, inputRate: number, outputRate = 16_000, handlerOptions?: Record<string, unknown>): Promise<SpeechTestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, { perMessageDeflate: false });
      socket.once('error', reject);
      socket.once('open', () => {
        socket.send(
          JSON.stringify({
            event: 'start',
            websocket_id: id,
            mediaFormat: { encoding: 'audio/x-l16', sampleRate: inputRate, channels: 1 },
            outputFormat: { encoding: 'audio/x-l16', sampleRate: outputRate, channels: 1 },
            ...(handlerOptions && { handlerOptions }),
          }),
        );
        resolve(new SpeechTestClient(socket));
      });
    });
  }

  /** Messages of one JSON type (`log`, `transcript`, …) or event (`clear`), in arrival order. */
  json(kind?: string): Array<{ at: number; message: Record<string, any> }> {
    return this.received
      .filter((m) => m.json !== undefined && (kind === undefined || m.json.type === kind || m.json.event === kind))
      .map((m) => ({ at: m.at, message: m.json! }));
  }

  audio(): Array<{ at: number; samples: Int16Array }> {
    return this.received.filter((m) => m.audio !== undefined).map((m) => ({ at: m.at, samples: m.audio! }));
  }

  /** Waits until `check()` holds (re-checked on every message and every 50 ms). */
  async until(check: () => boolean, timeoutMs: number, what = 'condition'): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check()) {
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(50, left));
        this.listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Streams `samples` (at `rate`) as 20 ms binary L16 frames on the schedule start + k·20 ms.
   * Returns the time each frame was sent. `onFrame(k)` runs before frame k goes out.
   */
  async stream(samples: Int16Array, rate: number, onFrame?: (k: number, at: number) => void): Promise<number[]> {
    const step = rate / 50;
    const sentAt: number[] = [];
    const start = performance.now();
    for (let k = 0, o = 0; o < samples.length; k++, o += step) {
      const wait = start + k * 20 - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const frame = new Int16Array(step);
      frame.set(samples.subarray(o, o + step));
      onFrame?.(k, performance.now());
      this.socket.send(new Uint8Array(frame.buffer));
      sentAt.push(performance.now());
    }
    return sentAt;
  }

  async stop(): Promise<number> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ event: 'stop' }));
    return this.closed;
  }
}

