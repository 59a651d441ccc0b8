import WebSocket from 'ws';

/** A raw WebSocket client for tests: every message kept, JSON parsed, binary kept as Buffer. */
export class WsTestClient {
  readonly socket: WebSocket;
  readonly messages: Array<Record<string, any> | Buffer> = [];
  closeCode: number | undefined;
  closeReason = '';
  private waiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => {
      const buffer = data as Buffer;
      this.messages.push(isBinary ? buffer : JSON.parse(buffer.toString('utf8')));
      this.notify();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.notify();
        resolve(code);
      });
    });
  }

  static connect(url: string, options?: WebSocket.ClientOptions): Promise<WsTestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, options);
      const client = new WsTestClient(socket);
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message));
  }

  json(): Array<Record<string, any>> {
    return this.messages.filter((m): m is Record<string, any> => !Buffer.isBuffer(m));
  }

  /** Resolves with the first message (seen so far or later) matching `predicate`. */
  async waitFor(predicate: (m: Record<string, any>) => boolean, timeoutMs = 10_000): Promise<Record<string, any>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.json().find(predicate);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) before the message arrived; got ${JSON.stringify(this.json()).slice(0, 500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.json()).slice(0, 500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async waitClose(timeoutMs = 10_000): Promise<number> {
    return Promise.race([
      this.closed,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('socket did not close')), timeoutMs)),
    ]);
  }

  close(): void {
    this.socket.close();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** Sends `frames` one every `frameMs` on a drift-free schedule (start + k·frameMs). */
export async function sendPaced(frames: readonly unknown[], send: (frame: unknown, k: number) => void, frameMs = 20): Promise<void> {
  const start = performance.now();
  for (let k = 0; k < frames.length; k++) {
    const wait = start + k * frameMs - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    send(frames[k], k);
  }
}
