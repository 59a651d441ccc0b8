/**
 * The one registry of wavegate errors (docs/errors.md). Each code has a message, the HTTP status used when
 * it answers a request, and the WebSocket close code used when it ends a connection. docs/errors.md
 * lists the same codes; test/errors-registry.test.ts keeps the two in sync.
 *
 * Close codes: 1008 policy violation, 1009 message too big, 1011 server error, 1013 try again later,
 * 4xxx application codes (4000–4999 are free for applications per RFC 6455).
 */
export interface ErrorSpec {
  readonly message: string;
  readonly httpStatus: number;
  readonly closeCode: number;
}

export const ERROR_CODES = {
  WG_ERR_MALFORMED_JSON: { message: 'message is not valid JSON', httpStatus: 400, closeCode: 1007 },
  WG_ERR_MALFORMED_MESSAGE: { message: 'message does not have the expected shape', httpStatus: 400, closeCode: 1008 },
  WG_ERR_UNKNOWN_EVENT: { message: 'unknown event type', httpStatus: 400, closeCode: 1008 },
  WG_ERR_BAD_BASE64: { message: 'media payload is not valid base64', httpStatus: 400, closeCode: 1007 },
  WG_ERR_BAD_PAYLOAD: { message: 'media payload cannot be decoded with the negotiated format', httpStatus: 400, closeCode: 1007 },
  WG_ERR_MEDIA_BEFORE_START: { message: 'media received before start', httpStatus: 409, closeCode: 1008 },
  WG_ERR_ALREADY_STARTED: { message: 'start received twice on one connection', httpStatus: 409, closeCode: 1008 },
  WG_ERR_PAYLOAD_TOO_LARGE: { message: 'message exceeds the maximum payload size', httpStatus: 413, closeCode: 1009 },
  WG_ERR_UNSUPPORTED_FORMAT: { message: 'unsupported media format (encoding, sample rate or channels)', httpStatus: 415, closeCode: 1003 },
  WG_ERR_BINARY_NOT_ALLOWED: { message: 'binary media frames need audio/x-l16 or audio/opus', httpStatus: 415, closeCode: 1003 },
  WG_ERR_DUPLICATE_SESSION: { message: 'a session with this id is already open', httpStatus: 409, closeCode: 4009 },
  WG_ERR_INVALID_ID: { message: 'id is missing or does not match the allowed pattern', httpStatus: 400, closeCode: 1008 },
  WG_ERR_SESSION_NOT_FOUND: { message: 'no open session with this id', httpStatus: 404, closeCode: 4004 },
  WG_ERR_CONCURRENCY_LIMIT: { message: 'concurrency limit reached', httpStatus: 503, closeCode: 1013 },
  WG_ERR_TIME_LIMIT: { message: 'session time limit reached', httpStatus: 408, closeCode: 4008 },
  WG_ERR_IDLE_TIMEOUT: { message: 'session idle for too long', httpStatus: 408, closeCode: 4010 },
  WG_ERR_RATE_LIMIT: { message: 'too many messages per second on this connection', httpStatus: 429, closeCode: 1008 },
  WG_ERR_SLOW_CONSUMER: { message: 'client does not read fast enough; output dropped', httpStatus: 503, closeCode: 4011 },
  WG_ERR_HANDLER_FAILED: { message: 'the handler threw; its session ends', httpStatus: 500, closeCode: 1011 },
  WG_ERR_OPTION_NOT_ALLOWED: { message: 'a client may not set this handler option', httpStatus: 403, closeCode: 1008 },
  WG_ERR_INVALID_OPTION: { message: 'a handler option has a value the handler refuses (checked before the handler is created)', httpStatus: 400, closeCode: 1008 },
  WG_ERR_HANDLER_UNAVAILABLE: { message: 'the handler cannot be created (missing engine or bad options)', httpStatus: 500, closeCode: 1011 },
  WG_ERR_QUEUE_OVERFLOW: { message: 'input queue full; frames dropped', httpStatus: 503, closeCode: 1013 },
  WG_ERR_SHUTTING_DOWN: { message: 'server is shutting down', httpStatus: 503, closeCode: 1001 },
  WG_ERR_NOT_FOUND: { message: 'not found', httpStatus: 404, closeCode: 1008 },
  WG_ERR_METHOD_NOT_ALLOWED: { message: 'method not allowed', httpStatus: 405, closeCode: 1008 },
  WG_ERR_BAD_REQUEST: { message: 'bad request', httpStatus: 400, closeCode: 1008 },
  WG_ERR_RECORDING_NOT_FOUND: { message: 'no recording with this id', httpStatus: 404, closeCode: 1008 },
  WG_ERR_PATH_REFUSED: { message: 'recording path refused (not a plain file inside the recordings folder)', httpStatus: 403, closeCode: 1008 },
  WG_ERR_RANGE_NOT_SATISFIABLE: { message: 'no requested byte range overlaps the recording', httpStatus: 416, closeCode: 1008 },
  WG_ERR_BAD_SEEK_POSITION: { message: 'pos must be a number of seconds within the recording', httpStatus: 400, closeCode: 1008 },
  WG_ERR_BAD_SIGNATURE: { message: 'recording URL signature missing, malformed or wrong', httpStatus: 403, closeCode: 1008 },
  WG_ERR_URL_EXPIRED: { message: 'signed recording URL has expired', httpStatus: 403, closeCode: 1008 },
  WG_ERR_RECORDING_WRITE_FAILED: { message: 'the recording could not be written (the cause follows); the recording ended, the session goes on', httpStatus: 500, closeCode: 1011 },
  WG_ERR_BAD_WAV: { message: 'not a readable WAV file (malformed header or unsupported encoding)', httpStatus: 422, closeCode: 1007 },
  WG_ERR_NOT_LOGGED_IN: { message: 'log in first: this call-signaling message needs a name', httpStatus: 409, closeCode: 1008 },
  WG_ERR_ALREADY_LOGGED_IN: { message: 'this connection is already logged in under another name', httpStatus: 409, closeCode: 1008 },
  WG_ERR_NAME_TAKEN: { message: 'this name is already online on another connection', httpStatus: 409, closeCode: 4012 },
  WG_ERR_PEER_OFFLINE: { message: 'the called user is not online', httpStatus: 404, closeCode: 4013 },
  WG_ERR_NOT_IN_CALL: { message: 'no call with this user', httpStatus: 409, closeCode: 1008 },
  WG_ERR_ALREADY_IN_CALL: { message: 'already calling or in a call; hang up first', httpStatus: 409, closeCode: 1008 },
  WG_ERR_RELAY_UNAVAILABLE: { message: 'cross-process relay unavailable (Redis unreachable); only users on this process can be reached', httpStatus: 503, closeCode: 1013 },
  WG_ERR_TWILIO_SIGNATURE: { message: 'X-Twilio-Signature missing or wrong for the configured Twilio auth token', httpStatus: 403, closeCode: 1008 },
  WG_ERR_INVALID_SDP: { message: 'the offer SDP does not parse or cannot be answered', httpStatus: 400, closeCode: 1008 },
  WG_ERR_NO_AUDIO: { message: 'the offer has no audio section with Opus', httpStatus: 415, closeCode: 1003 },
  WG_ERR_INVALID_CANDIDATE: { message: 'the ICE candidate is not in candidate-attribute format', httpStatus: 400, closeCode: 1008 },
  WG_ERR_UNKNOWN_CONNECTION: { message: 'no offer with this webrtc_id arrived within the candidate hold time', httpStatus: 404, closeCode: 4004 },
  WG_ERR_CANDIDATE_HOLD_FULL: { message: 'too many ICE candidates held for offers that have not arrived', httpStatus: 503, closeCode: 1013 },
  WG_ERR_CONNECTION_CLOSED: { message: 'the peer connection with this webrtc_id has closed', httpStatus: 409, closeCode: 4004 },
  WG_ERR_CONNECT_TIMEOUT: { message: 'the peer connection did not reach connected in time', httpStatus: 408, closeCode: 4008 },
  WG_ERR_ICE_GATHERING: { message: 'the server could not gather any ICE candidate', httpStatus: 500, closeCode: 1011 },
  WG_ERR_UNAUTHORIZED: { message: 'access token missing, malformed, expired or not signed with the gateway secret', httpStatus: 401, closeCode: 4001 },
  WG_ERR_FORBIDDEN: { message: 'the access token does not allow this (scope, session id, name or handler option)', httpStatus: 403, closeCode: 4003 },
  WG_ERR_CARRIER_SIGNATURE: { message: 'carrier request signature missing, stale or wrong (Telnyx or Plivo)', httpStatus: 403, closeCode: 1008 },
  WG_ERR_CLIENT_RATE_LIMIT: { message: 'too many requests or connection attempts per second from this client address', httpStatus: 429, closeCode: 1008 },
  WG_ERR_CLIENT_SESSION_LIMIT: { message: 'too many sessions open at once from this client address', httpStatus: 429, closeCode: 1013 },
  WG_ERR_ORIGIN_NOT_ALLOWED: { message: 'requests from pages of this origin are not allowed (--allowed-origin)', httpStatus: 403, closeCode: 1008 },
  WG_ERR_SESSION_CONFLICT: { message: 'an earlier session on another node holds this id (found when the cluster directory resynced); this one is closed', httpStatus: 409, closeCode: 4014 },
  WG_ERR_OWNER_UNAVAILABLE: { message: 'the node holding this session did not answer in time', httpStatus: 503, closeCode: 1013 },
  WG_ERR_INVALID_ROOM: { message: 'room id is missing or does not match the allowed pattern', httpStatus: 400, closeCode: 1008 },
  WG_ERR_ROOM_FULL: { message: 'the room has its most participants (rooms.maxParticipants)', httpStatus: 503, closeCode: 1013 },
  WG_ERR_ROOM_LIMIT: { message: 'this process has its most rooms open (rooms.maxRooms)', httpStatus: 503, closeCode: 1013 },
  WG_ERR_ROOM_NOT_FOUND: { message: 'no open room with this id', httpStatus: 404, closeCode: 4004 },
  WG_ERR_PARTICIPANT_NOT_FOUND: { message: 'no participant with this id in the room', httpStatus: 404, closeCode: 4004 },
  WG_ERR_ROOM_FORBIDDEN: { message: 'a participant may only control itself unless rooms.clientModeration is on', httpStatus: 403, closeCode: 1008 },
  WG_ERR_NOT_IN_ROOM: { message: 'room message on a session that is in no room', httpStatus: 409, closeCode: 1008 },
  WG_ERR_ROOM_KICKED: { message: 'removed from the room', httpStatus: 409, closeCode: 4015 },
  WG_ERR_ROOM_ELSEWHERE: { message: 'the room lives on another node; join it there (its URL is in the message)', httpStatus: 409, closeCode: 4016 },
  WG_ERR_INTERNAL: { message: 'internal error', httpStatus: 500, closeCode: 1011 },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
