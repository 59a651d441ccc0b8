import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { pocketsphinx } from '../src/speech/pocketsphinx-recognizer.js';
import { recognizeAll } from '../src/speech/speech-recognizer.js';
import { wordErrors } from '../src/speech/word-error-rate.js';
import { WsParticipant } from './rooms-support.js';

const fixtures = loadSpeechFixtures();
const byFile = (name: string) => fixtures.find((f) => f.file === name)!;

let gateway: Gateway;
let url: string;
beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

describe('speech stays intelligible through a room', () => {
  it('pocketsphinx recognises each speaker in another participant’s received audio, one talking at a time', { timeout: 90_000 }, async () => {
    const alice = await WsParticipant.join(url, 'fastrtc-l16', 'sp-alice', 'speech');
    const bob = await WsParticipant.join(url, 'fastrtc-l16', 'sp-bob', 'speech');
    const carol = await WsParticipant.join(url, 'fastrtc-l16', 'sp-carol', 'speech');
    const phone = await WsParticipant.join(url, 'twilio', 'sp-phone', 'speech'); // a narrowband member listening too
    await carol.waitRoomEvent((e) => e.event === 'participant_joined' && e.participant === 'sp-phone');
    const a = byFile('s04-slt.wav');
    const b = byFile('s01-rms.wav');
    await alice.say(concatPcm(silence(200, 16_000), a.samples, silence(400, 16_000)));
    await new Promise((r) => setTimeout(r, 300));
    const split = carol.heard().length;
    await bob.say(concatPcm(silence(200, 16_000), b.samples, silence(400, 16_000)));
    await new Promise((r) => setTimeout(r, 300));
    const heard = carol.heard();
    const recognizer = pocketsphinx()();
    try {
      const textA = await recognizeAll(recognizer, heard.subarray(0, split));
      const textB = await recognizeAll(recognizer, heard.subarray(split));
      const werA = wordErrors(a.text, textA);
      const werB = wordErrors(b.text, textB);
      console.log(`carol heard alice: ${JSON.stringify(textA)} (${werA.errors}/${werA.referenceWords} errors), bob: ${JSON.stringify(textB)} (${werB.errors}/${werB.referenceWords})`);
      expect(werA.errors / werA.referenceWords).toBeLessThanOrEqual(0.2);
      expect(werB.errors / werB.referenceWords).toBeLessThanOrEqual(0.2);
    } finally {
      await recognizer.close();
    }
    // The phone heard both too (narrowband: heard, not recognised by the 16 kHz model).
    expect(phone.heard().length).toBeGreaterThan(8000 * 4);
    for (const p of [alice, bob, carol, phone]) p.client.close();
  });
});
