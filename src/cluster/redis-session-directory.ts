import type { RedisChannelLayer } from '../channel-layer/redis-channel-layer.js';
import { DIRECTORY_ADMIT, DIRECTORY_LIST, DIRECTORY_RELEASE, DIRECTORY_RENEW } from './directory-scripts.js';
import type { DirectoryAdmission, DirectoryEntry, DirectoryStats, SessionDirectory } from './session-directory.js';

export interface RedisSessionDirectoryOptions {
  /** A lease not renewed for this long lapses: its id and its share of the cluster limit are free (ms). */
  readonly leaseMs: number;
  /** Most sessions across the cluster; null = no cluster limit. */
  readonly clusterLimit: number | null;
  /** Longest any directory command may take before Redis counts as lost (ms). */
  readonly timeoutMs: number;
  /** A session of this node lost its id to an earlier session elsewhere (found when renewing). */
  readonly onLost: (id: string) => void;
}

const FIELDS = ['id', 'node', 'channel', 'url', 'transport', 'carrier', 'handler', 'started', 'recording'] as const;

/**
 * The session directory in Redis, on the channel layer's connection (docs/scale-out.md). Leases are
 * renewed every third of their length; while Redis is lost (a command failed or was slower than
 * `timeoutMs`) sessions are admitted against the local limit only and every renewal registers this
 * node's live sessions again, so when Redis returns the directory is resynced by the next renewal.
 */
