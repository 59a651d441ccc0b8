import {
  DEFAULT_CHANNEL_LAYER_OPTIONS,
  checkGroupName,
  resolveChannelLayerOptions,
  type ChannelLayer,
  type ChannelLayerOptions,
  type ChannelLayerStats,
  type ChannelListener,
  type ChannelMessage,
  type GroupSendResult,
} from './channel-layer.js';
import { ChannelInbox } from './channel-inbox.js';
import { channelName, newNodeId } from './channel-names.js';
import { GroupTable } from './group-table.js';

export interface MemoryChannelLayerOptions extends ChannelLayerOptions {
  /** Clock in ms (tests pass their own). */
  now: () => number;
  /** Renew live channels' memberships every groupExpiryMs/3 (tests may turn this off to watch expiry). */
  renew: boolean;
}

/** The default layer: one process, no store. Same contract as the Redis layer. */
export class MemoryChannelLayer implements ChannelLayer {
  readonly kind = 'memory';
  private readonly options: MemoryChannelLayerOptions;
  readonly nodeId = newNodeId();
  private readonly inboxes = new Map<string, ChannelInbox>();
  private readonly table = new GroupTable();
  private counter = 0;
  private renewTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private droppedFull = 0;
  private droppedNoChannel = 0;
  private deliveredClosed = 0;

  constructor(options: Partial<MemoryChannelLayerOptions> = {}) {
    this.options = resolveChannelLayerOptions({ ...DEFAULT_CHANNEL_LAYER_OPTIONS, now: Date.now, renew: true, ...options });
  }

  async start(): Promise<void> {
    if (this.options.renew && !this.renewTimer && !this.closed) {
      this.renewTimer = setInterval(() => this.renewAll(), Math.floor(this.options.groupExpiryMs / 3));
      this.renewTimer.unref();
    }
  }

  newChannel(listener: ChannelListener): string {
    if (this.closed) throw new Error('channel layer is closed');
    const name = channelName(this.nodeId, ++this.counter);
    this.inboxes.set(name, new ChannelInbox(listener, this.options.capacity, (err) => console.error(`wavegate: channel ${name} listener failed:`, err)));
    return name;
  }

  async closeChannel(channel: string): Promise<void> {
    const inbox = this.inboxes.get(channel);
    if (!inbox) return;
    this.deliveredClosed += inbox.delivered;
    inbox.close();
    this.inboxes.delete(channel);
    this.table.removeChannel(channel);
  }

  async send(channel: string, message: ChannelMessage): Promise<boolean> {
    return this.deliver(channel, message);
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    checkGroupName(group);
    this.requireLocal(channel);
    this.table.add(group, channel, this.options.now() + this.options.groupExpiryMs);
  }

  async groupClaim(group: string, channel: string): Promise<boolean> {
    checkGroupName(group);
    this.requireLocal(channel);
    const now = this.options.now();
    return this.table.claim(group, channel, now + this.options.groupExpiryMs, now);
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    this.table.discard(group, channel);
  }

  async groupSend(group: string, message: ChannelMessage): Promise<GroupSendResult> {
    checkGroupName(group);
    let recipients = 0;
    for (const channel of this.table.members(group, this.options.now())) if (this.deliver(channel, message)) recipients++;
    return { recipients, complete: true };
  }

  stats(): ChannelLayerStats {
    let delivered = this.deliveredClosed;
    for (const inbox of this.inboxes.values()) delivered += inbox.delivered;
    return {
      kind: this.kind,
      channels: this.inboxes.size,
      memberships: this.table.size,
      delivered,
      droppedFull: this.droppedFull,
      droppedNoChannel: this.droppedNoChannel,
      droppedUnavailable: 0,
      expiredMemberships: this.table.expired,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewTimer);
    for (const channel of [...this.inboxes.keys()]) await this.closeChannel(channel);
  }

  private renewAll(): void {
    const now = this.options.now();
    this.table.renew((channel) => this.inboxes.has(channel), now + this.options.groupExpiryMs);
    this.table.prune(now);
  }

  private requireLocal(channel: string): void {
    if (!this.inboxes.has(channel)) throw new Error(`channel ${JSON.stringify(channel)} is not open on this layer`);
  }

  private deliver(channel: string, message: ChannelMessage): boolean {
    const inbox = this.inboxes.get(channel);
    if (!inbox) {
      this.droppedNoChannel++;
      return false;
    }
    if (!inbox.push(message)) {
      this.droppedFull++;
      return false;
    }
    return true;
  }
}
