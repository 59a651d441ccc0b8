import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { db, goertzel, tone, WsParticipant } from './rooms-support.js';

let gateway: Gateway;
let url: string;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0, rooms: { maxParticipants: 4, maxRooms: 3 } });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

const TONES = { a: 440, b: 1100, c: 1700 } as const;

describe('a room of three WebSocket participants (FastRTC μ-law 8 kHz, FastRTC L16 16 kHz, Twilio)', () => {
  it('each hears the other two and not itself (own tone ≥ 40 dB below the others)', async () => {
    const a = await WsParticipant.join(url, 'fastrtc-mulaw', 'tone-a', 'tones');
    const b = await WsParticipant.join(url, 'fastrtc-l16', 'tone-b', 'tones');
    const c = await WsParticipant.join(url, 'twilio', 'tone-c', 'tones');
    // Twilio cannot carry room events: its arrival is seen by the others.
    for (const p of [a, b]) await p.waitRoomEvent((e) => e.event === 'joined');
    await a.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'tone-c');
    const seconds = 3;
    await Promise.all([a.say(tone(TONES.a, a.rate, seconds)), b.say(tone(TONES.b, b.rate, seconds)), c.say(tone(TONES.c, c.rate, seconds))]);
    await new Promise((r) => setTimeout(r, 300));
    const own = { 'tone-a': TONES.a, 'tone-b': TONES.b, 'tone-c': TONES.c } as Record<string, number>;
    for (const p of [a, b, c]) {
      const heard = p.heard();
      // The steady middle: skip the first half second (joins, priming) and the tail.
      const middle = heard.subarray(Math.round(p.rate * 0.5), Math.round(p.rate * 2.3));
      expect(middle.length).toBeGreaterThan(p.rate);
      const powers = Object.fromEntries(Object.entries(own).map(([id, f]) => [id, goertzel(middle, p.rate, f)]));
      const others = Object.keys(own).filter((id) => id !== p.id);
      for (const other of others) expect(db(powers[other]! / powers[p.id]!), `${p.id} hears ${other} over itself`).toBeGreaterThanOrEqual(40);
    }
    for (const p of [a, b, c]) p.client.close();
    await a.client.waitClose();
  }, 30_000);

  it('Telnyx and Plivo join by their custom parameter `room` and hear each other', async () => {
    const t = await WsParticipant.join(url, 'telnyx', 'tel-1', 'phones');
    const p = await WsParticipant.join(url, 'plivo', 'plv-1', 'phones');
    for (let i = 0; i < 100 && (gateway.rooms.get('phones')?.participants().length ?? 0) < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(gateway.rooms.get('phones')?.participants().map((x) => x.carrier).sort()).toEqual(['plivo', 'telnyx']);
    await Promise.all([t.say(tone(600, 8000, 1.5)), p.say(tone(1500, 8000, 1.5))]);
    await new Promise((r) => setTimeout(r, 200));
    for (const [who, own, other] of [[t, 600, 1500], [p, 1500, 600]] as const) {
      const middle = who.heard().subarray(2000, 10_000);
      expect(db(goertzel(middle, 8000, other) / goertzel(middle, 8000, own)), who.id).toBeGreaterThanOrEqual(40);
    }
    t.client.close();
    p.client.close();
  }, 20_000);

  it('a phone number whose webhook is /telephone/incoming?room=R puts its callers in room R', async () => {
    const res = await fetch(`${url}/telephone/incoming?room=standup`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'From=%2B15550001&To=%2B15550002&CallSid=CA1' });
    expect(res.status).toBe(200);
    const twiml = await res.text();
    expect(twiml).toContain('<Parameter name="room" value="standup"/>');
    const bad = await (await fetch(`${url}/telephone/incoming?room=${encodeURIComponent('no good!')}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'From=1' })).text();
    expect(bad).not.toContain('name="room"');
  });

  it('creates a room on first join and closes it when the last participant leaves; join/leave reach everyone', async () => {
    const a = await WsParticipant.join(url, 'fastrtc-mulaw', 'life-a', 'life');
    await a.waitRoomEvent((e) => e.event === 'joined');
    expect(gateway.rooms.get('life')).toBeDefined();
    const b = await WsParticipant.join(url, 'fastrtc-mulaw', 'life-b', 'life');
    const joined = await b.waitRoomEvent((e) => e.event === 'joined');
    expect(joined.participants.map((p: { id: string }) => p.id).sort()).toEqual(['life-a', 'life-b']);
    await a.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'life-b');
    b.client.close();
    const left = await a.waitRoomEvent((e) => e.event === 'participant_left' && e.participant === 'life-b');
    expect(left.reason).toBe('socket_closed');
    a.client.close();
    await a.client.waitClose();
    for (let i = 0; i < 50 && gateway.rooms.get('life'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(gateway.rooms.get('life')).toBeUndefined();
  });
});
