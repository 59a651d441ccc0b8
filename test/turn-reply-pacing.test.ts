/**
 * A reply generated faster than real time (TTS returns a whole sentence at once) reaches the client
 * paced: about real time, a small lead ahead, never all at once. Real sockets, real VAD.
 */
import { describe, expect, it } from 'vitest';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';
import { createAudioFrame } from '../src/audio/audio-frame.js';
import { createGateway } from '../src/gateway.js';
import { replyOnPause } from '../src/turn/reply-on-pause.js';

describe('replyOnPause through the gateway', () => {
  it('paces a 3 s reply yielded all at once: it takes about 3 s to arrive', { timeout: 60_000 }, async () => {
    const tone = Int16Array.from({ length: 48_000 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 300 * i) / 16_000)));
    const handler = replyOnPause(function* () {
      for (let o = 0; o < tone.length; o += 320) yield createAudioFrame(tone.slice(o, o + 320), 16_000);
    });
    const gateway = createGateway({ handler, port: 0 });
    const { url } = await gateway.listen();
    try {
      const client = await SpeechTestClient.open(`${url.replace('http', 'ws')}/websocket/offer`, 'pacing', 16_000);
      await client.stream(concatPcm(silence(300, 16_000), loadSpeechFixtures()[0]!.samples, silence(800, 16_000)), 16_000);
      await client.until(() => client.audio().length >= 150, 20_000, 'the whole reply');
      const audio = client.audio();
      const spanMs = audio[audio.length - 1]!.at - audio[0]!.at;
      const inFirst500 = audio.filter((a) => a.at - audio[0]!.at < 500).length;
      console.log(`3 s reply arrived over ${spanMs.toFixed(0)} ms; ${inFirst500} frames in its first 500 ms`);
      expect(spanMs).toBeGreaterThan(2500);
      expect(inFirst500).toBeLessThan(60); // 25 frames of real time plus the lead, not the whole reply
      await client.stop();
    } finally {
      await gateway.close();
    }
  });
});
