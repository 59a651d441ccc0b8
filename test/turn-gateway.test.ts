/**
 * replyOnPause through real sockets and the real VAD: a reply generated faster than real time (TTS
 * returns a whole sentence at once) reaches the client paced; a reply that needs inputs asks with
 * send_input and gets them from POST /input; additional outputs reach GET /outputs (SSE).
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

  it('needsInputs: send_input → POST /input → the reply sees the inputs; its additional outputs stream on SSE', { timeout: 60_000 }, async () => {
    const handler = replyOnPause(
      async function* (turn) {
        yield { type: 'additional_outputs', data: { inputs: turn.inputs, heardMs: Math.round((turn.audio.samples.length / 16_000) * 1000) } };
      },
      { needsInputs: true },
    );
    const gateway = createGateway({ handler, port: 0 });
    const { url } = await gateway.listen();
    try {
      const id = `inputs-${process.pid}`;
      const client = await SpeechTestClient.open(`${url.replace('http', 'ws')}/websocket/offer`, id, 16_000);
      const sse = await fetch(`${url}/outputs?webrtc_id=${id}`);
      const reader = sse.body!.getReader();
      let sseText = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          sseText += new TextDecoder().decode(value);
        }
      })().catch(() => undefined);
      await client.stream(concatPcm(silence(300, 16_000), loadSpeechFixtures()[2]!.samples, silence(800, 16_000)), 16_000);
      await client.until(() => client.json('send_input').length > 0, 10_000, 'send_input');
      expect(client.json('send_input')[0]!.message).toEqual({ type: 'send_input', data: [] });
      expect(sseText).not.toContain('inputs');
      const posted = await fetch(`${url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: id, voice: 'slt', temperature: 0.3 }) });
      expect(posted.status).toBeLessThan(300);
      await client.until(() => sseText.includes('heardMs'), 10_000, 'the reply on SSE');
      const event = JSON.parse(/data: (.*heardMs.*)/.exec(sseText)![1]!) as { inputs: unknown; heardMs: number };
      expect(event.inputs).toEqual({ voice: 'slt', temperature: 0.3 });
      expect(event.heardMs).toBeGreaterThan(2000);
      expect(client.json('log').map((m) => m.message.data)).toEqual(['started_talking', 'pause_detected', 'response_starting']);
      await client.stop();
      await reader.cancel().catch(() => undefined);
    } finally {
      await gateway.close();
    }
  });
});
