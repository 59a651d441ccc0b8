import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createToken } from '../src/auth/access-token.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { db, goertzel, tone, WsParticipant } from './rooms-support.js';

let gateway: Gateway;
let url: string;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0, rooms: { maxParticipants: 3, maxRooms: 2 } });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

const post = (path: string, body: unknown) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
/** What `p` heard of `freq` since sample `from` (skipping the first 200 ms after it). */
const powerSince = (p: WsParticipant, from: number, freq: number) => {
  const heard = p.heard().subarray(from + p.rate / 5);
  return goertzel(heard, p.rate, freq);
};

describe('room controls', () => {
  it('mute, gain and kick from HTTP (admin) and the socket; list; active_speaker follows who talks', async () => {
    const a = await WsParticipant.join(url, 'fastrtc-mulaw', 'ctl-a', 'ctl');
    const b = await WsParticipant.join(url, 'fastrtc-mulaw', 'ctl-b', 'ctl');
    await b.waitRoomEvent((e) => e.event === 'joined');
    await a.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'ctl-b');

    // a talks: b hears it, and active_speaker names a.
    const talkStart = performance.now();
    const talking = a.say(tone(800, 8000, 1.0));
    const speaker = await b.waitRoomEvent((e) => e.event === 'active_speaker' && e.participant === 'ctl-a');
    expect(speaker.room).toBe('ctl');
    const activeAfterMs = performance.now() - talkStart;
    // Within 300 ms of a's speech in stream time, not wall-clock time: b only gets mixed frames while a is
    // heard, and events and media share b's socket in order, so the frames before the event are the mixed
    // audio of a until the room named it (at most 15 frames of 20 ms).
    const at = b.client.messages.findIndex((m) => !Buffer.isBuffer(m) && m.type === 'room' && m.data.event === 'active_speaker');
    const framesBefore = b.client.messages.slice(0, at).filter((m) => !Buffer.isBuffer(m) && m.event === 'media').length;
    expect(framesBefore).toBeLessThanOrEqual(15);
    await talking;
    expect(goertzel(b.heard(), 8000, 800)).toBeGreaterThan(0);

    // Muted by the admin: b hears nothing of a; everyone is told.
    let res = await post('/rooms/ctl/mute', { participant: 'ctl-a' });
    expect(res.status).toBe(200);
    await a.waitRoomEvent((e) => e.event === 'muted' && e.participant === 'ctl-a' && e.muted === true);
    const beforeMuted = b.heard().length;
    await a.say(tone(800, 8000, 0.6));
    expect(b.heard().length - beforeMuted).toBeLessThan(8000 * 0.1); // nothing (or a frame in flight) reaches b

    // Unmuted from a's own socket; gain ×0.25 from the admin: b hears a 12 dB quieter.
    a.client.send({ event: 'room', action: 'unmute' });
    await b.waitRoomEvent((e) => e.event === 'muted' && e.participant === 'ctl-a' && e.muted === false);
    let from = b.heard().length;
    await a.say(tone(800, 8000, 0.6));
    const full = powerSince(b, from, 800);
    res = await post('/rooms/ctl/gain', { participant: 'ctl-a', gain: 0.25 });
    expect(res.status).toBe(200);
    await a.waitRoomEvent((e) => e.event === 'gain' && e.gain === 0.25);
    from = b.heard().length;
    await a.say(tone(800, 8000, 0.6));
    const quieter = powerSince(b, from, 800);
    expect(db(full / quieter)).toBeGreaterThan(9);
    expect(db(full / quieter)).toBeLessThan(15);

    // A participant may not mute others (clientModeration off): a coded warning.
    b.client.send({ event: 'room', action: 'mute', participant: 'ctl-a' });
    const refused = await b.client.waitFor((m) => m.type === 'warning' && m.code === 'WG_ERR_ROOM_FORBIDDEN');
    expect(refused.message).toContain('clientModeration');

    // list from the socket; GET /rooms and /rooms/{id}.
    b.client.send({ event: 'room', action: 'list' });
    const list = await b.waitRoomEvent((e) => e.event === 'participants');
    expect(list.participants.map((p: { id: string }) => p.id).sort()).toEqual(['ctl-a', 'ctl-b']);
    const rooms = (await (await fetch(`${url}/rooms`)).json()) as { rooms: Array<{ id: string; participants: number }> };
    expect(rooms.rooms.find((r) => r.id === 'ctl')?.participants).toBe(2);
    const detail = (await (await fetch(`${url}/rooms/ctl`)).json()) as { participants: Array<{ id: string; gain: number }>; mixer: { ticks: number } };
    expect(detail.participants.find((p) => p.id === 'ctl-a')?.gain).toBe(0.25);
    expect(detail.mixer.ticks).toBeGreaterThan(0);
    expect((await fetch(`${url}/rooms/nope`)).status).toBe(404);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^wavegate_rooms_open 1$/m);
    expect(metrics).toMatch(/^wavegate_room_participants 2$/m);
    expect((await post('/rooms/ctl/mute', { participant: 'nobody' })).status).toBe(404);
    expect((await post('/rooms/ctl/gain', { participant: 'ctl-a', gain: 99 })).status).toBe(400);

    // Kick: b's socket closes with WG_ERR_ROOM_KICKED (4015), a is told it left.
    res = await post('/rooms/ctl/kick', { participant: 'ctl-b' });
    expect(res.status).toBe(200);
    expect(await b.client.waitClose()).toBe(4015);
    const left = await a.waitRoomEvent((e) => e.event === 'participant_left' && e.participant === 'ctl-b');
    expect(left.reason).toBe('kicked');
    console.log(`active_speaker after ${framesBefore} mixed frames of a (${activeAfterMs.toFixed(0)} ms of wall time after a's first frame)`);
    a.client.close();
  }, 30_000);

  it('refuses past the limits: participants per room, rooms per process; a room message outside a room is a warning', async () => {
    const seats = await Promise.all(['f1', 'f2', 'f3'].map((id) => WsParticipant.join(url, 'fastrtc-mulaw', `full-${id}`, 'full')));
    await seats[2]!.waitRoomEvent((e) => e.event === 'joined');
    const extra = await WsParticipant.join(url, 'fastrtc-mulaw', 'full-f4', 'full');
    const refused = await extra.client.waitFor((m) => m.type === 'error');
    expect(refused.code).toBe('WG_ERR_ROOM_FULL');
    expect(await extra.client.waitClose()).toBe(1013);
    const other = await WsParticipant.join(url, 'fastrtc-mulaw', 'lim-1', 'second');
    await other.waitRoomEvent((e) => e.event === 'joined');
    const third = await WsParticipant.join(url, 'fastrtc-mulaw', 'lim-2', 'third');
    expect((await third.client.waitFor((m) => m.type === 'error')).code).toBe('WG_ERR_ROOM_LIMIT');
    const bad = await WsParticipant.join(url, 'fastrtc-mulaw', 'lim-3', 'bad room!');
    expect((await bad.client.waitFor((m) => m.type === 'error')).code).toBe('WG_ERR_INVALID_ROOM');
    for (const p of [...seats, other]) p.client.close();
  });
});

