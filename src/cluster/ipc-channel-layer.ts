import { checkGroupName, type ChannelLayer, type ChannelLayerOptions, type ChannelLayerStats, type ChannelListener, type ChannelMessage, type GroupSendResult, type NewChannelOptions } from '../channel-layer/channel-layer.js';
import { nodeOfChannel } from '../channel-layer/channel-names.js';
import { MemoryChannelLayer } from '../channel-layer/memory-channel-layer.js';
import type { PrimaryLink } from './worker-ipc.js';

/**
 * The channel layer between the workers of one box without Redis (docs/scale-out.md#workers): this
 * worker's channels live in a MemoryChannelLayer; a send to a channel of another worker goes through the
 * primary, which knows every worker's node ids; groups (call-signaling presence and calls) are held by
 * the primary for the whole box, so a name is online once per box and a call reaches any worker. A
 * worker's memberships go when it exits.
 */
export class IpcChannelLayer implements ChannelLayer {
  readonly kind = 'memory';
  private readonly local: MemoryChannelLayer;

  constructor(
    private readonly link: PrimaryLink,
    options: Partial<ChannelLayerOptions> = {},
  ) {
    this.local = new MemoryChannelLayer(options);
    link.deliverTo(this.local.nodeId, (channel, message) => void this.local.send(channel, message));
  }

  get nodeId(): string {
    return this.local.nodeId;
  }

  start(): Promise<void> {
    return this.local.start();
  }

  newChannel(listener: ChannelListener, _options?: NewChannelOptions): string {
    return this.local.newChannel(listener);
  }

  async closeChannel(channel: string): Promise<void> {
    await this.local.closeChannel(channel);
    this.link.post({ wavegate: 'group', rid: '', op: 'remove_channel', group: '', channel });
  }

  async send(channel: string, message: ChannelMessage): Promise<boolean> {
    if (nodeOfChannel(channel) === this.local.nodeId) return this.local.send(channel, message);
    return this.link.request<boolean>({ wavegate: 'route', channel, message }, false);
  }

  async groupAdd(group: string, channel: string): Promise<void> {
    checkGroupName(group);
    this.requireLocal(channel);
    await this.link.request<boolean>({ wavegate: 'group', op: 'add', group, channel }, false);
  }

  async groupClaim(group: string, channel: string): Promise<boolean> {
    checkGroupName(group);
    this.requireLocal(channel);
    return this.link.request<boolean>({ wavegate: 'group', op: 'claim', group, channel }, false);
  }

  async groupDiscard(group: string, channel: string): Promise<void> {
    await this.link.request<boolean>({ wavegate: 'group', op: 'discard', group, channel }, false);
  }

  async groupSend(group: string, message: ChannelMessage): Promise<GroupSendResult> {
    checkGroupName(group);
    const recipients = await this.link.request<number | null>({ wavegate: 'group', op: 'send', group, channel: '', message }, null);
    return { recipients: recipients ?? 0, complete: recipients !== null };
  }

  private requireLocal(channel: string): void {
    if (nodeOfChannel(channel) !== this.local.nodeId) throw new Error(`channel ${JSON.stringify(channel)} is not open on this layer`);
  }

  stats(): ChannelLayerStats {
    return this.local.stats();
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
