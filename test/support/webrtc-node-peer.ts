// Test helper (not a test): a werift peer playing FastRTC's browser client (frontend/shared/webrtc_utils.ts)
// against POST /webrtc/offer: data channel `text` with `handshake` on open, candidates posted as they
// come (or never), the offer, the answer. Sends Opus RTP at real-time pace, decodes what comes back.
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS, type RTCDataChannel, type RTCRtpTransceiver } from 'werift';
import { createDecoder, createEncoder } from '../../src/codecs/codec-factory.js';

export interface NodePeerOptions {
  /** Post each local candidate as FastRTC's client does (default true); false = never trickle. */
  readonly trickle?: boolean;
  /** Post the candidates before the offer (the FastRTC race: offer still in flight). */
  readonly candidatesFirst?: boolean;
  readonly webrtcId: string;
  /** werift's debug inbound loss on this client (its receiver reports then tell the server). */
  readonly dropInboundPercent?: number;
  /** Access token sent as `Authorization: Bearer` on every post (docs/security.md). */
  readonly token?: string;
  /** Post the trickled candidates to this gateway instead (another node of a cluster). */
  readonly candidateUrl?: string;
}

export type OfferAnswer = { sdp: string; type: 'answer' } | { status: 'failed'; meta: { error: string; code: string; limit?: number } };

const OPUS = { encoding: 'audio/opus', sampleRate: 48_000, channels: 1 } as const;

export class NodePeer {
  readonly pc: RTCPeerConnection;
  readonly channel: RTCDataChannel;
  readonly transceiver: RTCRtpTransceiver;
  /** Data channel messages from the server, as text. */
  readonly messages: string[] = [];
  /** Decoded audio received, with the arrival time of each packet (ms, performance.now()). */
  readonly received: { pcm: Int16Array; at: number; seq: number; marker: boolean; timestamp: number }[] = [];
  readonly candidateAnswers: unknown[] = [];
  readonly #decoder = createDecoder(OPUS);
  readonly #baseUrl: string;
  readonly #options: NodePeerOptions;
  #pendingPosts: Promise<unknown>[] = [];
  readonly webrtcId: string;

  /**
   * A peer connected (answer applied, connection and data channel open), retried under a fresh id
   * (`ID-r1`, …) when the DTLS handshake never completes: werift 0.24's DTLS client gives up when a peer
   * answers a retransmitted ClientHello twice, which a loaded machine provokes (see docs/webrtc.md#stack).
   */
  static async open(baseUrl: string, options: NodePeerOptions, attempts = 3): Promise<NodePeer> {
    for (let attempt = 0; ; attempt++) {
      const peer = new NodePeer(baseUrl, { ...options, webrtcId: attempt === 0 ? options.webrtcId : `${options.webrtcId}-r${attempt}` });
      const answer = await peer.connect();
      if (!('sdp' in answer)) throw new Error(`offer refused: ${JSON.stringify(answer)}`);
      try {
        await peer.waitConnected(10_000);
        return peer;
      } catch (err) {
        await peer.close();
        if (attempt + 1 >= attempts) throw err;
        console.warn(`webrtc-node-peer: ${peer.webrtcId} did not connect (${peer.pc.connectionState}); retrying`);
      }
    }
  }

