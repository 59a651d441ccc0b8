// Test helper (not a test): every message and every error path of WS /ws/call/, run against a
// topology — one process, or two processes joined by Redis (users of side A and side B then sit on
// different processes).
import { afterEach, expect, it } from 'vitest';
import { CallClient } from './signaling-client.js';

export interface Topology {
  /** Base URL for the first user of a test (and the third, "carol"). */
  a: () => string;
  /** Base URL for the second user. */
  b: () => string;
}

const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' };
const ANSWER = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n' };
const CANDIDATE = { label: 0, id: '0', candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host' };

let counter = 0;
/** Names unique per test, so presence left by one test never meets the next. */
export const names = () => {
  const n = ++counter;
  return { alice: `alice-${n}`, bob: `bob-${n}`, carol: `carol-${n}` };
};

export function protocolCases(t: Topology): void {
  const clients: CallClient[] = [];
  const track = (c: CallClient) => (clients.push(c), c);
  const login = async (base: string, name: string) => track(await CallClient.login(base, name));
  const connect = async (base: string) => track(await CallClient.connect(base));
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  /** alice (side A) calls bob (side B) and bob answers. */
  async function inCall() {
    const n = names();
    const alice = await login(t.a(), n.alice);
    const bob = await login(t.b(), n.bob);
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    await bob.next('call_received');
    bob.send('answer_call', { caller: n.alice, rtcMessage: ANSWER });
    await alice.next('call_answered');
    return { n, alice, bob };
  }

  it('greets every connection exactly as the seed does', async () => {
    const c = await connect(t.a());
    expect((await c.next()).raw).toBe('{"type":"connection","data":{"message":"Connected"}}');
  });

  it('relays call, answer_call and ICEcandidate in the seed\'s exact shapes, and hangup', async () => {
    const n = names();
    const alice = await login(t.a(), n.alice);
    const bob = await login(t.b(), n.bob);
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    expect((await bob.next()).raw).toBe(JSON.stringify({ type: 'call_received', data: { caller: n.alice, rtcMessage: OFFER } }));
    alice.send('ICEcandidate', { user: n.bob, rtcMessage: CANDIDATE });
    expect((await bob.next()).raw).toBe(JSON.stringify({ type: 'ICEcandidate', data: { rtcMessage: CANDIDATE } }));
    bob.send('answer_call', { caller: n.alice, rtcMessage: ANSWER });
    expect((await alice.next()).raw).toBe(JSON.stringify({ type: 'call_answered', data: { rtcMessage: ANSWER } }));
    bob.send('ICEcandidate', { user: n.alice, rtcMessage: { ...CANDIDATE, label: 1 } });
    expect((await alice.next()).raw).toBe(JSON.stringify({ type: 'ICEcandidate', data: { rtcMessage: { ...CANDIDATE, label: 1 } } }));
    alice.send('hangup', { name: n.bob });
    expect((await bob.next()).raw).toBe(JSON.stringify({ type: 'hangup', data: { name: n.alice, reason: 'hangup' } }));
    await alice.silent(200);
    // Both are idle again: bob can call alice.
    bob.send('call', { name: n.alice, rtcMessage: OFFER });
    expect((await alice.next('call_received')).data).toEqual({ caller: n.bob, rtcMessage: OFFER });
  });

  it('answers malformed input explicitly and keeps the connection', async () => {
    const c = await connect(t.a());
    await c.next('connection');
    c.sendRaw('{not json');
    expect(await c.error('WG_ERR_MALFORMED_JSON')).toMatchObject({ data: { request: null } });
    c.sendRaw('[1,2]');
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.sendRaw('{"data":{}}');
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.send('dance', {});
    expect(await c.error('WG_ERR_UNKNOWN_EVENT')).toMatchObject({ data: { request: 'dance' } });
    c.send('login', { name: '' });
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.send('login', { name: 'x'.repeat(65) });
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.send('login', { name: 'evil\nname' });
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.send('login');
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.sendRaw(Buffer.from([1, 2, 3]));
    expect((await c.error('WG_ERR_MALFORMED_MESSAGE')).message).toMatch(/binary/);
    const n = names();
    c.send('login', { name: n.alice });
    await c.next('logged_in');
    c.send('call', { name: n.bob }); // no rtcMessage
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.send('call', { name: n.bob, rtcMessage: 'sdp as a string' });
    await c.error('WG_ERR_MALFORMED_MESSAGE');
    c.send('ICEcandidate', { rtcMessage: CANDIDATE }); // the seed's client before it knows its peer: user undefined
    expect((await c.error('WG_ERR_MALFORMED_MESSAGE')).message).toMatch(/data\.user/);
    c.send('call', { name: n.alice, rtcMessage: OFFER });
    expect((await c.error('WG_ERR_MALFORMED_MESSAGE')).message).toMatch(/yourself/);
  });

  it('refuses every request before login with WG_ERR_NOT_LOGGED_IN', async () => {
    const c = await connect(t.a());
    await c.next('connection');
    const n = names();
    for (const [type, data] of [
      ['call', { name: n.bob, rtcMessage: OFFER }],
      ['answer_call', { caller: n.bob, rtcMessage: ANSWER }],
      ['ICEcandidate', { user: n.bob, rtcMessage: CANDIDATE }],
      ['hangup', { name: n.bob }],
    ] as const) {
      c.send(type, data);
      expect(await c.error('WG_ERR_NOT_LOGGED_IN')).toMatchObject({ data: { request: type } });
    }
  });

  it('one name, one connection: a second login of an online name is refused until the first leaves', async () => {
    const n = names();
    const first = await login(t.b(), n.bob);
    const second = await connect(t.a());
    await second.next('connection');
    second.send('login', { name: n.bob });
    expect(await second.error('WG_ERR_NAME_TAKEN')).toMatchObject({ data: { request: 'login', name: n.bob } });
    first.send('login', { name: n.bob }); // the holder logging in again is fine
    await first.next('logged_in');
    first.send('login', { name: n.carol });
    await first.error('WG_ERR_ALREADY_LOGGED_IN');
    await first.close();
    // The holder's process releases the name when it sees the socket close; across processes that
    // reaches Redis a moment after our close returns, so a client retrying briefly gets it.
    const deadline = Date.now() + 5000;
    for (;;) {
      second.send('login', { name: n.bob });
      const reply = await second.next();
      if (reply.type === 'logged_in') {
        expect(reply.data).toEqual({ name: n.bob });
        break;
      }
      expect(reply).toMatchObject({ type: 'error', code: 'WG_ERR_NAME_TAKEN' });
      if (Date.now() > deadline) throw new Error(`${n.bob} was never released`);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('tells the caller when the callee is not online', async () => {
    const n = names();
    const alice = await login(t.a(), n.alice);
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    expect(await alice.error('WG_ERR_PEER_OFFLINE')).toMatchObject({ data: { request: 'call', name: n.bob } });
    // Still idle: calling someone who is there works.
    await login(t.b(), n.bob);
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    await alice.silent(200);
  });

  it('refuses answer_call, ICEcandidate and hangup outside a call with that user', async () => {
    const n = names();
    const alice = await login(t.a(), n.alice);
    const bob = await login(t.b(), n.bob);
    bob.send('answer_call', { caller: n.alice, rtcMessage: ANSWER });
    await bob.error('WG_ERR_NOT_IN_CALL');
    bob.send('ICEcandidate', { user: n.alice, rtcMessage: CANDIDATE });
    await bob.error('WG_ERR_NOT_IN_CALL');
    bob.send('hangup', {});
    await bob.error('WG_ERR_NOT_IN_CALL');
    await alice.silent(200);
  });

  it('answers busy when the callee is already in a call, and refuses a second call from a caller', async () => {
    const { n, alice, bob } = await inCall();
    const carol = await login(t.a(), n.carol);
    carol.send('call', { name: n.bob, rtcMessage: OFFER });
    expect((await carol.next()).raw).toBe(JSON.stringify({ type: 'busy', data: { name: n.bob } }));
    await bob.silent(200);
    alice.send('call', { name: n.carol, rtcMessage: OFFER });
    await alice.error('WG_ERR_ALREADY_IN_CALL');
    // A ringing callee is busy too.
    bob.send('hangup', {});
    await alice.next('hangup');
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    await bob.next('call_received');
    carol.send('call', { name: n.bob, rtcMessage: OFFER });
    expect((await carol.next('busy')).data).toEqual({ name: n.bob });
  });

  it('lets the caller cancel and the callee decline a ringing call', async () => {
    const n = names();
    const alice = await login(t.a(), n.alice);
    const bob = await login(t.b(), n.bob);
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    await bob.next('call_received');
    alice.send('hangup', {});
    expect((await bob.next('hangup')).data).toEqual({ name: n.alice, reason: 'hangup' });
    bob.send('answer_call', { caller: n.alice, rtcMessage: ANSWER }); // too late
    await bob.error('WG_ERR_NOT_IN_CALL');
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    await bob.next('call_received');
    bob.send('hangup', { name: n.alice });
    expect((await alice.next('hangup')).data).toEqual({ name: n.bob, reason: 'hangup' });
  });

  it('hangs up the peer when a connection goes away, and frees its name', async () => {
    const { n, alice, bob } = await inCall();
    await bob.close();
    expect((await alice.next('hangup')).data).toEqual({ name: n.bob, reason: 'disconnected' });
    const again = await login(t.b(), n.bob);
    alice.send('call', { name: n.bob, rtcMessage: OFFER });
    await again.next('call_received');
  });

  it('closes a connection that sends an oversized message (1009)', async () => {
    const c = await connect(t.a());
    await c.next('connection');
    c.sendRaw(JSON.stringify({ type: 'login', data: { name: 'x', pad: 'x'.repeat(70 * 1024) } }));
    expect(await c.closed).toBe(1009);
  });
}
