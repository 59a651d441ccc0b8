import { describe, expect, it } from 'vitest';
import { GroupTable } from '../src/channel-layer/group-table.js';
import { MemoryChannelLayer } from '../src/channel-layer/memory-channel-layer.js';
import { channelLayerContract } from './channel-layer-contract.js';

describe('GroupTable (pure core)', () => {
  it('prunes memberships at their expiry and counts them', () => {
    const t = new GroupTable();
    t.add('g', 'a!1', 1000);
    t.add('g', 'a!2', 2000);
    expect(t.members('g', 999)).toEqual(['a!1', 'a!2']);
    expect(t.members('g', 1000)).toEqual(['a!2']);
    expect(t.expired).toBe(1);
    expect(t.members('g', 2500)).toEqual([]);
    expect(t.size).toBe(0);
  });

  it('claim refuses while another live member holds the group, and succeeds once it lapsed', () => {
    const t = new GroupTable();
    expect(t.claim('alice', 'a!1', 1000, 0)).toBe(true);
    expect(t.claim('alice', 'b!1', 1500, 500)).toBe(false);
    expect(t.claim('alice', 'a!1', 1500, 500)).toBe(true); // the holder renews
    expect(t.claim('alice', 'b!1', 2000, 1500)).toBe(true); // a!1 lapsed at 1500
    expect([...t.entries()].map((e) => [e.channel, e.membership])).toEqual([['b!1', { expiresAt: 2000, exclusive: true }]]);
  });

  it('knows when a group is held exclusively by a live member', () => {
    const t = new GroupTable();
    t.add('room', 'a!1', 1000);
    expect(t.heldExclusively('room', 0)).toBe(false);
    t.claim('name', 'a!2', 1000, 0);
    expect(t.heldExclusively('name', 999)).toBe(true);
    expect(t.heldExclusively('name', 1000)).toBe(false);
  });

  it('renew pushes expiry only for owned channels; removeChannel leaves every group', () => {
    const t = new GroupTable();
    t.add('g1', 'a!1', 100);
    t.add('g2', 'a!1', 100);
    t.add('g1', 'b!1', 100);
    t.renew((c) => c.startsWith('a!'), 5000);
    t.prune(200);
    expect(t.members('g1', 200)).toEqual(['a!1']);
    expect(t.removeChannel('a!1').sort()).toEqual(['g1', 'g2']);
    expect(t.size).toBe(0);
  });
});

describe('MemoryChannelLayer', () => {
  channelLayerContract(async () => {
    const l = new MemoryChannelLayer();
    await l.start();
    return l;
  });

  it('memberships that are not renewed expire (clock passed in)', async () => {
    let now = 0;
    const l = new MemoryChannelLayer({ now: () => now, renew: false, groupExpiryMs: 1000 });
    await l.start();
    const a = l.newChannel(() => {});
    const b = l.newChannel(() => {});
    expect(await l.groupClaim('alice', a)).toBe(true);
    now = 999;
    expect(await l.groupClaim('alice', b)).toBe(false);
    now = 1000;
    expect((await l.groupSend('alice', { type: 'x' })).recipients).toBe(0);
    expect(l.stats().expiredMemberships).toBe(1);
    expect(await l.groupClaim('alice', b)).toBe(true);
    await l.close();
  });

  it('renews the memberships of live channels, so they never lapse', async () => {
    const l = new MemoryChannelLayer({ groupExpiryMs: 300 });
    await l.start();
    const a = l.newChannel(() => {});
    await l.groupClaim('alice', a);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await l.groupSend('alice', { type: 'x' })).recipients).toBe(1);
    expect(l.stats().expiredMemberships).toBe(0);
    await l.close();
  });

  it('validates options, naming the offending value', () => {
    expect(() => new MemoryChannelLayer({ capacity: 0 })).toThrow(/capacity.*`0`/);
    expect(() => new MemoryChannelLayer({ groupExpiryMs: 10 })).toThrow(/groupExpiryMs.*`10`/);
  });
});
