// WebRTC to the gateway in FastRTC's protocol (`POST webrtc/offer`, docs/talk-page.md): one peer
// connection with the microphone's track and a data channel labelled `text` that says `handshake`
// when it opens. Local candidates are posted as they are found, also while the offer is in flight,
// as FastRTC's own client does; the answer carries the gateway's candidates. Refusals come back as
// HTTP 200 `{"status":"failed","meta":{"error":NAME,…}}` and are thrown with `kind: 'refused'`.

/** @typedef {import('./talk-messages.js').TransportEvents} TransportEvents */

export class WebRtcTransport {
  /**
   * @param {{ id: string, stream: MediaStream, offerUrl: URL, iceServers: RTCIceServer[], events: TransportEvents, room?: string | null }} o
   */
  constructor(o) {
    this.name = 'webrtc';
    this.o = o;
    /** @type {RTCPeerConnection|null} */ this.pc = null;
    /** @type {RTCDataChannel|null} */ this.channel = null;
    /** @type {RTCRtpSender|null} */ this.sender = null;
    /** @type {MediaStream|null} */ this.remoteStream = null;
    this.closed = false;
    this.candidatesPosted = 0;
  }

  async start() {
    const { id, stream, iceServers, events } = this.o;
    const pc = new RTCPeerConnection({ iceServers });
    this.pc = pc;
    pc.addEventListener('track', (e) => {
      this.remoteStream = e.streams[0] ?? new MediaStream([e.track]);
      events.remote(this.remoteStream);
    });
    pc.addEventListener('connectionstatechange', () => {
      if (this.closed) return;
      events.state(pc.connectionState);
      if (pc.connectionState === 'failed') this.end({ kind: 'failed', reason: 'the connection to the gateway failed' });
    });
    const channel = pc.createDataChannel('text');
    this.channel = channel;
    channel.onopen = () => channel.send('handshake');
    channel.onmessage = (e) => {
      let message;
      try {
        message = JSON.parse(e.data);
      } catch {
        message = { type: 'log', data: String(e.data) }; // FastRTC's bare strings: change, tick, stopword
      }
      events.message(message);
    };
    channel.onclose = () => this.end({ kind: 'closed', reason: 'the gateway closed the data channel' });
    const track = stream.getAudioTracks()[0];
    if (track) this.sender = pc.addTrack(track, stream);
    else pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.onicecandidate = ({ candidate }) => {
      if (!candidate) return;
      this.candidatesPosted++;
      this.post({ candidate: candidate.toJSON(), webrtc_id: id, type: 'ice-candidate' }).catch(() => undefined);
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const local = /** @type {RTCSessionDescription} */ (pc.localDescription);
    const answer = await this.post({ sdp: local.sdp, type: local.type, webrtc_id: id, ...(this.o.room && { room: this.o.room }) });
    if (answer?.status === 'failed') throw Object.assign(new Error(`refused: ${answer.meta?.error}`), { kind: 'refused', meta: answer.meta ?? {} });
    if (this.closed) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: withOpusBitrate(answer.sdp, 64000) });
  }

  /** @param {object} body @returns {Promise<any>} */
  async post(body) {
    let response;
    try {
      response = await fetch(this.o.offerUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    } catch (err) {
      throw Object.assign(new Error(`POST webrtc/offer: ${err}`), { kind: 'unreachable' });
    }
    if (response.status === 404 || response.status === 405) throw Object.assign(new Error('this gateway has no WebRTC endpoint'), { kind: 'no-webrtc' });
    const json = await response.json().catch(() => null);
    if (!response.ok) throw Object.assign(new Error(json?.error?.message ?? `HTTP ${response.status}`), { kind: 'http', code: json?.error?.code, status: response.status });
    return json;
  }

  /** Another microphone mid-conversation: the sender's track is swapped, no renegotiation. @param {MediaStream} stream */
  async replaceMic(stream) {
    await this.sender?.replaceTrack(stream.getAudioTracks()[0] ?? null);
  }

  async stats() {
    if (!this.pc) return null;
    const report = await this.pc.getStats();
    /** @type {Record<string, any>} */ let inbound = {};
    /** @type {Record<string, any>} */ let remoteInbound = {};
    /** @type {Record<string, any>} */ let outbound = {};
    /** @type {string|undefined} */ let pairId;
    /** @type {Map<string, any>} */ const pairs = new Map();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') inbound = s;
      else if (s.type === 'remote-inbound-rtp' && s.kind === 'audio') remoteInbound = s;
      else if (s.type === 'outbound-rtp' && s.kind === 'audio') outbound = s;
      else if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      else if (s.type === 'candidate-pair') pairs.set(s.id, s);
    });
    const pair = (pairId && pairs.get(pairId)) || [...pairs.values()].find((p) => p.nominated && p.state === 'succeeded');
    const rttS = pair?.currentRoundTripTime ?? remoteInbound.roundTripTime;
    const samples = inbound.totalSamplesReceived ?? 0;
    return {
      rttMs: typeof rttS === 'number' ? rttS * 1000 : null,
      jitterMs: typeof inbound.jitter === 'number' ? inbound.jitter * 1000 : null,
      packetsLost: typeof inbound.packetsLost === 'number' ? inbound.packetsLost : null,
      packetsLostOutbound: typeof remoteInbound.packetsLost === 'number' ? remoteInbound.packetsLost : null,
      packetsReceived: inbound.packetsReceived ?? 0,
      packetsSent: outbound.packetsSent ?? 0,
      // Samples are counted at the decoder's output rate; totalSamplesDuration gives it in seconds.
      concealedMs: inbound.concealedSamples == null ? null : samples > 0 && inbound.totalSamplesDuration ? (inbound.concealedSamples / samples) * inbound.totalSamplesDuration * 1000 : inbound.concealedSamples / 48,
      concealedRatio: samples > 0 ? (inbound.concealedSamples ?? 0) / samples : null,
      concealmentEvents: inbound.concealmentEvents ?? null,
      concealedSamples: inbound.concealedSamples ?? null,
      totalSamplesReceived: samples,
      playoutDelayMs: inbound.jitterBufferEmittedCount ? (inbound.jitterBufferDelay / inbound.jitterBufferEmittedCount) * 1000 : null,
    };
  }

  /** @param {{ kind: string, reason: string }} why */
  end(why) {
    if (this.closed) return;
    this.teardown();
    this.o.events.closed(why);
  }

  teardown() {
    this.closed = true;
    const pc = this.pc;
    if (!pc) return;
    this.channel?.close();
    for (const t of pc.getTransceivers()) t.stop?.();
    pc.close();
  }

  /** Ends the session: closing the data channel and the peer connection ends it on the gateway. */
  stop() {
    if (this.closed) return;
    this.teardown();
  }
}

/**
 * Lets our Opus encoder use up to `bps` (RFC 7587 `maxaveragebitrate` on the answer's Opus fmtp):
 * Chromium otherwise sends speech at its default of about 32 kbit/s, and the handler may be a recogniser.
 * @param {string} sdp @param {number} bps
 */
export function withOpusBitrate(sdp, bps) {
  const pt = /a=rtpmap:(\d+) opus\/48000/i.exec(sdp)?.[1];
  if (!pt) return sdp;
  const fmtp = new RegExp(`^a=fmtp:${pt} (.*)$`, 'm');
  if (!fmtp.test(sdp)) return sdp.replace(new RegExp(`^(a=rtpmap:${pt} .*)$`, 'm'), `$1\r\na=fmtp:${pt} maxaveragebitrate=${bps}`);
  return sdp.replace(fmtp, (line, params) => (/maxaveragebitrate=/.test(params) ? line : `a=fmtp:${pt} ${params};maxaveragebitrate=${bps}`));
}
