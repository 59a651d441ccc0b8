/**
 * Pure core of group membership with expiry: group → channel → expiry time (ms). No timers, no I/O;
 * `now` is passed in. Used as the in-memory layer's store and as the Redis layer's local mirror.
 */
export interface Membership {
  expiresAt: number;
  /** Taken with claim(): the group may hold no other live member. */
  exclusive: boolean;
}

export class GroupTable {
  private readonly groups = new Map<string, Map<string, Membership>>();
  /** Memberships pruned because they lapsed. */
  expired = 0;

  /** Adds or renews. */
  add(group: string, channel: string, expiresAt: number, exclusive = false): void {
    let members = this.groups.get(group);
    if (!members) this.groups.set(group, (members = new Map()));
    const existing = members.get(channel);
    members.set(channel, { expiresAt, exclusive: exclusive || (existing?.exclusive ?? false) });
  }

  /** Adds only if no other live member holds the group; true when `channel` holds it afterwards. */
  claim(group: string, channel: string, expiresAt: number, now: number): boolean {
    const others = this.members(group, now).filter((c) => c !== channel);
    if (others.length > 0) return false;
    this.add(group, channel, expiresAt, true);
    return true;
  }

  discard(group: string, channel: string): boolean {
    const members = this.groups.get(group);
    if (!members?.delete(channel)) return false;
    if (members.size === 0) this.groups.delete(group);
    return true;
  }

  /** Live members, pruning lapsed ones. */
  members(group: string, now: number): string[] {
    const members = this.groups.get(group);
    if (!members) return [];
    const live: string[] = [];
    for (const [channel, m] of members) {
      if (m.expiresAt <= now) {
        members.delete(channel);
        this.expired++;
      } else live.push(channel);
    }
    if (members.size === 0) this.groups.delete(group);
    return live;
  }

  /** Whether a live member holds the group exclusively (then it is the only member anywhere). */
  heldExclusively(group: string, now: number): boolean {
    const members = this.groups.get(group);
    if (!members) return false;
    for (const m of members.values()) if (m.exclusive && m.expiresAt > now) return true;
    return false;
  }

  /** Removes a channel from every group; returns the groups it was in. */
  removeChannel(channel: string): string[] {
    const left: string[] = [];
    for (const [group, members] of this.groups) {
      if (members.delete(channel)) left.push(group);
      if (members.size === 0) this.groups.delete(group);
    }
    return left;
  }

  /** Pushes the expiry of every membership held by a channel accepted by `owns` to `expiresAt`. */
  renew(owns: (channel: string) => boolean, expiresAt: number): void {
    for (const members of this.groups.values()) {
      for (const [channel, m] of members) if (owns(channel)) m.expiresAt = expiresAt;
    }
  }

  /** Prunes every lapsed membership. */
  prune(now: number): void {
    for (const group of [...this.groups.keys()]) this.members(group, now);
  }

  /** Every membership, for re-registration. */
  *entries(): IterableIterator<{ group: string; channel: string; membership: Membership }> {
    for (const [group, members] of this.groups) for (const [channel, membership] of members) yield { group, channel, membership };
  }

  get size(): number {
    let n = 0;
    for (const members of this.groups.values()) n += members.size;
    return n;
  }
}
