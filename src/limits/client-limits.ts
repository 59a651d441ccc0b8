import rateLimiterFlexible from 'rate-limiter-flexible';
import { Counter, type Registry } from 'prom-client';
import { createClient } from 'redis';
import type { ErrorCode } from '../errors/error-codes.js';
import type { SessionHold } from './request-client.js';

const { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } = rateLimiterFlexible;
type Limiter = InstanceType<typeof RateLimiterMemory> | InstanceType<typeof RateLimiterRedis>;
type RedisClient = ReturnType<typeof createClient>;

export interface ClientLimitOptions {
  /** Most HTTP requests per second from one client address; null = no limit. */
  readonly requestsPerSecond: number | null;
  /** Most WebSocket connection attempts per second from one client address; null = no limit. */
  readonly connectionsPerSecond: number | null;
  /** Most sessions (WebSockets, WebRTC peers) open at once from one client address; null = no limit. */
  readonly sessions: number | null;
  /** redis://… shared by the gateway's processes: the two rates then hold across all of them. */
  readonly redisUrl?: string | null;
}

export type LimitVerdict = { readonly ok: true } | { readonly ok: false; readonly code: ErrorCode; readonly detail: string; readonly retryAfterS: number };

const OK: LimitVerdict = { ok: true };

/**
 * Per-client-address limits (docs/security.md#abuse-limits), kept by rate-limiter-flexible: request and
 * connection rates over one-second windows (in Redis when `redisUrl` is set, so they hold across the
 * deployment's processes, with this process's memory as insurance while Redis is unreachable), and a
 * count of sessions open at once, per process (points that never expire, given back on release; a
 * client with none open is forgotten: a count in Redis would outlive a crashed process). Refusals are
 * counted on /metrics as `wavegate_client_refusals_total{limit}`.
 */
export class ClientLimits {
  readonly #requests: Limiter | undefined;
  readonly #connections: Limiter | undefined;
  readonly #sessions: Limiter | undefined;
  readonly #options: ClientLimitOptions;
  readonly #refusals: Counter<'limit'> | undefined;
  readonly #redis: RedisClient | undefined;

  constructor(options: ClientLimitOptions, registry?: Registry) {
    this.#options = options;
    const rates = options.requestsPerSecond !== null || options.connectionsPerSecond !== null;
    if (rates && options.redisUrl) {
      this.#redis = createClient({
        url: options.redisUrl,
        // While Redis is away every command fails at once and the insurance limiter decides.
        disableOfflineQueue: true,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** Math.min(retries, 10), 5000), connectTimeout: 2000 },
      });
      this.#redis.on('error', () => {});
    }
    const rate = (points: number, keyPrefix: string): Limiter => {
      const insurance = new RateLimiterMemory({ points, duration: 1, keyPrefix });
      if (this.#redis === undefined) return insurance;
      return new RateLimiterRedis({ storeClient: this.#redis, useRedisPackage: true, points, duration: 1, keyPrefix: `wavegate:limit:${keyPrefix}`, insuranceLimiter: insurance });
    };
    if (options.requestsPerSecond !== null) this.#requests = rate(options.requestsPerSecond, 'req');
    if (options.connectionsPerSecond !== null) this.#connections = rate(options.connectionsPerSecond, 'conn');
    if (options.sessions !== null) this.#sessions = new RateLimiterMemory({ points: options.sessions, duration: 0, keyPrefix: 'sess' });
    if (registry) this.#refusals = new Counter({ name: 'wavegate_client_refusals_total', help: 'Requests, connections and sessions refused by the per-client limits or allowed origins.', labelNames: ['limit'], registers: [registry] });
  }

  /** Connects to Redis in the background (limits apply from memory until it answers). */
  start(): void {
    void this.#redis?.connect().catch(() => {});
  }

  async close(): Promise<void> {
    const client = this.#redis;
    if (client === undefined) return;
    if (client.isReady) await client.close().catch(() => client.destroy());
    else if (client.isOpen) client.destroy();
  }

  get enabled(): boolean {
    return this.#requests !== undefined || this.#connections !== undefined || this.#sessions !== undefined;
  }

  /** Counts a refusal decided elsewhere (e.g. an origin not allowed). */
  countRefusal(limit: 'requests' | 'connections' | 'sessions' | 'origin'): void {
    this.#refusals?.inc({ limit });
  }

  admitRequest(address: string): Promise<LimitVerdict> {
    return this.#rate(this.#requests, address, 'requests', `more than ${this.#options.requestsPerSecond} requests per second from ${address}`);
  }

  admitConnection(address: string): Promise<LimitVerdict> {
    return this.#rate(this.#connections, address, 'connections', `more than ${this.#options.connectionsPerSecond} connection attempts per second from ${address}`);
  }

  async holdSession(address: string): Promise<SessionHold> {
    const limiter = this.#sessions;
    if (limiter === undefined) return { ok: true, release: () => {} };
    try {
      await limiter.consume(address);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // A refused attempt still counted one point: give it back.
      await limiter.reward(address, 1);
      this.countRefusal('sessions');
      return { ok: false, code: 'WG_ERR_CLIENT_SESSION_LIMIT', detail: `${this.#options.sessions} sessions already open from ${address}` };
    }
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        void limiter.reward(address, 1).then((res) => {
          if (res.consumedPoints <= 0) return limiter.delete(address);
          return undefined;
        });
      },
    };
  }

  async #rate(limiter: Limiter | undefined, address: string, limit: 'requests' | 'connections', detail: string): Promise<LimitVerdict> {
    if (limiter === undefined) return OK;
    try {
      await limiter.consume(address);
      return OK;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      this.countRefusal(limit);
      return { ok: false, code: 'WG_ERR_CLIENT_RATE_LIMIT', detail, retryAfterS: Math.max(1, Math.ceil(err.msBeforeNext / 1000)) };
    }
  }
}
