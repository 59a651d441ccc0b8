import { randomBytes } from 'node:crypto';

/**
 * Channel names are `NODE!N`: the id of the process that owns the channel, then a counter. Any process
 * can tell from a name where to deliver (as channels_redis's `specific.NODE!N` process-local names).
 */
export function newNodeId(): string {
  return randomBytes(8).toString('hex');
}

export function channelName(nodeId: string, n: number): string {
  return `${nodeId}!${n}`;
}

/** The owning node of a channel name, or undefined when the name is not of that form. */
export function nodeOfChannel(channel: string): string | undefined {
  const bang = channel.indexOf('!');
  return bang > 0 ? channel.slice(0, bang) : undefined;
}
