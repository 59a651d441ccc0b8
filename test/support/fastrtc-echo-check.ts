// Test helper (not a test): one short FastRTC session (μ-law JSON, the protocol's defaults) through a
// gateway's echo, for tests that check a route is reachable rather than audio quality.
import type WebSocket from 'ws';
import { encodeMulawInto } from '../../src/codecs/g711.js';
import { sendPaced, WsTestClient } from './ws-test-client.js';

/** Streams 0.6 s of a 440 Hz tone to `wsUrl` (…/websocket/offer) and returns the samples echoed back. */
export async function fastRtcEchoSamples(wsUrl: string, id: string, wsOptions?: WebSocket.ClientOptions): Promise<number> {
  const client = await WsTestClient.connect(wsUrl, wsOptions);
  client.send({ event: 'start', websocket_id: id });
  const frames: string[] = [];
  for (let k = 0; k < 30; k++) {
    const pcm = new Int16Array(960);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (k * 960 + i)) / 48_000));
    const bytes = new Uint8Array(960);
    encodeMulawInto(pcm, bytes);
    frames.push(Buffer.from(bytes).toString('base64'));
  }
  await sendPaced(frames, (payload) => client.send({ event: 'media', media: { payload } }));
  const echoed = () => client.json().filter((m) => m.event === 'media').reduce((n, m) => n + Buffer.from(m.media.payload, 'base64').length, 0);
  const deadline = Date.now() + 10_000;
  // 0.6 s at 24 kHz out is 14 400 samples; wait for most of it.
  while (echoed() < 12_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  client.send({ event: 'stop' });
  client.close();
  await client.waitClose().catch(() => undefined);
  return echoed();
}
