import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { db, goertzel, tone, WsParticipant } from './rooms-support.js';
import { tempDir } from './recordings-helpers.js';

let gateway: Gateway;
let url: string;
let dir: { dir: string; remove(): Promise<void> };

beforeAll(async () => {
  dir = await tempDir('wg-room-rec-');
  gateway = createGateway({ handler: echo, port: 0, recordDir: dir.dir, recordMode: 'output' });
  ({ url } = await gateway.listen());
});
afterAll(async () => {
  await gateway.close();
  await dir.remove();
});

function pcmOf(wav: ArrayBuffer): { rate: number; samples: Int16Array } {
  const bytes = Buffer.from(wav);
  const rate = bytes.readUInt32LE(24);
  const data = bytes.indexOf('data');
  const start = data + 8;
  const samples = new Int16Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + ((bytes.length - start) & ~1)));
  return { rate, samples };
}

describe('recording a room', () => {
  it('records the mix of everyone (mono, the room rate) as room.{id}, served while live and after', { timeout: 30_000 }, async () => {
    const a = await WsParticipant.join(url, 'fastrtc-mulaw', 'rec-a', 'taped');
    const b = await WsParticipant.join(url, 'fastrtc-l16', 'rec-b', 'taped');
    await a.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'rec-b');
    await Promise.all([a.say(tone(700, 8000, 1.5)), b.say(tone(1900, 16_000, 1.5))]);
    // Live: the growing file is served.
    const live = await fetch(`${url}/recordings/room.taped.wav`);
    expect(live.status).toBe(200);
    a.client.close();
    b.client.close();
    for (let i = 0; i < 100 && gateway.rooms.get('taped'); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const done = await fetch(`${url}/recordings/room.taped.wav`);
    expect(done.status).toBe(200);
    const { rate, samples } = pcmOf(await done.arrayBuffer());
    expect(rate).toBe(16_000);
    const middle = samples.subarray(rate * 0.3, rate * 1.3);
    const noise = goertzel(middle, rate, 1300);
    expect(db(goertzel(middle, rate, 700) / noise)).toBeGreaterThan(30); // both voices are in the mix
    expect(db(goertzel(middle, rate, 1900) / noise)).toBeGreaterThan(30);
    const list = (await (await fetch(`${url}/recordings`)).json()) as { recordings: Array<{ id: string }> };
    expect(list.recordings.map((r) => r.id)).toEqual(expect.arrayContaining(['room.taped', 'rec-a', 'rec-b']));
  });
});
