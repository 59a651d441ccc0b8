// The Node client's WebRTC transport (clients/webrtc-connection.ts) against an in-process gateway: real
// werift peers on both ends, real UDP, real-time pacing. Echo through the jitter buffer, both FastRTC
// flows (trickled and never-trickled candidates), and every kind of server message the client classifies.
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { createGateway, type CreateGatewayOptions, type Gateway } from '../src/gateway.js';
import { streamAudio, type StreamInput } from '../clients/stream-audio.js';
import { loadAudio } from '../clients/wavegate-client.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { withoutStallSilence } from './support/reply-without-stalls.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';
import { waitFor } from './support/webrtc-node-peer.js';
import echo from '../handlers/echo.js';

const OPUS: MediaFormat = { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 };
/** The whole suite shares two cores: give a stalled gateway time before calling the reply complete. */
const PATIENT = { quietMs: 1500, drainTimeoutMs: 30_000, openTimeoutMs: 30_000 } as const;

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function start(options: Partial<CreateGatewayOptions> = {}): Promise<{ gateway: Gateway; offerUrl: string }> {
  const gateway = createGateway({ handler: probeHandler, port: 0, ...options });
  gateways.push(gateway);
  const { url } = await gateway.listen();
  return { gateway, offerUrl: `${url}/webrtc/offer` };
}

const stream = (pcm: Int16Array, input: Omit<StreamInput, 'input' | 'output' | 'transport'>) =>
  streamAudio(pcm, { transport: 'webrtc', input: OPUS, output: OPUS, ...PATIENT, ...input });

describe('streamAudio over WebRTC', () => {
  it.each([true, false])('echoes speech through the jitter buffer (trickle %s)', async (trickle) => {
    const { gateway, offerUrl } = await start({ handler: echo });
    const speech = await loadAudio('test/fixtures/speech/s01-slt.wav', 48_000);
    const result = await stream(speech, { url: offerUrl, id: `client-webrtc-echo-${trickle}`, trickle });
    expect(result.errors).toEqual([]);
    expect(result.refused).toBeUndefined();
    expect(result.ending).toBe('drained');
    expect(result.sentMs).toBe(Math.ceil(speech.length / 960) * 20);
    // Opus and two jitter buffers rule out a sample-exact echo: the echo alignment (DTW on 10 ms
    // envelopes) and the envelope correlation at the best lag, once the silence written where the reply
    // stalled (whole frames of exact zeros) is taken out so a stall does not shift the rest.
    expect(result.echoMatch).toBeGreaterThan(0.8);
    const { correlation } = envelopeCorrelation(rmsEnvelope(speech, 48_000), rmsEnvelope(withoutStallSilence(result.reply), 48_000), 100);
    expect(correlation).toBeGreaterThan(0.85);
    expect(result.echoRtt.count).toBeGreaterThan(0);
    expect(result.frameRtt.count).toBeGreaterThan(0);
    expect(result.markRtt.count).toBe(0); // FastRTC's WebRTC has no marks
    // The reply went through the playout jitter buffer in RTP order.
    expect(result.playout.packetsReceived).toBeGreaterThan(100);
    expect(result.playout.packetsDuplicate).toBe(0);
    await waitFor(() => gateway.webrtc.peers.size === 0, 10_000, 'server peer gone after the client closed');
  }, 90_000);

  it('classifies data-channel messages: error with its code, then the peer closes', async () => {
    const { offerUrl } = await start({ handlerOptions: { throwOnFrame: 5 } });
    const tone = Int16Array.from({ length: 48_000 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)));
    const events: string[] = [];
    const result = await stream(tone, { url: offerUrl, id: 'client-webrtc-error', onServerEvent: (e) => events.push(e.type) });
    expect(result.errors.length).toBeGreaterThan(0);
    expect(result.errors[0]).toMatch(/^WG_ERR_[A-Z_]+: /);
    expect(events).toContain('error');
    // The gateway closes its peer after the error; a werift client may only see the reply go quiet.
    expect(['server_closed', 'drained']).toContain(result.ending);
    expect(result.closeCode).toBeUndefined(); // WebRTC has no close codes
    expect(probes.get('client-webrtc-error')!.shutdowns).toEqual(['handler_error']);
  }, 90_000);

  it('end_stream from the handler ends the stream', async () => {
    const { offerUrl } = await start({ handlerOptions: { endStreamAfterFrames: 25 } });
    const tone = Int16Array.from({ length: 3 * 48_000 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)));
    const result = await stream(tone, { url: offerUrl, id: 'client-webrtc-end' });
    expect(result.ending).toBe('end_stream');
    expect(result.errors).toEqual([]);
  }, 90_000);

  it('a refusal (concurrency limit) is reported with the limit, as on the WebSocket', async () => {
    const { offerUrl } = await start({ handler: echo, concurrencyLimit: 1 });
    const tone = Int16Array.from({ length: 4 * 48_000 }, (_, i) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)));
    const first = stream(tone, { url: offerUrl, id: 'client-webrtc-first' });
    await waitFor(() => gateways[0]!.webrtc.peers.size === 1, 30_000, 'first session open');
    const second = await stream(tone, { url: offerUrl, id: 'client-webrtc-second' });
    expect(second.refused).toEqual({ limit: 1, reason: 'concurrency_limit_reached' });
    expect(second.receivedMs).toBe(0);
    expect((await first).refused).toBeUndefined();
  }, 90_000);

  it('options are checked with the offending value', () => {
    expect(() => streamAudio(new Int16Array(960), { transport: 'webrtc', url: 'ws://x/websocket/offer', id: 'a', input: OPUS, output: OPUS })).toThrow(/`url`.*ws:\/\/x/);
    const mulaw: MediaFormat = { encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 };
    expect(() => streamAudio(new Int16Array(960), { transport: 'webrtc', url: 'http://x/webrtc/offer', id: 'a', input: mulaw, output: OPUS })).toThrow(/input\.encoding.*audio\/x-mulaw/);
    expect(() => streamAudio(new Int16Array(960), { transport: 'carrier-pigeon' as never, url: 'http://x', id: 'a', input: OPUS, output: OPUS })).toThrow(/transport.*carrier-pigeon/);
  });
});
