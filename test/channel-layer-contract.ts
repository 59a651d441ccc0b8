// Test helper (not a test): the contract every channel layer keeps, run against each implementation.
import { afterEach, expect, it } from 'vitest';
import type { ChannelLayer, ChannelMessage } from '../src/channel-layer/channel-layer.js';

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function recorder(): { messages: ChannelMessage[]; listener: (m: ChannelMessage) => void } {
  const messages: ChannelMessage[] = [];
  return { messages, listener: (m) => void messages.push(m) };
}

/** `make` builds a started layer; every layer it builds is closed after each test. */
export function channelLayerContract(make: () => Promise<ChannelLayer>): void {
  const open: ChannelLayer[] = [];
  const layer = async () => {
    const l = await make();
    open.push(l);
    return l;
  };
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });

  it('send hands each message to the channel once, in order', async () => {
    const l = await layer();
    const r = recorder();
    const ch = l.newChannel(r.listener);
    for (let i = 0; i < 20; i++) expect(await l.send(ch, { type: 'n', i })).toBe(true);
    await until(() => r.messages.length === 20);
    expect(r.messages.map((m) => m['i'])).toEqual([...Array(20).keys()]);
    await new Promise((res) => setTimeout(res, 50));
    expect(r.messages).toHaveLength(20);
    expect(l.stats().delivered).toBe(20);
  });

  it('groupSend fans out to every member; groupDiscard removes one', async () => {
    const l = await layer();
    const [a, b] = [recorder(), recorder()];
    const cha = l.newChannel(a.listener);
    const chb = l.newChannel(b.listener);
    await l.groupAdd('room', cha);
    await l.groupAdd('room', chb);
    await l.groupAdd('room', chb); // renewing does not duplicate
    expect(await l.groupSend('room', { type: 'hello' })).toEqual({ recipients: 2, complete: true });
    await l.groupDiscard('room', cha);
    expect(await l.groupSend('room', { type: 'again' })).toEqual({ recipients: 1, complete: true });
    expect(await l.groupSend('nobody-here', { type: 'x' })).toEqual({ recipients: 0, complete: true });
    await until(() => b.messages.length === 2);
    expect(a.messages.map((m) => m.type)).toEqual(['hello']);
    expect(b.messages.map((m) => m.type)).toEqual(['hello', 'again']);
  });

  it('groupClaim admits one holder; the holder may claim again; after discard another may claim', async () => {
    const l = await layer();
    const cha = l.newChannel(() => {});
    const chb = l.newChannel(() => {});
    expect(await l.groupClaim('alice', cha)).toBe(true);
    expect(await l.groupClaim('alice', cha)).toBe(true);
    expect(await l.groupClaim('alice', chb)).toBe(false);
    await l.groupDiscard('alice', cha);
    expect(await l.groupClaim('alice', chb)).toBe(true);
    expect(l.stats().memberships).toBe(1);
  });

  it('a full inbox drops and counts; the rest is delivered', async () => {
    const l = await layer();
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const got: ChannelMessage[] = [];
    const ch = l.newChannel(async (m) => {
      got.push(m);
      if (m['i'] === 0) await gate;
    });
    await l.send(ch, { type: 'n', i: 0 });
    await until(() => got.length === 1);
    const results = await Promise.all(Array.from({ length: 105 }, (_, k) => l.send(ch, { type: 'n', i: k + 1 })));
    expect(results.filter((ok) => !ok)).toHaveLength(5); // capacity 100
    expect(l.stats().droppedFull).toBe(5);
    release();
    await until(() => got.length === 101);
    expect(got.map((m) => m['i'])).toEqual([...Array(101).keys()]);
  });

  it('a closed channel leaves its groups; sends to it are refused and counted', async () => {
    const l = await layer();
    const r = recorder();
    const ch = l.newChannel(r.listener);
    await l.groupAdd('g1', ch);
    await l.groupClaim('g2', ch);
    await l.closeChannel(ch);
    expect(l.stats().memberships).toBe(0);
    expect(await l.send(ch, { type: 'late' })).toBe(false);
    expect((await l.groupSend('g1', { type: 'late' })).recipients).toBe(0);
    expect(l.stats().droppedNoChannel).toBeGreaterThanOrEqual(1);
    const other = l.newChannel(() => {});
    expect(await l.groupClaim('g2', other)).toBe(true);
  });

  it('a listener that throws loses only that message', async () => {
    const l = await layer();
    const got: unknown[] = [];
    const errors = console.error;
    console.error = () => {};
    try {
      const ch = l.newChannel((m) => {
        if (m['i'] === 1) throw new Error('boom');
        got.push(m['i']);
      });
      for (let i = 0; i < 3; i++) await l.send(ch, { type: 'n', i });
      await until(() => got.length === 2);
    } finally {
      console.error = errors;
    }
    expect(got).toEqual([0, 2]);
  });

  it('rejects bad group names and foreign channels', async () => {
    const l = await layer();
    const ch = l.newChannel(() => {});
    await expect(l.groupAdd('', ch)).rejects.toThrow(/invalid group name/);
    await expect(l.groupAdd('a\nb', ch)).rejects.toThrow(/invalid group name/);
    await expect(l.groupClaim('x', 'someone!1')).rejects.toThrow(/not open on this layer/);
  });
}
