import { createClient } from 'redis';

type Client = ReturnType<typeof createClient>;

export interface RedisConnectionOptions {
  url: string;
  /** How long start() waits for the first connection before going on without Redis (ms). */
  connectTimeoutMs: number;
  /** Longest a command may take before it counts as failed (ms). */
  commandTimeoutMs: number;
  /** Longest wait between reconnect attempts (ms); attempts back off from 50 ms up to this. */
  maxReconnectDelayMs: number;
}

export interface RedisConnectionEvents {
  /** The command connection became ready (first time or after a reconnect). */
  onReady(): void;
  /** A message arrived on a subscribed channel. */
  onMessage(message: string, channel: string): void;
}

/**
 * Two node-redis clients — one for commands, one for pub/sub — that reconnect forever with backoff.
 * The offline queue is off: while disconnected every command fails at once instead of being queued
 * and replayed late (at-most-once, bounded). node-redis re-subscribes by itself after a reconnect.
 */
export class RedisConnection {
  private readonly commands: Client;
  private readonly subscriber: Client;
  private closed = false;
  private wasReady = false;
  private loggedDown = false;

  constructor(
    private readonly options: RedisConnectionOptions,
    private readonly events: RedisConnectionEvents,
  ) {
    const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), options.maxReconnectDelayMs);
    this.commands = createClient({
      url: options.url,
      disableOfflineQueue: true,
      commandOptions: { timeout: options.commandTimeoutMs },
      socket: { reconnectStrategy, connectTimeout: options.connectTimeoutMs },
    });
    this.subscriber = this.commands.duplicate();
    for (const [client, role] of [[this.commands, 'commands'], [this.subscriber, 'pub/sub']] as const) {
      client.on('error', (err: Error) => this.onError(role, err));
    }
    this.commands.on('ready', () => {
      if (this.wasReady || this.loggedDown) console.warn(`wavegate: redis ${this.redacted()} connection restored`);
      this.wasReady = true;
      this.loggedDown = false;
      this.events.onReady();
    });
  }

  get ready(): boolean {
    return this.commands.isReady && this.subscriber.isReady;
  }

  get commandsReady(): boolean {
    return this.commands.isReady;
  }

  /** Connects both clients and subscribes to `channel`; resolves when done or after connectTimeoutMs. */
  async start(channel: string): Promise<void> {
    const subscribed = this.subscriber
      .connect()
      .then(() => this.subscriber.subscribe(channel, (message, from) => this.events.onMessage(message, from)));
    const connected = this.commands.connect();
    const both = Promise.all([subscribed, connected]).then(() => true);
    both.catch(() => undefined); // a close() during connecting rejects; nothing to do then.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.options.connectTimeoutMs);
    });
    const ok = await Promise.race([both.catch(() => false), timeout]);
    clearTimeout(timer);
    if (!ok && !this.closed) console.warn(`wavegate: redis ${this.redacted()} unreachable; relaying locally only and retrying`);
  }

  /** Sends one command; rejects at once when disconnected. */
  async command<T>(args: readonly string[]): Promise<T> {
    if (this.closed) throw new Error('redis connection closed');
    return this.commands.sendCommand<T>(args);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const client of [this.subscriber, this.commands]) {
      if (client.isReady) await client.close().catch(() => client.destroy());
      else if (client.isOpen) client.destroy();
    }
  }

  private onError(role: string, err: Error): void {
    if (this.closed || this.loggedDown) return;
    this.loggedDown = true;
    console.warn(`wavegate: redis ${this.redacted()} (${role}) unavailable: ${err.message}; relaying locally and reconnecting`);
  }

  private redacted(): string {
    try {
      const url = new URL(this.options.url);
      if (url.password) url.password = '***';
      return url.toString();
    } catch {
      return '(bad url)';
    }
  }
}
