import type { ChannelLayer, ChannelLayerOptions } from './channel-layer.js';
import { MemoryChannelLayer } from './memory-channel-layer.js';
import { RedisChannelLayer } from './redis-channel-layer.js';
import { IpcChannelLayer } from '../cluster/ipc-channel-layer.js';
import { isGatewayWorker, primaryLink } from '../cluster/worker-ipc.js';

/**
 * In-memory when `redisUrl` is null, Redis otherwise; in a `--workers` worker without Redis, the box's
 * layer through the primary (docs/scale-out.md#workers).
 */
export function createChannelLayer(redisUrl: string | null, options: Partial<ChannelLayerOptions> = {}): ChannelLayer {
  if (redisUrl === null && isGatewayWorker()) return new IpcChannelLayer(primaryLink(), options);
  return redisUrl === null ? new MemoryChannelLayer(options) : new RedisChannelLayer({ ...options, url: redisUrl });
}
