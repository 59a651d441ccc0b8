// Tokens that name rooms (docs/security.md, docs/rooms.md): a token's `room` claim is the one room its
// sessions may join, checked where the session is admitted — so on every transport (FastRTC WebSocket,
// WebRTC offer, a phone stream's `room` parameter) and for the room a session would join by `roomFor`.
// Real gateways, real sockets: with the claim, without it, and the wrong room.
import { afterEach, describe, expect, it, vi } from 'vitest';
import echo from '../handlers/echo.js';
import { createToken } from '../src/auth/access-token.js';
import { createGateway, type CreateGatewayOptions, type Gateway } from '../src/gateway.js';
import { WsParticipant } from './rooms-support.js';
import { runWavegate } from './support/cli-process.js';
import { offerSdp } from './support/offer-sdp.js';
import { WsTestClient } from './support/ws-test-client.js';

const SECRET = 'rooms-secret-of-at-least-32-characters';
const L16 = { encoding: 'audio/x-l16', sampleRate: 16_000, channels: 1 };

let gateway: Gateway | undefined;
let warnings: string[] = [];
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  vi.restoreAllMocks();
});

async function start(options: Partial<CreateGatewayOptions> = {}): Promise<string> {
  warnings = [];
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.map(String).join(' ')));
  gateway = createGateway({ handler: echo, port: 0, authSecret: SECRET, ...options });
  return (await gateway.listen()).url;
}

const talk = (room?: string) => createToken({ secret: SECRET, scope: ['talk'], ttlS: 600, ...(room !== undefined && { room }) });

/** A FastRTC start naming `room` (or none) with `token`: the room it joined, or the error code and close code. */
async function joinOverWs(base: string, token: string, id: string, room: string | undefined): Promise<{ joined: string } | { code: string; close: number }> {
  const client = await WsTestClient.connect(`${base.replace('http', 'ws')}/websocket/offer?token=${token}`);
  client.send({ event: 'start', websocket_id: id, ...(room !== undefined && { room }), mediaFormat: L16, outputFormat: L16 });
  const first = await client.waitFor((m) => m.type === 'error' || (m.type === 'room' && m.data?.event === 'joined') || m.event === 'started' || m.type === 'log');
  if (first.type === 'error') return { code: first.code, close: await client.waitClose() };
  if (first.type === 'room') {
    client.close();
    return { joined: first.data.room };
  }
  client.close();
  return { joined: '(no room)' };
}