describe('room controls with clientModeration', () => {
  let moderated: Gateway;
  let base: string;
  beforeAll(async () => {
    moderated = createGateway({ handler: echo, port: 0, rooms: { clientModeration: true } });
    ({ url: base } = await moderated.listen());
  });
  afterAll(() => moderated.close());

  it('a participant may mute and kick another from its socket', async () => {
    const a = await WsParticipant.join(base, 'fastrtc-mulaw', 'mod-a', 'mod');
    const b = await WsParticipant.join(base, 'fastrtc-mulaw', 'mod-b', 'mod');
    await a.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'mod-b');
    a.client.send({ event: 'room', action: 'mute', participant: 'mod-b' });
    expect(await b.waitRoomEvent((e) => e.event === 'muted' && e.participant === 'mod-b')).toMatchObject({ muted: true, by: 'mod-a' });
    a.client.send({ event: 'room', action: 'kick', participant: 'mod-b' });
    expect(await b.client.waitClose()).toBe(4015);
    expect(b.roomEvents().some((e) => e.event === 'kicked' && e.by === 'mod-a')).toBe(true);
    a.client.close();
  });
});

describe('room routes with access tokens on', () => {
  const SECRET = 'rooms-test-secret-0123456789abcdef0123';
  let secured: Gateway;
  let base: string;
  beforeAll(async () => {
    secured = createGateway({ handler: echo, port: 0, authSecret: SECRET });
    ({ url: base } = await secured.listen());
  });
  afterAll(() => secured.close());

  it('GET /rooms and POST /rooms/{id}/… need an admin token; a talk token joins a room', async () => {
    const talk = await createToken({ secret: SECRET, scope: ['talk'], ttlS: 60 });
    const admin = await createToken({ secret: SECRET, scope: ['admin'], ttlS: 60 });
    expect((await fetch(`${base}/rooms`)).status).toBe(401);
    expect((await fetch(`${base}/rooms`, { headers: { authorization: `Bearer ${talk}` } })).status).toBe(403);
    expect((await fetch(`${base}/rooms`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
    expect((await fetch(`${base}/rooms/x/mute`, { method: 'POST', body: '{"participant":"p"}' })).status).toBe(401);
    const p = await WsParticipant.join(`${base.replace(/\/$/, '')}`, 'fastrtc-mulaw', 'tok-1', 'secured', { headers: { authorization: `Bearer ${talk}` } });
    await p.waitRoomEvent((e) => e.event === 'joined');
    p.client.close();
  });
});
