import { WavegateError } from '../../errors/wavegate-error.js';
import { isValidSessionId } from '../message-fields.js';

/** A parsed `POST /webrtc/offer` body (docs/webrtc.md#protocol). */
export type OfferRequest =
  | { readonly kind: 'offer'; readonly id: string; readonly sdp: string; readonly room?: string | undefined }
  | { readonly kind: 'candidate'; readonly id: string; readonly candidate: CandidateInit };

export interface CandidateInit {
  readonly candidate: string;
  readonly sdpMid?: string | null;
  readonly sdpMLineIndex?: number | null;
  readonly usernameFragment?: string | null;
}

// RFC 8839 §5.1 candidate-attribute: foundation component transport priority address port typ type …
const CANDIDATE = /^(?:a=)?candidate:\S{1,32} \d{1,3} (?:udp|tcp) \d{1,10} \S{1,255} \d{1,5} typ (?:host|srflx|prflx|relay)(?: .*)?$/i;

/** Reads the body's shape; throws a WavegateError naming what is wrong. */
export function parseOfferBody(body: Record<string, unknown>): OfferRequest {
  const id = body.webrtc_id;
  if (typeof id !== 'string' || !isValidSessionId(id)) throw new WavegateError('WG_ERR_INVALID_ID', `webrtc_id ${JSON.stringify(id ?? null)}`);
  if (body.type === 'ice-candidate') {
    const c = body.candidate;
    if (typeof c !== 'object' || c === null || Array.isArray(c)) throw new WavegateError('WG_ERR_INVALID_CANDIDATE', 'candidate must be an RTCIceCandidateInit object');
    const init = c as Record<string, unknown>;
    const text = init.candidate;
    if (typeof text !== 'string') throw new WavegateError('WG_ERR_INVALID_CANDIDATE', 'candidate.candidate must be a string');
    // An empty candidate string is the end-of-candidates marker (RFC 8838 §8.2), valid as such.
    if (text !== '' && !CANDIDATE.test(text)) throw new WavegateError('WG_ERR_INVALID_CANDIDATE', JSON.stringify(text.slice(0, 120)));
    const mid = init.sdpMid;
    const index = init.sdpMLineIndex;
    if (mid !== undefined && mid !== null && typeof mid !== 'string') throw new WavegateError('WG_ERR_INVALID_CANDIDATE', 'sdpMid must be a string or null');
    if (index !== undefined && index !== null && !(Number.isInteger(index) && (index as number) >= 0 && (index as number) < 64)) {
      throw new WavegateError('WG_ERR_INVALID_CANDIDATE', 'sdpMLineIndex must be a small integer or null');
    }
    return {
      kind: 'candidate',
      id,
      candidate: {
        candidate: text,
        sdpMid: (mid as string | null | undefined) ?? null,
        sdpMLineIndex: (index as number | null | undefined) ?? null,
        ...(typeof init.usernameFragment === 'string' && { usernameFragment: init.usernameFragment }),
      },
    };
  }
  if (body.type !== 'offer') throw new WavegateError('WG_ERR_MALFORMED_MESSAGE', `type must be "offer" or "ice-candidate", got ${JSON.stringify(body.type ?? null)}`);
  const sdp = body.sdp;
  if (typeof sdp !== 'string') throw new WavegateError('WG_ERR_INVALID_SDP', 'sdp must be a string');
  checkOfferSdp(sdp);
  // `room` (docs/rooms.md): checked where the room is joined.
  if (body.room !== undefined && typeof body.room !== 'string') throw new WavegateError('WG_ERR_INVALID_ROOM', 'room must be a string');
  return { kind: 'offer', id, sdp, ...(typeof body.room === 'string' && { room: body.room }) };
}

/** Cheap checks before any peer connection exists: a WebRTC SDP session (RFC 8866 §5, RFC 8829) with an Opus audio section. */
export function checkOfferSdp(sdp: string): void {
  const lines = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (lines[0] !== 'v=0' || !lines.some((l) => l.startsWith('o=')) || !lines.every((l) => /^[a-z]=/.test(l))) {
    throw new WavegateError('WG_ERR_INVALID_SDP', 'not an SDP session description (v=0, o=, type=value lines)');
  }
  // WebRTC needs ICE credentials (RFC 8839 §5.4) and a DTLS fingerprint (RFC 8122 §5), at session or media level.
  for (const attribute of ['ice-ufrag', 'ice-pwd', 'fingerprint']) {
    if (!lines.some((l) => l.startsWith(`a=${attribute}:`))) throw new WavegateError('WG_ERR_INVALID_SDP', `no a=${attribute}`);
  }
  const audio = lines.filter((l) => /^m=audio \d+ /.test(l));
  if (audio.length === 0) throw new WavegateError('WG_ERR_NO_AUDIO', 'no m=audio section');
  if (!lines.some((l) => /^a=rtpmap:\d+ opus\/48000/i.test(l))) throw new WavegateError('WG_ERR_NO_AUDIO', 'no Opus/48000 in the audio section');
}
