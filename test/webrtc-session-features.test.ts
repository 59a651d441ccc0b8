// WebRTC sessions get what every session gets: POST /input, GET /outputs (announced on the data
// channel by fetch_output), transcripts and clear on the data channel, recordings, /metrics, the
// seeded inbound-loss fault injection concealed by the jitter buffer, and no leaked sockets.
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type CreateGatewayOptions, type Gateway } from '../src/gateway.js';
import { defineHandler, type HandlerContext } from '../src/handler/handler.js';
import { parseWav } from '../src/wav/wav-file.js';
import { soxLoad } from './support/sox.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';
import { NodePeer, waitFor } from './support/webrtc-node-peer.js';

const FIXTURE = new URL('./fixtures/speech/s04-slt.wav', import.meta.url).pathname;
const speech = soxLoad(FIXTURE, 48_000);

const gateways: Gateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

async function start(options: Partial<CreateGatewayOptions> = {}): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway({ handler: echo, port: 0, ...options });
  gateways.push(gateway);
  const { url } = await gateway.listen();
  return { gateway, url };
}

const connected = (url: string, id: string): Promise<NodePeer> => NodePeer.open(url, { webrtcId: id, trickle: true });

/** Echoes audio; an input (POST /input) becomes an additional output, a transcript, a log event and a clear. */
const inputEcho = defineHandler({
  name: 'input-echo',
  create() {
    let ctx: HandlerContext | undefined;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        ctx!.send({ type: 'audio', frame });
      },
      onEvent(event) {
        if (event.type !== 'input') return;
        ctx!.send({ type: 'additional_outputs', data: event.args });
        ctx!.send({ type: 'transcript', text: String(event.args.say ?? ''), final: true });
        ctx!.send({ type: 'log', data: 'pause_detected' });
        ctx!.send({ type: 'clear' });
      },
    };
  },
});

const fdCount = () => readdirSync('/proc/self/fd').length;
const parsed = (peer: NodePeer) => peer.messages.map((m) => JSON.parse(m) as Record<string, unknown>);

