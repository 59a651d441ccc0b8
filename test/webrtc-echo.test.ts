import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { soxLoad } from './support/sox.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';
import { NodePeer, waitFor } from './support/webrtc-node-peer.js';

const FIXTURE = new URL('./fixtures/speech/s01-slt.wav', import.meta.url).pathname;

let gateway: Gateway;
let url: string;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0 });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

async function echoRun(id: string, options: { trickle: boolean; candidatesFirst?: boolean }) {
  const speech = soxLoad(FIXTURE, 48_000);
  const peer = new NodePeer(url, { webrtcId: id, ...options });
  const answer = await peer.connect();
  expect(answer).toMatchObject({ type: 'answer' });
  expect((answer as { sdp: string }).sdp).toMatch(/^a=candidate:/m);
  await peer.waitConnected();
  await waitFor(() => peer.messages.length > 0, 5000, 'handshake answer');
  await peer.sendPcm(speech);
  const session = gateway.sessions.registry.get(id)!;
  expect(session.carrier).toBe('webrtc');
  await waitFor(() => peer.receivedPcm().length >= speech.length - 960 * 3, 10_000, 'echo played out');
  const correlation = envelopeCorrelation(rmsEnvelope(speech, 48_000), rmsEnvelope(peer.receivedPcm(), 48_000), 50);
  const stats = session.stats();
  await peer.close();
  await waitFor(() => !gateway.sessions.registry.get(id), 10_000, 'session closed');
  return { peer, correlation, stats };
}

describe('POST /webrtc/offer with a werift peer as the FastRTC client', () => {
  it('answers with candidates, answers the handshake on the data channel, echoes speech', async () => {
    const { peer, correlation, stats } = await echoRun('webrtc-echo-trickle', { trickle: true });
    expect(JSON.parse(peer.messages[0]!)).toEqual({ type: 'log', data: 'Server received: handshake' });
    expect(await peer.candidatesAnswered()).toSatisfy((answers: unknown[]) => answers.every((a) => JSON.stringify(a) === '{"status":"success"}'));
    console.log('trickle', correlation, stats.framesIn, stats.framesOut);
    expect(correlation.correlation).toBeGreaterThanOrEqual(0.95);
  });

  it('never trickling: the answer alone connects', async () => {
    const { correlation } = await echoRun('webrtc-echo-notrickle', { trickle: false });
    console.log('no trickle', correlation);
    expect(correlation.correlation).toBeGreaterThanOrEqual(0.95);
  });
});
