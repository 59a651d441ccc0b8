import {
  DEFAULT_CHANNEL_LAYER_OPTIONS,
  checkGroupName,
  checkOption,
  resolveChannelLayerOptions,
  type ChannelLayer,
  type ChannelLayerOptions,
  type ChannelLayerStats,
  type ChannelListener,
  type ChannelMessage,
  type GroupSendResult,
  type NewChannelOptions,
} from './channel-layer.js';
import { ChannelInbox } from './channel-inbox.js';
import { channelName, newNodeId, nodeOfChannel } from './channel-names.js';
import { GroupTable } from './group-table.js';
import { RedisConnection, type RedisConnectionOptions } from './redis-connection.js';
import { GROUP_ADD, GROUP_CLAIM, GROUP_MEMBERS } from './redis-scripts.js';

export interface RedisChannelLayerOptions extends ChannelLayerOptions, RedisConnectionOptions {
  /** Prefix of every key and pub/sub channel, so several deployments can share one Redis. */
  keyPrefix: string;
  /** Most discards remembered while Redis is down, replayed when it returns (the rest lapse by expiry). */
  maxPendingDiscards: number;
}

export const DEFAULT_REDIS_CHANNEL_LAYER_OPTIONS = {
  ...DEFAULT_CHANNEL_LAYER_OPTIONS,
  keyPrefix: 'wavegate:',
  connectTimeoutMs: 2_000,
  commandTimeoutMs: 2_000,
  maxReconnectDelayMs: 1_000,
  maxPendingDiscards: 10_000,
} as const satisfies Omit<RedisChannelLayerOptions, 'url'>;

interface Envelope {
  to: string[];
  message: ChannelMessage;
}

/**
 * The channel layer across processes (what channels_redis is to Django). Groups live in Redis sorted
 * sets with expiring scores; each process subscribes to one pub/sub channel `PREFIX node:ID` and a
 * send to a channel of another process is one PUBLISH there. Local channels are always served without
 * Redis, and a mirror of this process's memberships is kept, so when Redis is down local relaying goes
 * on; when Redis comes back every membership is registered again (presence conflicts: the holder in
 * Redis keeps the name, the local channel is told through onMembershipLost).
 */
export class RedisChannelLayer implements ChannelLayer {
  readonly kind = 'redis';
  readonly nodeId = newNodeId();
  private readonly options: RedisChannelLayerOptions;
  private readonly connection: RedisConnection;
  private readonly inboxes = new Map<string, { inbox: ChannelInbox; onMembershipLost?: (group: string) => void }>();
  private readonly mirror = new GroupTable();
  private readonly pendingDiscards = new Map<string, { group: string; channel: string }>();
  private counter = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private counts = { delivered: 0, droppedFull: 0, droppedNoChannel: 0, droppedUnavailable: 0, expired: 0, resyncs: 0 };

