import type { ChannelLayer, ChannelLayerStats, ChannelListener, ChannelMessage, GroupSendResult, NewChannelOptions } from '../channel-layer/channel-layer.js';
import { nodeOfChannel } from '../channel-layer/channel-names.js';
import { MemoryChannelLayer } from '../channel-layer/memory-channel-layer.js';
import type { PrimaryLink } from './worker-ipc.js';

/**
 * The channel layer between the workers of one box without Redis (docs/scale-out.md#workers): this
 * worker's channels and groups are a MemoryChannelLayer; a send to a channel of another worker goes
 * through the primary, which knows every worker's node id. Groups stay per worker (the session router
 * uses none).
 */
export class IpcChannelLayer implements ChannelLayer {
  readonly kind = 'memory';
  private readonly local = new MemoryChannelLayer();
  private routed = 0;

  constructor(private readonly link: PrimaryLink) {
    link.deliverTo((channel, message) => void this.local.send(channel, message));
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

  closeChannel(channel: string): Promise<void> {
    return this.local.closeChannel(channel);
  }

  async send(channel: string, message: ChannelMessage): Promise<boolean> {
    if (nodeOfChannel(channel) === this.local.nodeId) return this.local.send(channel, message);
    this.routed++;
    return this.link.request<boolean>({ wavegate: 'route', channel, message }, false);
  }

  groupAdd(group: string, channel: string): Promise<void> {
    return this.local.groupAdd(group, channel);
  }

  groupClaim(group: string, channel: string): Promise<boolean> {
    return this.local.groupClaim(group, channel);
  }

  groupDiscard(group: string, channel: string): Promise<void> {
    return this.local.groupDiscard(group, channel);
  }

  groupSend(group: string, message: ChannelMessage): Promise<GroupSendResult> {
    return this.local.groupSend(group, message);
  }

  stats(): ChannelLayerStats {
    return this.local.stats();
  }

  close(): Promise<void> {
    return this.local.close();
  }
}
