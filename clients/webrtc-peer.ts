import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { MediaStreamTrack, RTCPeerConnection, RtpHeader, RtpPacket, useOPUS, type RTCDataChannel } from 'werift';

/**
 * The client half of FastRTC's WebRTC flow (`POST /webrtc/offer`, docs/webrtc.md) on a werift peer, as
 * FastRTC's browser client (`webrtc_utils.ts`) runs it: `onicecandidate` is set before `createOffer`, so
 * candidates are posted (`{"candidate","type":"ice-candidate","webrtc_id"}`) while the offer request is
 * still in flight; a data channel labelled `text` sends `handshake` when it opens; the answer is applied
 * and the peer is ready once connected. With `trickle: false` it behaves as FastRTC's Next.js demo:
 * gathering finishes first and the offer carries every candidate, none is posted.
 *
 * Media is raw RTP both ways (one Opus/48000/2 audio m-line, `max-bundle`: one UDP socket per peer): the
 * caller encodes, packetizes timing (sequence number, timestamp) and decodes; werift rewrites SSRC and
 * payload type. Thin adapter: no timers besides the open timeout.
 */
export interface WebRtcPeerOptions {
  /** http(s)://HOST/webrtc/offer */
  readonly offerUrl: string;
  /** FastRTC's webrtc_id. */
  readonly id: string;
  /** Post candidates as they are gathered (FastRTC's client); false: all inside the offer (the Next.js demo). */
  readonly trickle: boolean;
  /** Offer, answer and `connected` within this long, ms. */
  readonly openTimeoutMs: number;
  /** STUN/TURN servers; none by default (werift would otherwise ask a public STUN server). */
  readonly iceServers: readonly { readonly urls: string; readonly username?: string; readonly credential?: string }[];
  /** One inbound RTP packet: its payload, 16-bit sequence number and 32-bit timestamp (48 kHz units). */
  readonly onRtp: (payload: Uint8Array, seq: number, timestamp: number) => void;
  /** One text message on the `text` data channel. */
  readonly onMessage: (text: string) => void;
  /** Called once when the peer is gone: closed, failed, or its data channel closed. */
  readonly onClose: (reason: string) => void;
}

/** The server answered the offer with FastRTC's refusal (HTTP 200 `{"status":"failed","meta":{…}}`). */
export interface OfferRefusal {
  readonly refused: Readonly<Record<string, unknown>>;
}

const ANSWER_KEYS = ['sdp', 'type'] as const;
/** How long close() waits for the data channel's closing handshake before closing the peer anyway. */
const CHANNEL_CLOSE_WAIT_MS = 1000;

/**
 * POSTs JSON and reads a JSON object back, on a connection of its own (no keep-alive pool: a finished
 * client holds no socket, so its file descriptors are back where they started once it closes).
 */