  constructor(options: Partial<RedisChannelLayerOptions> & Pick<RedisChannelLayerOptions, 'url'>) {
    const o = resolveChannelLayerOptions({ ...DEFAULT_REDIS_CHANNEL_LAYER_OPTIONS, ...options });
    checkOption(typeof o.url === 'string' && /^rediss?:\/\//.test(o.url), 'url', o.url, 'a redis:// or rediss:// URL');
    checkOption(typeof o.keyPrefix === 'string', 'keyPrefix', o.keyPrefix, 'a string');
    for (const name of ['connectTimeoutMs', 'commandTimeoutMs', 'maxReconnectDelayMs', 'maxPendingDiscards'] as const) {
      checkOption(Number.isInteger(o[name]) && o[name] >= 1, name, o[name], 'an integer ≥ 1');
    }
    this.options = o;
    this.connection = new RedisConnection(o, { onReady: () => void this.resync(), onMessage: (m) => this.onNodeMessage(m) });
  }

  get connected(): boolean {
    return this.connection.ready;
  }

  /**
   * One Redis command on this layer's connection (the session directory's scripts share it); rejects at
   * once while disconnected and after `commandTimeoutMs`.
   */
  command<T>(args: readonly string[]): Promise<T> {
    return this.connection.command<T>(args);
  }

  /** The key prefix of this deployment. */
  get keyPrefix(): string {
    return this.options.keyPrefix;
  }

  async start(): Promise<void> {
    if (this.renewTimer || this.closed) return;
    this.renewTimer = setInterval(() => void this.registerAll(), Math.floor(this.options.groupExpiryMs / 3));
    this.renewTimer.unref();
    await this.connection.start(this.nodeChannel(this.nodeId));
  }

  newChannel(listener: ChannelListener, options: NewChannelOptions = {}): string {
    if (this.closed) throw new Error('channel layer is closed');
    const name = channelName(this.nodeId, ++this.counter);
    const inbox = new ChannelInbox(listener, this.options.capacity, (err) => console.error(`wavegate: channel ${name} listener failed:`, err));
    this.inboxes.set(name, { inbox, ...(options.onMembershipLost && { onMembershipLost: options.onMembershipLost }) });
    return name;
  }

  async closeChannel(channel: string): Promise<void> {
    const entry = this.inboxes.get(channel);
    if (!entry) return;
    this.counts.delivered += entry.inbox.delivered;
    entry.inbox.close();
    this.inboxes.delete(channel);
    await Promise.all(this.mirror.removeChannel(channel).map((group) => this.discardRemote(group, channel)));
  }

  async send(channel: string, message: ChannelMessage): Promise<boolean> {
    return (await this.deliver([channel], message)) === 1;
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    checkGroupName(group);
    this.requireLocal(channel);
    this.mirror.add(group, channel, Infinity);
    this.pendingDiscards.delete(`${group}\n${channel}`);
    await this.eval(GROUP_ADD, group, channel).catch(() => undefined); // registered again on resync
  }

  async groupClaim(group: string, channel: string): Promise<boolean> {
    checkGroupName(group);
    this.requireLocal(channel);
    if (!this.mirror.claim(group, channel, Infinity, 0)) return false;
    this.pendingDiscards.delete(`${group}\n${channel}`);
    let held: number;
    try {
      held = await this.eval<number>(GROUP_CLAIM, group, channel);
    } catch {
      return true; // Redis unreachable: held locally; checked again on resync.
    }
    if (held === 1) return true;
    this.mirror.discard(group, channel);
    return false;
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    if (this.mirror.discard(group, channel)) await this.discardRemote(group, channel);
  }

  async groupSend(group: string, message: ChannelMessage): Promise<GroupSendResult> {
    checkGroupName(group);
    const members = new Set(this.mirror.members(group, 0));
    // A name held here exclusively has no member elsewhere: no need to ask Redis (the common case of
    // two users on one process, and what keeps it working while Redis is down).
    if (this.mirror.heldExclusively(group, 0)) return { recipients: await this.deliver([...members], message), complete: true };
    let complete = true;
    try {
      const [pruned, ...remote] = await this.connection.command<string[]>(['EVAL', GROUP_MEMBERS, '1', this.groupKey(group)]);
      this.counts.expired += Number(pruned);
      // This process's own memberships are known from the mirror; Redis may still list lapsed ones.
      for (const channel of remote) if (nodeOfChannel(channel) !== this.nodeId) members.add(channel);
    } catch {
      complete = false;
    }
    return { recipients: await this.deliver([...members], message), complete };
  }

  stats(): ChannelLayerStats {
    let delivered = this.counts.delivered;
    for (const { inbox } of this.inboxes.values()) delivered += inbox.delivered;
    return {
      kind: this.kind,
      channels: this.inboxes.size,
      memberships: this.mirror.size,
      delivered,
      droppedFull: this.counts.droppedFull,
      droppedNoChannel: this.counts.droppedNoChannel,
      droppedUnavailable: this.counts.droppedUnavailable,
      expiredMemberships: this.counts.expired,
      connected: this.connection.ready,
      resyncs: this.counts.resyncs,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    for (const channel of [...this.inboxes.keys()]) await this.closeChannel(channel);
    await this.connection.close();
  }

  /** Hands a message to channels: local ones straight to their inbox, remote ones one PUBLISH per process. */
  private async deliver(channels: readonly string[], message: ChannelMessage): Promise<number> {
    let recipients = 0;
    const byNode = new Map<string, string[]>();
    for (const channel of channels) {
      const node = nodeOfChannel(channel);
      if (node === this.nodeId || node === undefined) {
        if (this.deliverLocal(channel, message)) recipients++;
      } else {
        const list = byNode.get(node);
        if (list) list.push(channel);
        else byNode.set(node, [channel]);
      }
    }
    await Promise.all(
      [...byNode].map(async ([node, to]) => {
        const envelope: Envelope = { to, message };
        try {
          const listeners = await this.connection.command<number>(['PUBLISH', this.nodeChannel(node), JSON.stringify(envelope)]);
          if (listeners > 0) recipients += to.length;
          else this.counts.droppedNoChannel += to.length; // that process is gone; its memberships lapse
        } catch {
          this.counts.droppedUnavailable += to.length;
        }
      }),
    );
    return recipients;
  }

  private deliverLocal(channel: string, message: ChannelMessage): boolean {
    const entry = this.inboxes.get(channel);
    if (!entry) {
      this.counts.droppedNoChannel++;
      return false;
    }
    if (!entry.inbox.push(message)) {
      this.counts.droppedFull++;
      return false;
    }
    return true;
  }

  private onNodeMessage(raw: string): void {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (!Array.isArray(envelope.to) || typeof envelope.message?.type !== 'string') return;
    for (const channel of envelope.to) if (typeof channel === 'string') this.deliverLocal(channel, envelope.message);
  }

  private async resync(): Promise<void> {
    if (this.closed) return;
    this.counts.resyncs++;
    const discards = [...this.pendingDiscards.values()];
    this.pendingDiscards.clear();
    await Promise.all(discards.map(({ group, channel }) => this.discardRemote(group, channel)));
    await this.registerAll();
  }

  /** Registers (renews) every membership of this process; exclusive ones are claimed again. */
  private async registerAll(): Promise<void> {
    if (this.closed || !this.connection.commandsReady) return;
    await Promise.all(
      [...this.mirror.entries()].map(async ({ group, channel, membership }) => {
        try {
          const held = await this.eval<number>(membership.exclusive ? GROUP_CLAIM : GROUP_ADD, group, channel);
          if (held !== 1 && this.mirror.discard(group, channel)) this.inboxes.get(channel)?.onMembershipLost?.(group);
        } catch {
          // Redis went away again; the next ready event registers everything once more.
        }
      }),
    );
  }

  private async discardRemote(group: string, channel: string): Promise<void> {
    try {
      await this.connection.command(['ZREM', this.groupKey(group), channel]);
    } catch {
      if (this.pendingDiscards.size < this.options.maxPendingDiscards) this.pendingDiscards.set(`${group}\n${channel}`, { group, channel });
    }
  }

  private eval<T>(script: string, group: string, channel: string): Promise<T> {
    return this.connection.command<T>(['EVAL', script, '1', this.groupKey(group), channel, String(this.options.groupExpiryMs)]);
  }

  private requireLocal(channel: string): void {
    if (!this.inboxes.has(channel)) throw new Error(`channel ${JSON.stringify(channel)} is not open on this layer`);
  }

  private groupKey(group: string): string {
    return `${this.options.keyPrefix}group:${group}`;
  }

  private nodeChannel(node: string): string {
    return `${this.options.keyPrefix}node:${node}`;
  }
}
