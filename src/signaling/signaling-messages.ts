import type { ErrorCode } from '../errors/error-codes.js';

/**
 * The call-signaling wire format (docs/signaling.md), the seed's Django Channels consumer to the letter:
 * every message is a JSON text frame `{"type":T,"data":{…}}`. Parsing is pure: text in, a typed
 * message or a WG_ERR_* code with the reason out.
 */

/** A WebRTC payload relayed untouched (an SDP description or the seed's `{label,id,candidate}`). */
export type RtcMessage = Record<string, unknown>;

export type ClientMessage =
  | { type: 'login'; data: { name: string } }
  | { type: 'call'; data: { name: string; rtcMessage: RtcMessage } }
  | { type: 'answer_call'; data: { caller: string; rtcMessage: RtcMessage } }
  | { type: 'ICEcandidate'; data: { user: string; rtcMessage: RtcMessage } }
  /** wavegate: end the call (or cancel/decline a ringing one); `name` defaults to the current peer. */
  | { type: 'hangup'; data: { name?: string } };

export type ServerMessage =
  | { type: 'connection'; data: { message: 'Connected' } }
  | { type: 'call_received'; data: { caller: string; rtcMessage: RtcMessage } }
  | { type: 'call_answered'; data: { rtcMessage: RtcMessage } }
  | { type: 'ICEcandidate'; data: { rtcMessage: RtcMessage } }
  // wavegate additions; the seed's client ignores every type it does not know.
  | { type: 'logged_in'; data: { name: string } }
  | { type: 'hangup'; data: { name: string; reason: HangupReason } }
  | { type: 'busy'; data: { name: string } }
  | { type: 'error'; code: ErrorCode; message: string; data: { request: string | null; name?: string } };

/** Why a call ended: the peer hung up, closed its connection, or lost its name. */
export type HangupReason = 'hangup' | 'disconnected' | 'logged_out';

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; detail: string; request: string | null };

/** Names: 1–64 characters, no control characters (the seed accepted anything; a Django group name allows < 100). */
const NAME = /^[^\u0000-\u001f\u007f]{1,64}$/u;

export function isValidName(value: unknown): value is string {
  return typeof value === 'string' && NAME.test(value);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseClientMessage(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: 'WG_ERR_MALFORMED_JSON', detail: (err as Error).message, request: null };
  }
  if (!isObject(raw) || typeof raw['type'] !== 'string') return bad(null, 'expected an object with a string "type"');
  const type = raw['type'];
  const data = raw['data'];
  const known = ['login', 'call', 'answer_call', 'ICEcandidate', 'hangup'];
  if (!known.includes(type)) return { ok: false, code: 'WG_ERR_UNKNOWN_EVENT', detail: `${JSON.stringify(type)} (expected one of ${known.join(', ')})`, request: type };
  if (type === 'hangup' && data === undefined) return { ok: true, message: { type, data: {} } };
  if (!isObject(data)) return bad(type, '"data" must be an object');
  const name = (key: string) => (isValidName(data[key]) ? undefined : `data.${key} must be a name of 1–64 characters without control characters`);
  const rtc = () => (isObject(data['rtcMessage']) ? undefined : 'data.rtcMessage must be an object');
  switch (type) {
    case 'login': {
      const problem = name('name');
      return problem ? bad(type, problem) : { ok: true, message: { type, data: { name: data['name'] as string } } };
    }
    case 'call': {
      const problem = name('name') ?? rtc();
      return problem ? bad(type, problem) : { ok: true, message: { type, data: { name: data['name'] as string, rtcMessage: data['rtcMessage'] as RtcMessage } } };
    }
    case 'answer_call': {
      const problem = name('caller') ?? rtc();
      return problem ? bad(type, problem) : { ok: true, message: { type, data: { caller: data['caller'] as string, rtcMessage: data['rtcMessage'] as RtcMessage } } };
    }
    case 'ICEcandidate': {
      const problem = name('user') ?? rtc();
      return problem ? bad(type, problem) : { ok: true, message: { type, data: { user: data['user'] as string, rtcMessage: data['rtcMessage'] as RtcMessage } } };
    }
    default: {
      if (data['name'] === undefined) return { ok: true, message: { type: 'hangup', data: {} } };
      const problem = name('name');
      return problem ? bad(type, problem) : { ok: true, message: { type: 'hangup', data: { name: data['name'] as string } } };
    }
  }
}

function bad(request: string | null, detail: string): ParseResult {
  return { ok: false, code: 'WG_ERR_MALFORMED_MESSAGE', detail, request };
}
