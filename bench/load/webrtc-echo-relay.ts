import { MediaStreamTrack, RTCPeerConnection, useOPUS } from 'werift';

/**
 * The benchmark's WebRTC baseline: a bare werift echo behind FastRTC's `POST /webrtc/offer`. No
 * decoding, no jitter buffer, no handler, no pacing: every inbound RTP packet is written back on the
 * peer's own track as it came (werift rewrites SSRC and payload type). The same werift configuration as
 * the gateway (no ICE servers, max-bundle, Opus), so the two differ by the gateway's media work only.
 * Answers after gathering (the answer carries the relay's candidates); candidates posted for a known id
 * are applied, others refused with FastRTC's name (the load client never trickles).
 */
export class WebRtcEchoRelay {
  readonly #peers = new Map<string, RTCPeerConnection>();

  get size(): number {
    return this.#peers.size;
  }

  /** One request body of `POST /webrtc/offer` → the JSON answer. */
  async handle(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = body.webrtc_id;
    if (typeof id !== 'string' || id === '') return { status: 'failed', meta: { error: 'invalid_webrtc_id' } };
    if (body.type === 'ice-candidate') {
      const pc = this.#peers.get(id);
      if (!pc) return { status: 'failed', meta: { error: 'unknown_connection' } };
      await pc.addIceCandidate(body.candidate as never).catch(() => {});
      return { status: 'success' };
    }
    if (body.type !== 'offer' || typeof body.sdp !== 'string') return { status: 'failed', meta: { error: 'invalid_offer' } };
    if (this.#peers.has(id)) return { status: 'failed', meta: { error: 'connection_already_exists' } };
    const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle', codecs: { audio: [useOPUS()] } });
    this.#peers.set(id, pc);
    pc.onRemoteTransceiverAdded.subscribe((transceiver) => {
      const echo = new MediaStreamTrack({ kind: 'audio' });
      transceiver.sender.replaceTrack(echo).catch(() => {});
      transceiver.onTrack.subscribe((remote) => remote.onReceiveRtp.subscribe((rtp) => echo.writeRtp(rtp)));
    });
    pc.connectionStateChange.subscribe((state) => {
      if (state !== 'failed' && state !== 'closed') return;
      if (this.#peers.get(id) === pc) this.#peers.delete(id);
      pc.close().catch(() => {});
    });
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: body.sdp });
      await pc.setLocalDescription(await pc.createAnswer());
      const local = pc.localDescription;
      if (!local) throw new Error('no local description');
      return { sdp: local.sdp, type: 'answer' };
    } catch (err) {
      this.#peers.delete(id);
      await pc.close().catch(() => {});
      return { status: 'failed', meta: { error: 'invalid_offer', message: (err as Error).message } };
    }
  }

  async close(): Promise<void> {
    const peers = [...this.#peers.values()];
    this.#peers.clear();
    await Promise.all(peers.map((pc) => pc.close().catch(() => {})));
  }
}
