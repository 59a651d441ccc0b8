// Every way a WebRTC peer can end: the handler's shutdown runs exactly once, with the reason, and
// the server's peer connection is gone afterwards.
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type CreateGatewayOptions, type Gateway } from '../src/gateway.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { NodePeer, waitFor } from './support/webrtc-node-peer.js';

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function start(options: Partial<CreateGatewayOptions> = {}): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway({ handler: probeHandler, port: 0, ...options });
  gateways.push(gateway);
  const { url } = await gateway.listen();
  return { gateway, url };
}

async function connected(url: string, id: string): Promise<NodePeer> {
  const peer = new NodePeer(url, { webrtcId: id, trickle: true });
  expect(await peer.connect()).toMatchObject({ type: 'answer' });
  await peer.waitConnected();
  return peer;
}

/** A second of 20 ms frames of a quiet tone, paced. */
const tone = Int16Array.from({ length: 48_000 }, (_, i) => Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 48_000)));

async function endsOnce(gateway: Gateway, id: string, reason: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(() => (probes.get(id)?.shutdowns.length ?? 0) > 0, timeoutMs, `${id} shutdown`);
  await waitFor(() => gateway.webrtc.peers.size === 0 && gateway.sessions.registry.get(id) === undefined, 5000, `${id} peer gone`);
  await new Promise((r) => setTimeout(r, 300)); // a second shutdown would show now
  expect(probes.get(id)!.shutdowns).toEqual([reason]);
  expect(probes.get(id)!.startUps).toBe(1);
}

const parsed = (peer: NodePeer) => peer.messages.map((m) => JSON.parse(m) as Record<string, unknown>);

describe('WebRTC peer lifecycle: shutdown exactly once on every end', () => {
  it('client closes (data channel, then connection)', async () => {
    const { gateway, url } = await start();
    const peer = await connected(url, 'life-client-close');
    await peer.sendPcm(tone.subarray(0, 9600));
    await peer.close();
    await endsOnce(gateway, 'life-client-close', 'socket_closed');
    expect(probes.get('life-client-close')!.frames).toBeGreaterThan(0);
  });

  it('data channel closed while the connection stays up', async () => {
    const { gateway, url } = await start();
    const peer = await connected(url, 'life-dc-close');
    peer.channel.close();
    await endsOnce(gateway, 'life-dc-close', 'socket_closed');
    await peer.close();
  });

  it('never connected: closed after the connect timeout', async () => {
    const { gateway, url } = await start({ webrtcConnectTimeoutS: 1 });
    const peer = new NodePeer(url, { webrtcId: 'life-never', trickle: false });
    // The offer is posted but the answer never applied: no ICE checks, no connection.
    const offer = await peer.pc.createOffer();
    await peer.pc.setLocalDescription(offer);
    await waitFor(() => peer.pc.iceGatheringState === 'complete', 5000, 'gathering');
    expect(await peer.post({ sdp: peer.pc.localDescription!.sdp, type: 'offer', webrtc_id: 'life-never' })).toMatchObject({ type: 'answer' });
    expect(gateway.webrtc.peers.size).toBe(1);
    await endsOnce(gateway, 'life-never', 'idle_timeout');
    await peer.close();
  });

  it('handler error: the client is told on the data channel, the peer ends', async () => {
    const { gateway, url } = await start({ handlerOptions: { throwOnFrame: 5 } });
    const peer = await connected(url, 'life-handler-error');
    void peer.sendPcm(tone.subarray(0, 19_200));
    await endsOnce(gateway, 'life-handler-error', 'handler_error');
    await waitFor(() => parsed(peer).some((m) => m.type === 'error'), 5000, 'error message');
    expect(parsed(peer).find((m) => m.type === 'error')).toMatchObject({ code: 'WG_ERR_HANDLER_FAILED' });
    await peer.close();
  });

  it('handler ends the stream: end_stream on the data channel', async () => {
    const { gateway, url } = await start({ handlerOptions: { endStreamAfterFrames: 10 } });
    const peer = await connected(url, 'life-end-stream');
    void peer.sendPcm(tone);
    await endsOnce(gateway, 'life-end-stream', 'handler_closed');
    expect(parsed(peer).some((m) => m.type === 'end_stream')).toBe(true);
    await peer.close();
  });

  it('time limit', async () => {
    const { gateway, url } = await start({ timeLimitS: 1.5 });
    const peer = await connected(url, 'life-time-limit');
    void peer.sendPcm(tone);
    await endsOnce(gateway, 'life-time-limit', 'time_limit');
    await waitFor(() => parsed(peer).some((m) => m.type === 'error'), 5000, 'error message');
    expect(parsed(peer).find((m) => m.type === 'error')).toMatchObject({ code: 'WG_ERR_TIME_LIMIT' });
    await peer.close();
  });

  it('idle: connected, but no audio', async () => {
    const { gateway, url } = await start({ idleTimeoutS: 1 });
    const peer = await connected(url, 'life-idle');
    await endsOnce(gateway, 'life-idle', 'idle_timeout');
    await peer.close();
  });

  it('server shutdown (gateway.close)', async () => {
    const { gateway, url } = await start();
    const peer = await connected(url, 'life-shutdown');
    await gateway.close();
    expect(probes.get('life-shutdown')!.shutdowns).toEqual(['server_shutdown']);
    expect(gateway.webrtc.peers.size).toBe(0);
    await peer.close();
  });

  it('client gone without a word (consent lost): disconnected past the grace period', async () => {
    const { gateway, url } = await start({ webrtcDisconnectedGraceS: 1 });
    const peer = await connected(url, 'life-vanish');
    const started = performance.now();
    // Closing the client's DTLS/ICE first sends nothing the server's data channel sees: it must find out from ICE.
    await peer.pc.close();
    await endsOnce(gateway, 'life-vanish', 'socket_closed', 60_000);
    console.log(`vanished client noticed after ${Math.round(performance.now() - started)} ms`);
  }, 70_000);
});