describe('the room claim', () => {
  it('FastRTC: a token for room R joins R; another room or none is WG_ERR_FORBIDDEN (4003), logged; a token without the claim joins any', { timeout: 30_000 }, async () => {
    const base = await start();
    const forR = await talk('standup');
    expect(await joinOverWs(base, forR, 'alice', 'standup')).toEqual({ joined: 'standup' });
    expect(await joinOverWs(base, forR, 'alice-2', 'board')).toEqual({ code: 'WG_ERR_FORBIDDEN', close: 4003 });
    expect(await joinOverWs(base, forR, 'alice-3', undefined)).toEqual({ code: 'WG_ERR_FORBIDDEN', close: 4003 });
    const any = await talk();
    expect(await joinOverWs(base, any, 'bob', 'board')).toEqual({ joined: 'board' });
    expect(gateway!.sessions.registry.get('alice-2')).toBeUndefined();
    const refused = warnings.filter((w) => w.startsWith('wavegate: refused ')).map((w) => JSON.parse(w.slice(18)));
    expect(refused).toEqual([
      expect.objectContaining({ code: 'WG_ERR_FORBIDDEN', route: '/websocket/offer', reason: expect.stringContaining('the token is for room "standup", not "board"') }),
      expect.objectContaining({ code: 'WG_ERR_FORBIDDEN', route: '/websocket/offer', reason: expect.stringContaining('the token is for room "standup"; this session joins no room') }),
    ]);
    expect(warnings.join('\n')).not.toContain(forR);
  });

  it('the room a session would join by rooms.roomFor is the one checked', { timeout: 30_000 }, async () => {
    const base = await start({ rooms: { roomFor: ({ id }: { id: string }) => (id.startsWith('sales-') ? 'sales' : undefined) } });
    const forSales = await talk('sales');
    expect(await joinOverWs(base, forSales, 'sales-1', undefined)).toEqual({ joined: 'sales' });
    expect(await joinOverWs(base, forSales, 'support-1', undefined)).toEqual({ code: 'WG_ERR_FORBIDDEN', close: 4003 });
  });

  it('WebRTC: POST /webrtc/offer with another room than the claim fails with WG_ERR_FORBIDDEN; the claimed room is answered', { timeout: 30_000 }, async () => {
    const base = await start();
    const forR = await talk('standup');
    const offer = async (id: string, room: string) => {
      const response = await fetch(`${base}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${forR}` }, body: JSON.stringify({ webrtc_id: id, type: 'offer', sdp: await offerSdp(), room }) });
      return (await response.json()) as Record<string, any>;
    };
    expect(await offer('rtc-wrong', 'board')).toMatchObject({ status: 'failed', meta: { code: 'WG_ERR_FORBIDDEN' } });
    expect(await offer('rtc-right', 'standup')).toMatchObject({ type: 'answer', sdp: expect.stringContaining('v=0') });
  });

  it('a phone stream (Telnyx, token as stream_auth_token) naming another room by its `room` parameter is refused', { timeout: 30_000 }, async () => {
    const base = await start();
    const forR = await talk('standup');
    const wrong = await WsParticipant.join(base, 'telnyx', 'tx-wrong', 'board', { headers: { authorization: `Bearer ${forR}` } });
    // Carriers have no text channel for errors: the code is the close's.
    expect(await wrong.client.waitClose()).toBe(4003);
    expect(wrong.client.closeReason).toBe('WG_ERR_FORBIDDEN');
    expect(gateway!.rooms.get('board')).toBeUndefined();
    const right = await WsParticipant.join(base, 'telnyx', 'tx-right', 'standup', { headers: { authorization: `Bearer ${forR}` } });
    await vi.waitFor(() => expect(gateway!.rooms.get('standup')?.participants().map((p) => p.id)).toEqual(['tx-right']));
    right.client.close();
    wrong.client.close();
  });

  it('a phone stream opened with a token for one session id (sub) opens that id only', { timeout: 30_000 }, async () => {
    const base = await start();
    const forOne = await createToken({ secret: SECRET, scope: ['talk'], sub: 'tx-mine', ttlS: 600 });
    const other = await WsParticipant.join(base, 'telnyx', 'tx-other', 'standup', { headers: { authorization: `Bearer ${forOne}` } });
    expect(await other.client.waitClose()).toBe(4003);
    const mine = await WsParticipant.join(base, 'telnyx', 'tx-mine', 'standup', { headers: { authorization: `Bearer ${forOne}` } });
    await vi.waitFor(() => expect(gateway!.sessions.registry.get('tx-mine')).toBeDefined());
    mine.client.close();
  });

  it('createToken({room}) and `wavegate token --room` carry the claim; a room off the id pattern is refused at minting', async () => {
    const minted = await createToken({ secret: SECRET, scope: ['talk'], ttlS: 60, room: 'standup' });
    expect(JSON.parse(Buffer.from(minted.split('.')[1]!, 'base64url').toString())).toMatchObject({ scope: ['talk'], room: 'standup' });
    await expect(createToken({ secret: SECRET, scope: ['talk'], ttlS: 60, room: '../x' })).rejects.toThrow(/room must be a room id/);
    const cli = await runWavegate(['token', '--scope', 'talk', '--room', 'standup', '--secret', SECRET]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(Buffer.from(cli.stdout.trim().split('.')[1]!, 'base64url').toString())).toMatchObject({ scope: ['talk'], room: 'standup' });
  });
});