describe('WebRTC sessions, like every session', () => {
  it('POST /input reaches the handler; GET /outputs streams its outputs; the data channel says fetch_output, transcript, log, clear', async () => {
    const { url } = await start({ handler: inputEcho });
    const peer = await connected(url, 'feat-input');
    const sse = await fetch(`${url}/outputs?webrtc_id=${peer.webrtcId}`);
    expect(sse.status).toBe(200);
    const reader = sse.body!.getReader();
    const input = await fetch(`${url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: peer.webrtcId, say: 'hello there' }) });
    expect(await input.json()).toEqual({ status: 'success' });
    let text = '';
    while (!text.includes('event: output')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain(`data: ${JSON.stringify({ say: 'hello there' })}`);
    await waitFor(() => parsed(peer).some((m) => m.type === 'clear'), 5000, 'clear on the data channel');
    const types = parsed(peer).map((m) => m.type);
    expect(types).toEqual(['log', 'fetch_output', 'transcript', 'log', 'clear']);
    expect(parsed(peer)[2]).toEqual({ type: 'transcript', data: { text: 'hello there', final: true } });
    expect(parsed(peer)[3]).toEqual({ type: 'log', data: 'pause_detected' });
    await reader.cancel();
    await peer.close();
  });

  // Two retries: under a full suite on a loaded 2-core machine the echo's envelope once fitted at 0.88,
  // and at 0.93 and 0.949 in one run on 2026-12-03 (a slow VM).
  it('recordings: the session is recorded (caller left, gateway right) and served at /recordings/{webrtc_id}.wav', { retry: 2 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wg-webrtc-rec-'));
    try {
      const { gateway, url } = await start({ recordDir: dir });
      const peer = await connected(url, 'feat-record');
      await peer.sendPcm(speech);
      await waitFor(() => peer.receivedPcm().length >= speech.length - 960 * 3, 10_000, 'echo played out');
      await peer.close();
      await waitFor(() => gateway.sessions.registry.get(peer.webrtcId) === undefined, 10_000, 'session closed');
      const res = await fetch(`${url}/recordings/${peer.webrtcId}.wav`);
      expect(res.status).toBe(200);
      const wav = parseWav(new Uint8Array(await res.arrayBuffer()));
      expect(wav.channels).toBe(2);
      expect(wav.sampleRate).toBe(48_000);
      const left = wav.samples.filter((_, i) => i % 2 === 0);
      const right = wav.samples.filter((_, i) => i % 2 === 1);
      // The recording's clock starts with the first media (docs/recordings.md), not at the offer; the echo
      // follows the caller by its round trip (< 500 ms even on a loaded machine; before both sides shared
      // that clock, ICE and DTLS put ~1 s between them).
      const reference = rmsEnvelope(speech, 48_000);
      const fits = [left, right].map((channel) => {
        const envelope = rmsEnvelope(channel, 48_000);
        return envelopeCorrelation(reference, envelope, envelope.length - Math.floor(reference.length / 2));
      });
      console.log('recording', fits, 'seconds', left.length / 48_000, 'speech', speech.length / 48_000);
      for (const fit of fits) expect(fit.correlation).toBeGreaterThanOrEqual(0.95);
      const echoLagMs = (fits[1]!.lagBlocks - fits[0]!.lagBlocks) * 10;
      expect(echoLagMs).toBeGreaterThanOrEqual(0);
      expect(echoLagMs).toBeLessThanOrEqual(500);
      expect(left.length).toBeGreaterThanOrEqual(speech.length);
      expect((await readFile(join(dir, `${peer.webrtcId}.wav`))).byteLength).toBeGreaterThan(44);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('5 % seeded inbound loss: concealed by our jitter buffer (counted in /metrics), the echo still matches (≥ 0.90)', async () => {
    const { gateway, url } = await start({ webrtcInboundLossPercent: 5, webrtcLossSeed: 7 });
    const peer = await connected(url, 'feat-loss');
    const metricsOpen = await (await fetch(`${url}/metrics`)).text();
    expect(metricsOpen).toMatch(/^wavegate_sessions_open 1$/m);
    await peer.sendPcm(speech);
    const serverPeer = gateway.webrtc.peers.get(peer.webrtcId)!;
    const session = gateway.sessions.registry.get(peer.webrtcId)!;
    await waitFor(() => peer.receivedPcm().length >= speech.length * 0.9, 10_000, 'echo played out');
    await new Promise((r) => setTimeout(r, 500));
    const jitter = session.stats().jitterBuffer;
    const dropped = serverPeer.injectedLosses;
    const fit = envelopeCorrelation(rmsEnvelope(speech, 48_000), rmsEnvelope(peer.receivedPcm(), 48_000), 50);
    console.log(`loss: dropped ${dropped} of ${serverPeer.rtp.received}, concealment events ${jitter.concealmentEvents}, concealed ${jitter.concealedSamples} samples, correlation ${fit.correlation.toFixed(3)}`);
    expect(dropped / serverPeer.rtp.received).toBeGreaterThan(0.02);
    expect(dropped / serverPeer.rtp.received).toBeLessThan(0.09);
    expect(jitter.concealmentEvents).toBeGreaterThan(0);
    expect(jitter.concealedSamples).toBeGreaterThan(0);
    expect(fit.correlation).toBeGreaterThanOrEqual(0.9);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const concealed = Number(/^wavegate_jitter_concealed_samples_total (\d+)/m.exec(metrics)?.[1]);
    expect(concealed).toBeGreaterThan(0);
    await peer.close();
  });

  it("the client's receiver reports of lost audio reach the session's Opus encoder (FEC on the far end's loss)", async () => {
    const { gateway, url } = await start();
    const peer = await NodePeer.open(url, { webrtcId: 'feat-rr', trickle: true, dropInboundPercent: 20 });
    const serverPeer = gateway.webrtc.peers.get(peer.webrtcId)!;
    void peer.sendPcm(speech);
    // An early report may cover a few dozen packets, where 20 % random loss can read 5 % (seen once):
    // wait for one that says more than 5 %, as the reports over a sustained 20 % loss do.
    await waitFor(() => serverPeer.remoteLossPercent > 5, 10_000, 'a receiver report with more than 5 % loss');
    console.log(`client reports ${serverPeer.remoteLossPercent} % lost`);
    expect(serverPeer.remoteLossPercent).toBeLessThan(50);
    await peer.close();
  });

  it('no leaked sockets: the fd count comes back after peers close', async () => {
    const { gateway, url } = await start({ webrtcPortRange: [43000, 43200] });
    // Warm-up: modules, codecs and the HTTP keep-alive pool hold fds of their own.
    const warm = await connected(url, 'feat-fd-warm');
    await warm.close();
    await waitFor(() => gateway.webrtc.peers.size === 0, 10_000, 'warm-up peer gone');
    await new Promise((r) => setTimeout(r, 500));
    const before = fdCount();
    const peers = await Promise.all(Array.from({ length: 5 }, (_, i) => connected(url, `feat-fd-${i}`)));
    await Promise.all(peers.map((p) => p.sendPcm(speech.subarray(0, 48_000))));
    const during = fdCount();
    await Promise.all(peers.map((p) => p.close()));
    await waitFor(() => gateway.webrtc.peers.size === 0 && gateway.sessions.registry.size === 0, 10_000, 'peers gone');
    await waitFor(() => fdCount() <= before, 10_000, `fd count back to ${before}`).catch(() => {});
    console.log(`fds: before ${before}, with 5 peers ${during}, after ${fdCount()}`);
    expect(during).toBeGreaterThan(before);
    expect(fdCount()).toBeLessThanOrEqual(before);
  });
});

describe('WebRTC deployment options reach the answer', () => {
  it('the port range bounds the candidates, the announced address is a host candidate', async () => {
    const { url } = await start({ webrtcPortRange: [44000, 44100], webrtcAnnouncedAddresses: ['203.0.113.7'] });
    const peer = new NodePeer(url, { webrtcId: 'feat-nat', trickle: false });
    const answer = await peer.connect();
    expect(answer).toMatchObject({ type: 'answer' });
    const candidates = [...(answer as { sdp: string }).sdp.matchAll(/^a=candidate:\S+ 1 udp \d+ (\S+) (\d+) typ host/gm)].map((m) => ({ address: m[1]!, port: Number(m[2]) }));
    expect(candidates.map((c) => c.address)).toContain('203.0.113.7');
    for (const c of candidates) {
      expect(c.port).toBeGreaterThanOrEqual(44000);
      expect(c.port).toBeLessThanOrEqual(44100);
    }
    await peer.close();
  });
});

describe('CORS for clients served from another origin (FastRTC Next.js demo)', () => {
  it('answers preflights and posts for allowed origins only; none by default', async () => {
    const { url } = await start({ webrtcAllowedOrigins: ['http://localhost:3000'] });
    const preflight = (origin: string) =>
      fetch(`${url}/webrtc/offer`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    const ok = await preflight('http://localhost:3000');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    expect((await preflight('http://evil.example')).status).toBe(403);
    const post = (origin: string) => fetch(`${url}/webrtc/offer`, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: '{}' });
    expect((await post('http://localhost:3000')).headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect((await post('http://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
    const plain = await start();
    const res = await fetch(`${plain.url}/webrtc/offer`, { method: 'POST', headers: { origin: 'http://localhost:3000' }, body: '{}' });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(await res.json()).toMatchObject({ status: 'failed', meta: { code: 'WG_ERR_INVALID_ID' } });
  });
});
