import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import voiceLoop from '../handlers/voice-loop.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { pocketsphinx } from '../src/speech/pocketsphinx-recognizer.js';
import { recognizeAll } from '../src/speech/speech-recognizer.js';
import { until } from './cluster-support.js';
import { WsParticipant } from './rooms-support.js';

let gateway: Gateway;
let url: string;
beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0, rooms: { handler: voiceLoop } });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

describe('a voice-loop handler in a room', () => {
  it('hears a person in the mix and answers; everyone else in the room hears the answer', { timeout: 120_000 }, async () => {
    const speaker = await WsParticipant.join(url, 'fastrtc-l16', 'vl-speaker', 'agent');
    const other = await WsParticipant.join(url, 'fastrtc-l16', 'vl-other', 'agent');
    await speaker.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'vl-other');
    const sentence = loadSpeechFixtures().find((f) => f.file === 's01-slt.wav')!;
    await speaker.say(concatPcm(silence(300, 16_000), sentence.samples, silence(300, 16_000)));
    const split = other.heard().length; // what the other heard so far is the person; the answer comes after
    const transcript = await other.waitRoomEvent((e) => e.event === 'transcript' && e.final, 60_000);
    expect(transcript.participant).toBe('voice-loop');
    expect(transcript.speaker).toBeNull();
    // Keep the room open (silence) while the answer plays, then let it finish.
    let before = -1;
    await until(async () => {
      const n = other.heard().length;
      const still = n === before && n > split + 16_000;
      before = n;
      if (!still) await speaker.say(silence(400, 16_000));
      return still;
    }, 60_000, 'the answer to end');
    const recognizer = pocketsphinx()();
    try {
      const answer = await recognizeAll(recognizer, other.heard().subarray(split));
      console.log(`the room heard the agent say: ${JSON.stringify(answer)}`);
      expect(answer).toContain('tomorrow');
    } finally {
      await recognizer.close();
    }
    speaker.client.close();
    other.client.close();
  });
});
