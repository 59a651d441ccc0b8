/**
 * A channel layer (the role Django Channels' layers play): named channels owned by one process, and
 * named groups of channels that fan messages out. Delivery is at most once — a message is handed to a
 * channel's listener once or not at all, never retried — and every loss is counted in `stats()`.
 *
 * Each channel has a bounded inbox (`capacity`); a message that finds it full is dropped and counted.
 * Group memberships expire `groupExpiryMs` after they were last renewed; a layer renews the
 * memberships of its own live channels every third of that, so only the memberships of a process that
 * died (or lost its store for longer than the expiry) lapse.
 */

/** A JSON-serialisable message. */
export interface ChannelMessage {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** Handles one message at a time, in order; a returned promise is awaited before the next message. */
export type ChannelListener = (message: ChannelMessage) => void | Promise<void>;

export interface NewChannelOptions {
  /** Called when the layer found that an exclusive membership of this channel was taken by another channel (Redis resync). */
  onMembershipLost?: (group: string) => void;
}

/** What a group send reached. */
export interface GroupSendResult {
  /** Channels the message was handed to (local inboxes that accepted it, remote processes that were listening). */
  readonly recipients: number;
  /** False when part of the group could not be looked up (Redis unreachable): only local members were tried. */
  readonly complete: boolean;
}

export interface ChannelLayerStats {
  readonly kind: 'memory' | 'redis';
  readonly channels: number;
  readonly memberships: number;
  /** Messages handed to a local listener. */
  readonly delivered: number;
  /** Dropped because the channel's inbox was full. */
  readonly droppedFull: number;
  /** Dropped because the channel no longer exists (closed, or its process is gone). */
  readonly droppedNoChannel: number;
  /** Dropped because the store (Redis) could not be reached. */
  readonly droppedUnavailable: number;
  /** Memberships that lapsed without renewal and were pruned. */
  readonly expiredMemberships: number;
  /** Redis only: whether the command connection is ready, and how many times memberships were re-registered. */
  readonly connected?: boolean;
  readonly resyncs?: number;
}

export interface ChannelLayer {
  readonly kind: 'memory' | 'redis';
  /** Connects to the store if there is one. Resolves once connected or after the connect timeout (then keeps retrying). */
  start(): Promise<void>;
  /** Opens a channel on this process; returns its name. */
  newChannel(listener: ChannelListener, options?: NewChannelOptions): string;
  /** Closes a channel of this process and discards it from every group. */
  closeChannel(channel: string): Promise<void>;
  /** Sends to one channel (this process or another). Resolves true if it was handed on. */
  send(channel: string, message: ChannelMessage): Promise<boolean>;
  /** Adds a channel of this process to a group (renewing its membership if present). */
  groupAdd(group: string, channel: string): Promise<void>;
  /**
   * Adds a channel of this process to a group only if the group has no other live member. Resolves
   * false when another channel holds it. Used for presence: one name, one connection.
   */
  groupClaim(group: string, channel: string): Promise<boolean>;
  groupDiscard(group: string, channel: string): Promise<void>;
  groupSend(group: string, message: ChannelMessage): Promise<GroupSendResult>;
  stats(): ChannelLayerStats;
  /** Closes every channel, releases this process's memberships, disconnects. Idempotent. */
  close(): Promise<void>;
}

export interface ChannelLayerOptions {
  /** Most messages waiting in one channel's inbox; more are dropped and counted (channels' default: 100). */
  capacity: number;
  /** A membership not renewed for this long lapses (ms). */
  groupExpiryMs: number;
}

export const DEFAULT_CHANNEL_LAYER_OPTIONS = {
  capacity: 100,
  groupExpiryMs: 15_000,
} as const satisfies ChannelLayerOptions;

export function checkOption(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

export function resolveChannelLayerOptions<T extends ChannelLayerOptions>(o: T): T {
  checkOption(Number.isInteger(o.capacity) && o.capacity >= 1, 'capacity', o.capacity, 'an integer ≥ 1');
  checkOption(Number.isInteger(o.groupExpiryMs) && o.groupExpiryMs >= 300, 'groupExpiryMs', o.groupExpiryMs, 'an integer ≥ 300');
  return o;
}

const GROUP_NAME = /^[^\u0000-\u001f\u007f]{1,200}$/u;

/** Group names: 1–200 characters, no control characters. */
export function checkGroupName(group: string): void {
  if (typeof group !== 'string' || !GROUP_NAME.test(group)) throw new TypeError(`invalid group name ${JSON.stringify(group)}`);
}