  constructor(baseUrl: string, options: NodePeerOptions) {
    this.#baseUrl = baseUrl;
    this.#options = options;
    this.webrtcId = options.webrtcId;
    this.pc = new RTCPeerConnection({
      iceServers: [],
      bundlePolicy: 'max-bundle',
      codecs: { audio: [useOPUS()] },
      // werift keeps a packet when `inboundPacketLoss / 100 < Math.random()`: the value is the share kept.
      ...(options.dropInboundPercent !== undefined && { debug: { inboundPacketLoss: 100 - options.dropInboundPercent } }),
    });
    this.channel = this.pc.createDataChannel('text');
    this.channel.stateChanged.subscribe((state) => {
      if (state === 'open') this.channel.send('handshake');
    });
    this.channel.onMessage.subscribe((data) => this.messages.push(typeof data === 'string' ? data : data.toString('utf8')));
    this.transceiver = this.pc.addTransceiver(new MediaStreamTrack({ kind: 'audio' }), { direction: 'sendrecv' });
    this.transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        if (rtp.payload.length === 0) return;
        this.received.push({ pcm: this.#decoder.decode(rtp.payload), at: performance.now(), seq: rtp.header.sequenceNumber, marker: rtp.header.marker, timestamp: rtp.header.timestamp });
      }),
    );
  }

  post(body: unknown, baseUrl = this.#baseUrl): Promise<any> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#options.token !== undefined) headers.authorization = `Bearer ${this.#options.token}`;
    return fetch(`${baseUrl}/webrtc/offer`, { method: 'POST', headers, body: JSON.stringify(body) }).then((r) => r.json());
  }

  /** FastRTC's negotiate(): onicecandidate set before createOffer, offer posted, answer applied. */
  async connect(): Promise<OfferAnswer> {
    const { webrtcId } = this.#options;
    const trickle = this.#options.trickle ?? true;
    const early: unknown[] = [];
    let offerSent = false;
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (!trickle || !candidate) return;
      const body = { candidate: candidate.toJSON(), webrtc_id: webrtcId, type: 'ice-candidate' };
      if (this.#options.candidatesFirst && !offerSent) early.push(body);
      else this.#pendingPosts.push(this.post(body, this.#options.candidateUrl).then((a) => this.candidateAnswers.push(a)));
    });
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    if (!trickle || this.#options.candidatesFirst) await this.#gathered();
    for (const body of early) this.#pendingPosts.push(this.post(body, this.#options.candidateUrl).then((a) => this.candidateAnswers.push(a)));
    const local = this.pc.localDescription!;
    // Without trickling the offer must carry the candidates; when trickling it is sent as is.
    const sdp = trickle ? stripCandidates(local.sdp) : local.sdp;
    offerSent = true;
    const answer = (await this.post({ sdp, type: 'offer', webrtc_id: webrtcId })) as OfferAnswer;
    if ('sdp' in answer) await this.pc.setRemoteDescription(answer);
    return answer;
  }

  /** The answers to every posted candidate (held ones answer when their offer comes). */
  async candidatesAnswered(): Promise<unknown[]> {
    await Promise.all(this.#pendingPosts);
    return this.candidateAnswers;
  }

  async waitConnected(timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.pc.connectionState === 'connected' && this.channel.readyState === 'open', timeoutMs, 'peer connected');
  }

  /** Sends mono 48 kHz PCM16 as 20 ms Opus packets on a drift-free 20 ms schedule. */
  async sendPcm(pcm: Int16Array): Promise<{ sentAt: number[] }> {
    const encoder = createEncoder(OPUS);
    const frame = 960;
    let seq = 1000;
    let ts = 123_456;
    const start = performance.now();
    const sentAt: number[] = [];
    for (let k = 0; k * frame < pcm.length; k++) {
      const due = start + k * 20;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const chunk = new Int16Array(frame);
      chunk.set(pcm.subarray(k * frame, Math.min(pcm.length, (k + 1) * frame)));
      const header = new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: ts >>> 0, marker: k === 0, payloadType: 111 });
      await this.transceiver.sender.sendRtp(new RtpPacket(header, Buffer.from(encoder.encode(chunk))));
      sentAt.push(performance.now());
      seq++;
      ts += frame;
    }
    encoder.close();
    return { sentAt };
  }

  /** All received audio joined. */
  receivedPcm(): Int16Array {
    const total = this.received.reduce((n, r) => n + r.pcm.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const r of this.received) {
      out.set(r.pcm, at);
      at += r.pcm.length;
    }
    return out;
  }

  /** Closes like a browser: the data channel first (the server sees it close), then the connection. */
  async close(): Promise<void> {
    if (this.channel.readyState === 'open') {
      this.channel.close();
      await waitFor(() => this.channel.readyState === 'closed', 2000, 'data channel closed').catch(() => {});
    }
    await this.pc.close();
    this.#decoder.close();
  }

  async #gathered(): Promise<void> {
    await waitFor(() => this.pc.iceGatheringState === 'complete', 5000, 'client gathering');
  }
}

function stripCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((l) => !l.startsWith('a=candidate:') && l !== 'a=end-of-candidates')
    .join('\r\n');
}

export async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