function postJson(url: string, body: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = send(target, { method: 'POST', agent: false, signal, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return reject(new Error(`POST ${url}: HTTP ${res.statusCode}, not JSON: ${JSON.stringify(text.slice(0, 120))}`));
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(new Error(`POST ${url}: HTTP ${res.statusCode}, not a JSON object`));
        resolve(parsed as Record<string, unknown>);
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

function waitFor<T extends string>(current: () => T, changes: { subscribe(fn: (s: T) => void): { unSubscribe(): void } }, done: (s: T) => boolean, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    if (done(current())) return resolve(current());
    const onAbort = () => {
      sub.unSubscribe();
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const sub = changes.subscribe((state) => {
      if (!done(state)) return;
      sub.unSubscribe();
      signal.removeEventListener('abort', onAbort);
      resolve(state);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class WebRtcPeer {
  readonly #pc: RTCPeerConnection;
  readonly #track: MediaStreamTrack;
  readonly #channel: RTCDataChannel;
  /** Candidate posts the server refused or that failed (diagnostics; FastRTC's client ignores them too). */
  readonly candidateErrors: string[] = [];
  #closed = false;
  #onClose: ((reason: string) => void) | undefined;

  private constructor(pc: RTCPeerConnection, track: MediaStreamTrack, channel: RTCDataChannel) {
    this.#pc = pc;
    this.#track = track;
    this.#channel = channel;
  }

  /**
   * Runs the offer/answer exchange and resolves once the peer is connected, or with the server's
   * refusal. Rejects (and closes the peer) on a network error, an answer that is neither, or the timeout.
   */
  static async open(options: WebRtcPeerOptions): Promise<WebRtcPeer | OfferRefusal> {
    const pc = new RTCPeerConnection({
      iceServers: options.iceServers.map((s) => ({ ...s })),
      bundlePolicy: 'max-bundle',
      codecs: { audio: [useOPUS()] },
    });
    const track = new MediaStreamTrack({ kind: 'audio' });
    const transceiver = pc.addTransceiver(track, { direction: 'sendrecv' });
    const channel = pc.createDataChannel('text');
    const peer = new WebRtcPeer(pc, track, channel);
    const signal = AbortSignal.timeout(options.openTimeoutMs);
    const posts: Promise<void>[] = [];

    transceiver.onTrack.subscribe((remote) => {
      remote.onReceiveRtp.subscribe((rtp) => {
        if (!peer.#closed) options.onRtp(rtp.payload, rtp.header.sequenceNumber, rtp.header.timestamp);
      });
    });
    channel.onMessage.subscribe((data) => {
      if (!peer.#closed) options.onMessage(typeof data === 'string' ? data : data.toString('utf8'));
    });
    channel.stateChanged.subscribe((state) => {
      if (state === 'open') channel.send('handshake');
      else if (state === 'closed') peer.#ended('data channel closed');
    });
    if (options.trickle) {
      pc.onIceCandidate.subscribe((candidate) => {
        if (!candidate || peer.#closed) return;
        const body = { candidate: candidate.toJSON(), type: 'ice-candidate', webrtc_id: options.id };
        posts.push(
          postJson(options.offerUrl, body, signal).then(
            (answer) => {
              if (answer.status !== 'success') peer.candidateErrors.push(JSON.stringify(answer));
            },
            (err: unknown) => {
              peer.candidateErrors.push((err as Error).message);
            },
          ),
        );
      });
    }

    try {
      await pc.setLocalDescription(await pc.createOffer());
      if (!options.trickle) await waitFor(() => pc.iceGatheringState, pc.iceGatheringStateChange, (s) => s === 'complete', signal);
      const local = pc.localDescription;
      if (!local) throw new Error('werift produced no local description');
      const answer = await postJson(options.offerUrl, { sdp: local.sdp, type: 'offer', webrtc_id: options.id }, signal);
      if (answer.status === 'failed') {
        await Promise.all(posts);
        await peer.close();
        return { refused: answer };
      }
      if (answer.type !== 'answer' || typeof answer.sdp !== 'string') {
        throw new Error(`POST ${options.offerUrl}: expected {${ANSWER_KEYS.join(',')}} with type "answer", got ${JSON.stringify(answer).slice(0, 200)}`);
      }
      await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      const state = await waitFor(() => pc.connectionState, pc.connectionStateChange, (s) => s === 'connected' || s === 'failed' || s === 'closed', signal);
      if (state !== 'connected') throw new Error(`peer connection ${state} before connecting`);
      await Promise.all(posts);
    } catch (err) {
      await Promise.all(posts);
      await peer.close();
      const message = signal.aborted ? `no connection within ${options.openTimeoutMs} ms` : (err as Error).message;
      throw new Error(`cannot connect to ${options.offerUrl}: ${message}`, { cause: err });
    }
    peer.#onClose = options.onClose;
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'failed' || state === 'closed') peer.#ended(`peer connection ${state}`);
    });
    if (channel.readyState === 'closed') peer.#ended('data channel closed');
    return peer;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get connectionState(): RTCPeerConnection['connectionState'] {
    return this.#pc.connectionState;
  }

  /** Sends one RTP packet on the audio track (werift sets SSRC and payload type). */
  sendRtp(payload: Uint8Array, seq: number, timestamp: number, marker = false): void {
    if (this.#closed) return;
    const header = new RtpHeader({ sequenceNumber: seq & 0xffff, timestamp: timestamp >>> 0, marker });
    this.#track.writeRtp(new RtpPacket(header, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)));
  }

  /** Sends a text message on the `text` channel once it is open (dropped before, as FastRTC's client does). */
  send(text: string): void {
    if (!this.#closed && this.#channel.readyState === 'open') this.#channel.send(text);
  }

  /**
   * Closes the data channel, then the peer (its UDP socket included): the channel's close tells the
   * server at once (a werift peer's own close is not signalled; the server would notice only when ICE
   * consent lapses, ~30 s). The close callback does not fire for a close asked for here.
   */
  async close(): Promise<void> {
    const first = !this.#closed;
    this.#closed = true;
    this.#onClose = undefined;
    if (!first) return;
    const channel = this.#channel;
    if (channel.readyState === 'open') {
      const closed = waitFor(() => channel.readyState, channel.stateChanged, (st) => st === 'closed', AbortSignal.timeout(CHANNEL_CLOSE_WAIT_MS)).catch(() => {});
      channel.close();
      await closed;
    }
    await this.#pc.close();
  }

  #ended(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const onClose = this.#onClose;
    this.#onClose = undefined;
    // The peer's sockets are released whichever side ended it.
    this.#pc.close().catch(() => {});
    onClose?.(reason);
  }
}

export const isRefusal = (result: WebRtcPeer | OfferRefusal): result is OfferRefusal => !(result instanceof WebRtcPeer);
