import type { ChannelLayer, ChannelLayerOptions } from './channel-layer.js';
import { MemoryChannelLayer } from './memory-channel-layer.js';
import { RedisChannelLayer } from './redis-channel-layer.js';

/** In-memory when `redisUrl` is null, Redis otherwise. */
export function createChannelLayer(redisUrl: string | null, options: Partial<ChannelLayerOptions> = {}): ChannelLayer {
  return redisUrl === null ? new MemoryChannelLayer(options) : new RedisChannelLayer({ ...options, url: redisUrl });
}