export class RedisSessionDirectory implements SessionDirectory {
  private readonly held = new Map<string, DirectoryEntry>();
  private readonly pendingReleases = new Set<string>();
  private readonly counts = { admittedDegraded: 0, lost: 0, resyncs: 0, conflictsLost: 0, refusedDuplicate: 0, refusedLimit: 0 };
  private degraded = false;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly layer: RedisChannelLayer,
    private readonly options: RedisSessionDirectoryOptions,
  ) {}

  get nodeId(): string {
    return this.layer.nodeId;
  }

  async start(): Promise<void> {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.renewAll(), Math.max(100, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
    await this.renewAll();
  }

  /**
   * Asks Redis even while degraded (a stall that once exceeded the timeout must not let duplicates in):
   * disconnected, the command fails at once; hung, it waits at most `timeoutMs`. Either way the session
   * is then admitted against the local limit only.
   */
  async admit(entry: DirectoryEntry): Promise<DirectoryAdmission> {
    this.pendingReleases.delete(entry.id);
    try {
      const limit = String(this.options.clusterLimit ?? -1);
      const [ok, reason] = await this.command<[number, string?]>(['EVAL', DIRECTORY_ADMIT, '2', this.setKey, this.key(entry.id), entry.id, String(this.options.leaseMs), limit, ...fieldsOf(entry)]);
      if (ok === 1) {
        this.held.set(entry.id, entry);
        return { ok: true, degraded: false };
      }
      if (reason === 'duplicate') this.counts.refusedDuplicate++;
      else this.counts.refusedLimit++;
      return { ok: false, reason: reason === 'duplicate' ? 'duplicate' : 'limit', limit: this.options.clusterLimit };
    } catch {
      this.markLost();
    }
    // Redis away: the local registry's limit has already admitted it (docs/scale-out.md#failures).
    this.counts.admittedDegraded++;
    this.held.set(entry.id, entry);
    return { ok: true, degraded: true };
  }

  release(id: string): void {
    if (!this.held.delete(id)) return;
    if (this.degraded) {
      this.pendingReleases.add(id);
      return;
    }
    this.command(['EVAL', DIRECTORY_RELEASE, '2', this.setKey, this.key(id), id, this.nodeId]).catch(() => {
      this.pendingReleases.add(id);
      this.markLost();
    });
  }

  async remoteOwner(id: string): Promise<DirectoryEntry | undefined> {
    if (this.held.has(id)) return undefined;
    try {
      const values = await this.command<Array<string | null>>(['HMGET', this.key(id), ...FIELDS]);
      const entry = entryOf(Object.fromEntries(FIELDS.map((name, i) => [name, values[i] ?? null])));
      return entry && entry.node !== this.nodeId ? entry : undefined;
    } catch {
      this.markLost();
      return undefined;
    }
  }

  async list(): Promise<DirectoryEntry[] | null> {
    try {
      const rows = await this.command<string[][]>(['EVAL', DIRECTORY_LIST, '1', this.setKey, this.key('')]);
      const entries: DirectoryEntry[] = [];
      for (const row of rows) {
        const record: Record<string, string | null> = {};
        for (let i = 0; i + 1 < row.length; i += 2) record[row[i] as string] = row[i + 1] ?? null;
        const entry = entryOf(record);
        if (entry) entries.push(entry);
      }
      return entries;
    } catch {
      this.markLost();
      return null;
    }
  }

  stats(): DirectoryStats {
    return { kind: 'redis', degraded: this.degraded, ...this.counts };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.renewing;
    // Sessions are closed (and released) before the directory; whatever is left goes now.
    await Promise.allSettled([...this.held.keys()].map((id) => this.command(['EVAL', DIRECTORY_RELEASE, '2', this.setKey, this.key(id), id, this.nodeId])));
    this.held.clear();
  }

  /** Replays releases, renews (or registers again) every lease of this node; conflicts are settled in the script. */
  private renewAll(): Promise<void> {
    this.renewing ??= (async () => {
      try {
        await this.command(['PING']);
        for (const id of [...this.pendingReleases]) {
          await this.command(['EVAL', DIRECTORY_RELEASE, '2', this.setKey, this.key(id), id, this.nodeId]);
          this.pendingReleases.delete(id);
        }
        const entries = [...this.held.values()];
        const held = await Promise.all(
          entries.map((e) => this.command<number>(['EVAL', DIRECTORY_RENEW, '2', this.setKey, this.key(e.id), e.id, String(this.options.leaseMs), e.node, String(e.started), ...fieldsOf(e)])),
        );
        entries.forEach((entry, i) => {
          if (held[i] === 1 || this.held.get(entry.id) !== entry) return;
          this.held.delete(entry.id);
          this.counts.conflictsLost++;
          this.options.onLost(entry.id);
        });
        if (this.degraded) {
          this.degraded = false;
          this.counts.resyncs++;
          console.warn(`wavegate: session directory resynced (${entries.length} sessions of this node registered again)`);
        }
      } catch {
        this.markLost();
      } finally {
        this.renewing = undefined;
      }
    })();
    return this.renewing;
  }

  private markLost(): void {
    if (this.degraded || this.closed) return;
    this.degraded = true;
    this.counts.lost++;
    console.warn('wavegate: session directory lost (Redis unreachable or slow); admitting against the local limit');
  }

  /** A command bounded by `timeoutMs` whatever the client does (a slow Redis counts as lost). */
  private command<T>(args: readonly string[]): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis took longer than ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    });
    return Promise.race([this.layer.command<T>(args), timeout]).finally(() => clearTimeout(timer));
  }

  private get setKey(): string {
    return `${this.layer.keyPrefix}sessions`;
  }

  private key(id: string): string {
    return `${this.layer.keyPrefix}session:${id}`;
  }
}

function fieldsOf(entry: DirectoryEntry): string[] {
  return FIELDS.flatMap((name) => [name, name === 'recording' ? (entry.recording ? '1' : '0') : String(entry[name])]);
}

function entryOf(r: Record<string, string | null>): DirectoryEntry | undefined {
  if (!r.id || !r.node || !r.channel) return undefined;
  return {
    id: r.id,
    node: r.node,
    channel: r.channel,
    url: r.url ?? '',
    transport: r.transport === 'webrtc' ? 'webrtc' : 'websocket',
    carrier: r.carrier ?? '',
    handler: r.handler ?? '',
    started: Number(r.started ?? 0),
    recording: r.recording === '1',
  };
}
