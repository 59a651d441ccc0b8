/**
 * docs/rooms.md "Scaling": a room lives on one node. Two gateway processes (the real CLI) on one real
 * redis-server: a join that lands on the other node is refused with WG_ERR_ROOM_ELSEWHERE naming the
 * owner's URL; joining there works; once the room closes its id is free for any node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './channel-layer-redis-server.js';
import { startServe, type CliProcess } from './support/cli-process.js';
import { until } from './cluster-support.js';
import { db, goertzel, tone, WsParticipant } from './rooms-support.js';

let redis: RedisServer;
let a: CliProcess;
let b: CliProcess;

beforeAll(async () => {
  redis = await RedisServer.start();
  [a, b] = await Promise.all([startServe(['--redis', redis.url]), startServe(['--redis', redis.url])]);
}, 40_000);
afterAll(async () => {
  for (const node of [a, b]) {
    if (node && node.child.exitCode === null) {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  }
  await redis?.kill();
});

describe('rooms with --redis', () => {
  it('answers a join on the wrong node with the owner’s URL; the room works there and is free again once closed', { timeout: 60_000 }, async () => {
    const first = await WsParticipant.join(a.url, 'fastrtc-mulaw', 'cl-1', 'shared');
    await first.waitRoomEvent((e) => e.event === 'joined');
    const wrong = await WsParticipant.join(b.url, 'fastrtc-mulaw', 'cl-2', 'shared');
    const refused = await wrong.client.waitFor((m) => m.type === 'error');
    expect(refused.code).toBe('WG_ERR_ROOM_ELSEWHERE');
    expect(refused.message).toContain(a.url);
    expect(await wrong.client.waitClose()).toBe(4016);
    // The client follows the URL.
    const second = await WsParticipant.join(a.url, 'fastrtc-mulaw', 'cl-2', 'shared');
    await second.waitRoomEvent((e) => e.event === 'joined');
    await first.say(tone(900, 8000, 1));
    const heard = second.heard().subarray(1600);
    expect(db(goertzel(heard, 8000, 900) / goertzel(heard, 8000, 1234))).toBeGreaterThan(30);
    first.client.close();
    second.client.close();
    // Closed on a: the id is free in the directory, so b may now hold the room.
    await until(async () => {
      const list = (await (await fetch(`${a.url}/sessions`)).json()) as { sessions: Array<{ id: string }> };
      return !list.sessions.some((s) => s.id === 'room:shared');
    }, 10_000, 'the room leaving the directory');
    const later = await WsParticipant.join(b.url, 'fastrtc-mulaw', 'cl-3', 'shared');
    await later.waitRoomEvent((e) => e.event === 'joined');
    later.client.close();
  });
});
