// Test helper (not a test): a /ws/call/ client over a real socket, with a queue of received messages.
import WebSocket from 'ws';

export interface Received {
  type: string;
  data?: Record<string, unknown>;
  code?: string;
  message?: string;
  raw: string;
}

export class CallClient {
  private readonly inbox: Received[] = [];
  private waiters: Array<() => void> = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;

  private constructor(
    readonly socket: WebSocket,
    readonly label: string,
  ) {
    socket.on('message', (data) => {
      const raw = data.toString();
      this.inbox.push({ ...(JSON.parse(raw) as Omit<Received, 'raw'>), raw });
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code) => {
        this.closeCode = code;
        for (const wake of this.waiters.splice(0)) wake();
        resolve(code);
      }),
    );
  }

  /** Connects to `${baseUrl}/ws/call/` and returns once open (the `connection` message stays in the queue). */
  static async connect(baseUrl: string, label = 'client'): Promise<CallClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws/call/`);
    const client = new CallClient(socket, label);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return client;
  }

  /** Connects, reads the `connection` message and logs in. */
  static async login(baseUrl: string, name: string): Promise<CallClient> {
    const client = await CallClient.connect(baseUrl, name);
    await client.next('connection');
    client.send('login', { name });
    const reply = await client.next();
    if (reply.type !== 'logged_in') throw new Error(`${name}: login answered ${reply.raw}`);
    return client;
  }

  /** Whether a message is waiting to be read. */
  get hasMessage(): boolean {
    return this.inbox.length > 0;
  }

  send(type: string, data?: unknown): void {
    this.socket.send(JSON.stringify(data === undefined ? { type } : { type, data }));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** The next message (optionally of a type: others before it are an error), waiting up to timeoutMs. */
  async next(type?: string, timeoutMs = 10_000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (this.inbox.length === 0) {
      if (this.closeCode !== undefined) throw new Error(`${this.label}: socket closed (${this.closeCode}) while waiting for ${type ?? 'a message'}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.label}: no message within ${timeoutMs} ms (waiting for ${type ?? 'any'})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const message = this.inbox.shift()!;
    if (type !== undefined && message.type !== type) throw new Error(`${this.label}: expected ${type}, got ${message.raw}`);
    return message;
  }

  /** The next message must be an error with this code. */
  async error(code: string, timeoutMs?: number): Promise<Received> {
    const message = await this.next('error', timeoutMs);
    if (message.code !== code) throw new Error(`${this.label}: expected ${code}, got ${message.raw}`);
    return message;
  }

  /** Nothing arrives for `ms`. */
  async silent(ms = 300): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.inbox.length > 0) throw new Error(`${this.label}: expected silence, got ${this.inbox.map((m) => m.raw).join(' ')}`);
  }

  async close(): Promise<void> {
    if (this.closeCode === undefined) {
      this.socket.close();
      await this.closed;
    }
  }
}
