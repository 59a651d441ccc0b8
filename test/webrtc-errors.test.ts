// Bad input on POST /webrtc/offer: each refusal is HTTP 200 with FastRTC's name and our code, and a
// session streaming alongside keeps echoing through all of it.
import { RTCPeerConnection, MediaStreamTrack, usePCMU } from 'werift';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { CANDIDATE_HOLD } from '../src/transport/webrtc/webrtc-component.js';
import { soxLoad } from './support/sox.js';
import { envelopeCorrelation, rmsEnvelope } from './support/webrtc-envelope.js';
import { NodePeer, waitFor } from './support/webrtc-node-peer.js';
import { WsTestClient } from './support/ws-test-client.js';

const FIXTURE = new URL('./fixtures/speech/s03-slt.wav', import.meta.url).pathname;
const CANDIDATE = { candidate: 'candidate:1 1 udp 2122260223 192.0.2.9 50000 typ host generation 0', sdpMid: '0', sdpMLineIndex: 0 };

let gateway: Gateway;
let url: string;

beforeAll(async () => {
  gateway = createGateway({ handler: echo, port: 0, concurrencyLimit: 2 });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

async function post(body: string | object): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/webrtc/offer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function weriftOffer(setup: (pc: RTCPeerConnection) => void): Promise<string> {
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  setup(pc);
  await pc.setLocalDescription(await pc.createOffer());
  await waitFor(() => pc.iceGatheringState === 'complete', 5000, 'gathering');
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

const refused = (error: string, code: string) => ({ status: 200, json: { status: 'failed', meta: expect.objectContaining({ error, code, message: expect.any(String) }) } });

describe('POST /webrtc/offer refuses bad input, FastRTC-style, and the process carries on', () => {
  it('every refusal has its name and code while a bystander session keeps echoing', async () => {
    // A candidate for an id whose offer never comes: held, then refused when the hold time is over.
    const unknown = post({ candidate: CANDIDATE, type: 'ice-candidate', webrtc_id: 'never-offered' });

    const speech = soxLoad(FIXTURE, 48_000);
    const bystander = new NodePeer(url, { webrtcId: 'bystander', trickle: false });
    expect(await bystander.connect()).toMatchObject({ type: 'answer' });
    await bystander.waitConnected();
    const sending = bystander.sendPcm(speech);

    expect(await post('{"sdp": "v=0", "type": "offer", ')).toEqual(refused('invalid_request', 'WG_ERR_MALFORMED_JSON'));
    expect(await post('[1,2]')).toEqual(refused('invalid_request', 'WG_ERR_MALFORMED_MESSAGE'));
    expect(await post(JSON.stringify({ sdp: 'x'.repeat(200_000), type: 'offer', webrtc_id: 'big' }))).toEqual(refused('invalid_request', 'WG_ERR_PAYLOAD_TOO_LARGE'));
    expect(await post({ sdp: 'not sdp at all', type: 'offer', webrtc_id: 'bad-sdp' })).toEqual(refused('invalid_sdp', 'WG_ERR_INVALID_SDP'));
    expect(await post({ type: 'offer', webrtc_id: 'no-sdp' })).toEqual(refused('invalid_sdp', 'WG_ERR_INVALID_SDP'));
    expect(await post({ sdp: 'v=0', type: 'offer', webrtc_id: '../../etc' })).toEqual(refused('invalid_request', 'WG_ERR_INVALID_ID'));

    // Offers a real stack makes but we cannot serve: data channel only, PCMU only.
    const dataOnly = await weriftOffer((pc) => pc.createDataChannel('text'));
    expect(await post({ sdp: dataOnly, type: 'offer', webrtc_id: 'data-only' })).toEqual(refused('invalid_sdp', 'WG_ERR_NO_AUDIO'));
    const pcmuOnly = await weriftOffer((pc) => {
      pc.setConfiguration({ codecs: { audio: [usePCMU()] } } as never);
      pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
    });
    expect(await post({ sdp: pcmuOnly, type: 'offer', webrtc_id: 'pcmu-only' })).toEqual(refused('invalid_sdp', 'WG_ERR_NO_AUDIO'));
    // Passes the cheap checks, but the m-line is garbage for the stack.
    const mangled = dataOnly.replace(/m=application[^\r]*/, 'm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\nm=audio x y');
    const mangledAnswer = await post({ sdp: mangled, type: 'offer', webrtc_id: 'mangled' });
    expect(mangledAnswer.json.status).toBe('failed');
    expect(['WG_ERR_INVALID_SDP', 'WG_ERR_NO_AUDIO']).toContain(mangledAnswer.json.meta.code);

    // Duplicate id: the bystander's own, from WebRTC and from the WebSocket transport.
    const duplicate = new NodePeer(url, { webrtcId: 'bystander', trickle: false });
    expect(await duplicate.connect()).toEqual({ status: 'failed', meta: expect.objectContaining({ error: 'connection_already_exists', code: 'WG_ERR_DUPLICATE_SESSION' }) });
    await duplicate.close();
    const ws = await WsTestClient.connect(`${url.replace('http', 'ws')}/websocket/offer`);
    ws.send({ event: 'start', websocket_id: 'bystander' });
    expect(await ws.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'WG_ERR_DUPLICATE_SESSION' });

    // The concurrency limit (2) is shared: one WebRTC + one WebSocket session, then a WebRTC offer is refused.
    const wsSession = await WsTestClient.connect(`${url.replace('http', 'ws')}/websocket/offer`);
    wsSession.send({ event: 'start', websocket_id: 'ws-holder' });
    await waitFor(() => gateway.sessions.registry.get('ws-holder') !== undefined, 5000, 'ws session');
    const third = new NodePeer(url, { webrtcId: 'third', trickle: false });
    expect(await third.connect()).toEqual({ status: 'failed', meta: expect.objectContaining({ error: 'concurrency_limit_reached', code: 'WG_ERR_CONCURRENCY_LIMIT', limit: 2 }) });
    await third.close();
    wsSession.close();
    await waitFor(() => gateway.sessions.registry.get('ws-holder') === undefined, 5000, 'ws session closed');

    // Candidates: bad format; for the live peer; too many held for one unknown id.
    expect(await post({ candidate: { candidate: 'candidate:x' }, type: 'ice-candidate', webrtc_id: 'bystander' })).toEqual(refused('invalid_candidate_format', 'WG_ERR_INVALID_CANDIDATE'));
    expect(await post({ candidate: 'not an object', type: 'ice-candidate', webrtc_id: 'bystander' })).toEqual(refused('invalid_candidate_format', 'WG_ERR_INVALID_CANDIDATE'));
    expect(await post({ candidate: CANDIDATE, type: 'ice-candidate', webrtc_id: 'bystander' })).toEqual({ status: 200, json: { status: 'success' } });
    const flood = Array.from({ length: CANDIDATE_HOLD.perId }, () => post({ candidate: CANDIDATE, type: 'ice-candidate', webrtc_id: 'flooded' }));
    await new Promise((r) => setTimeout(r, 300));
    expect(await post({ candidate: CANDIDATE, type: 'ice-candidate', webrtc_id: 'flooded' })).toEqual(refused('unknown_connection', 'WG_ERR_CANDIDATE_HOLD_FULL'));

    // The bystander was never disturbed.
    await sending;
    await waitFor(() => bystander.receivedPcm().length >= speech.length - 960 * 3, 10_000, 'echo played out');
    const fit = envelopeCorrelation(rmsEnvelope(speech, 48_000), rmsEnvelope(bystander.receivedPcm(), 48_000), 50);
    expect(fit.correlation).toBeGreaterThanOrEqual(0.95);
    expect(gateway.sessions.registry.get('bystander')).toBeDefined();

    // Late candidates for a peer that has ended: connection_closed.
    await bystander.close();
    await waitFor(() => gateway.sessions.registry.get('bystander') === undefined, 10_000, 'bystander closed');
    expect(await post({ candidate: CANDIDATE, type: 'ice-candidate', webrtc_id: 'bystander' })).toEqual(refused('connection_closed', 'WG_ERR_CONNECTION_CLOSED'));

    expect(await unknown).toEqual(refused('unknown_connection', 'WG_ERR_UNKNOWN_CONNECTION'));
    for (const answer of await Promise.all(flood)) expect(answer).toEqual(refused('unknown_connection', 'WG_ERR_UNKNOWN_CONNECTION'));
    ws.close();
  }, 40_000);
});
