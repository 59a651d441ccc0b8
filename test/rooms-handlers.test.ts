import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import asr from '../handlers/asr.js';
import echo from '../handlers/echo.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { defineHandler } from '../src/handler/handler.js';
import { goertzel, tone, WsParticipant } from './rooms-support.js';

const fixtures = loadSpeechFixtures();
const speech = (file: string) => fixtures.find((f) => f.file === file)!;

/** A handler that starts talking (a 600 Hz tone, 8 s) as soon as the room opens. */
const talker = defineHandler({
  name: 'talker',
  create: () => ({
    startUp(ctx) {
      ctx.send({ type: 'audio', frame: { samples: tone(600, 16_000, 8, 8000), sampleRate: 16_000, channels: 1, timestamp: 0 } });
    },
    receive() {},
  }),
});

describe('handlers as room participants', () => {
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, rooms: { handler: talker } });
    ({ url } = await gateway.listen());
  });
  afterAll(() => gateway.close());

  it('barge-in: a person starts talking → the handler stops within 100 ms and nothing it queued is heard after', async () => {
    const listener = await WsParticipant.join(url, 'fastrtc-mulaw', 'bi-listener', 'barge');
    const joined = await listener.waitRoomEvent((e) => e.event === 'joined');
    expect(joined.participants.map((p: { id: string; kind: string }) => `${p.id}:${p.kind}`)).toContain('talker:handler');
    const human = await WsParticipant.join(url, 'fastrtc-mulaw', 'bi-human', 'barge');
    await human.waitRoomEvent((e) => e.event === 'joined');
    await new Promise((r) => setTimeout(r, 600)); // the handler talks alone for a while
    const talking = human.say(tone(1000, 8000, 1.5));
    const event = await listener.waitRoomEvent((e) => e.event === 'barge_in');
    expect(event).toMatchObject({ participant: 'talker', by: 'bi-human' });
    await talking;
    await new Promise((r) => setTimeout(r, 200));
    // In the listener's stream (10 ms blocks): where the human's tone starts, and the last block with the handler's.
    const heard = listener.heard();
    const block = 80;
    const level = (f: number, i: number) => goertzel(heard.subarray(i, i + block), 8000, f);
    let onset = -1;
    let lastHandler = -1;
    for (let i = 0; i + block <= heard.length; i += block) {
      if (onset < 0 && level(1000, i) > 1e5) onset = i;
      if (level(600, i) > 1e5) lastHandler = i;
    }
    expect(onset).toBeGreaterThan(0);
    expect(lastHandler).toBeGreaterThan(0); // the handler was heard before
    const stoppedAfterMs = ((lastHandler + block - onset) * 1000) / 8000;
    console.log(`barge-in: the handler's last audio ends ${stoppedAfterMs} ms of stream time after the person's first`);
    expect(stoppedAfterMs).toBeLessThanOrEqual(100);
    listener.client.close();
    human.client.close();
  }, 30_000);
});

describe('the asr handler in a room, per speaker', () => {
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, rooms: { handler: asr, handlerInput: 'per-speaker' } });
    ({ url } = await gateway.listen());
  });
  afterAll(() => gateway.close());

  it('transcribes each person with the right speaker id', async () => {
    const alice = await WsParticipant.join(url, 'fastrtc-l16', 'alice', 'meeting');
    const bob = await WsParticipant.join(url, 'fastrtc-l16', 'bob', 'meeting');
    await alice.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'bob');
    const a = speech('s02-slt.wav');
    const b = speech('s03-rms.wav');
    // One at a time: alice, then bob (each with the silence after it that ends a turn).
    await alice.say(concatPcm(silence(300, 16_000), a.samples, silence(1200, 16_000)));
    await bob.say(concatPcm(silence(300, 16_000), b.samples, silence(1200, 16_000)));
    const finals = async (speaker: string) => (await alice.waitRoomEvent((e) => e.event === 'transcript' && e.final && e.speaker === speaker, 60_000)).text as string;
    const [textA, textB] = await Promise.all([finals('alice'), finals('bob')]);
    console.log(`room transcripts: alice ${JSON.stringify(textA)}, bob ${JSON.stringify(textB)}`);
    expect(textA).toContain('kitchen');
    expect(textB).toContain('account');
    // Bob's socket gets the same labelled transcripts.
    await bob.waitRoomEvent((e) => e.event === 'transcript' && e.speaker === 'alice' && e.final);
    alice.client.close();
    bob.client.close();
  }, 120_000);
});

describe('bad input around rooms never crashes or disturbs others', () => {
  let gateway: Gateway;
  let url: string;
  const broken = defineHandler({
    name: 'broken',
    create: () => {
      throw new Error('no engine here');
    },
  });
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, rooms: { handler: broken } });
    ({ url } = await gateway.listen());
  });
  afterAll(() => gateway.close());

  it('a room handler that cannot be made refuses the join (WG_ERR_HANDLER_UNAVAILABLE); malformed room messages are warnings', async () => {
    const p = await WsParticipant.join(url, 'fastrtc-mulaw', 'bad-1', 'broken-room');
    const refused = await p.client.waitFor((m) => m.type === 'error');
    expect(refused.code).toBe('WG_ERR_HANDLER_UNAVAILABLE');
    expect(gateway.rooms.get('broken-room')).toBeUndefined();
    // A session in no room that sends room messages, and a bad room field: warnings, the session goes on.
    const plain = await WsParticipant.join(url, 'fastrtc-mulaw', 'plain-1', undefined as unknown as string);
    plain.client.send({ event: 'room', action: 'list' });
    expect((await plain.client.waitFor((m) => m.type === 'warning')).code).toBe('WG_ERR_NOT_IN_ROOM');
    plain.client.send({ event: 'ping' });
    await plain.client.waitFor((m) => m.event === 'pong');
    const typed = await WsParticipant.join(url, 'fastrtc-mulaw', 'typed-1', 42 as unknown as string);
    expect((await typed.client.waitFor((m) => m.type === 'error')).code).toBeDefined();
    plain.client.close();
  });
});
