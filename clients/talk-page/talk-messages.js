// What the talk page tells people, in plain words: microphone problems, refusals, ends of a
// conversation. Kept apart from the page logic so every wording sits in one place.

/**
 * What a transport reports to the page.
 * @typedef {object} TransportEvents
 * @property {(state: string) => void} state   connection state (RTCPeerConnectionState names)
 * @property {(message: any) => void} message  a message from the gateway (data channel or WebSocket text)
 * @property {(stream: MediaStream) => void} remote  the gateway's audio
 * @property {(why: { kind?: string, reason?: string, code?: number }) => void} closed  the conversation ended without Stop
 */

/** @param {unknown} err  a getUserMedia rejection */
export function microphoneProblem(err) {
  const name = /** @type {any} */ (err)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') {
    return 'Microphone access is blocked. Allow the microphone for this page (the icon in the address bar), then press Start again.';
  }
  if (name === 'NotFoundError' || name === 'OverconstrainedError') {
    return 'No microphone was found. Connect one, or pick another in the list, and press Start again.';
  }
  if (name === 'NotReadableError' || name === 'AbortError') {
    return 'The microphone could not be opened: another program may be using it.';
  }
  return `The microphone could not be opened (${name ?? String(err)}).`;
}

export const NO_MEDIA_DEVICES =
  'This browser gives pages the microphone only over https or on localhost. Open the page as https://… or http://127.0.0.1:… instead.';

export const SERVER_GONE = 'The server cannot be reached: it may have stopped, or the network is down. Press Start to try again.';

/** The gateway wants an access token (docs/security.md): none given, or this one refused. @param {boolean} hadToken @param {string} [why] */
export function tokenProblem(hadToken, why) {
  if (!hadToken) return 'This server needs an access token: open the page with the link you were given (it ends in ?token=…).';
  return `The access token of this page was refused${why ? ` (${why})` : ''}. Ask for a fresh link.`;
}

export const CONNECT_TIMEOUT =
  'The audio connection could not be set up in 30 s: a firewall may block UDP between you and the server. Try the WebSocket transport.';

/** FastRTC's refusal names (`meta.error`), from `webrtc/offer` or the WebSocket. @param {Record<string, any>} meta */
export function refusal(meta) {
  switch (meta.error) {
    case 'concurrency_limit_reached':
      return `The server is busy: it takes at most ${meta.limit ?? 'a limited number of'} conversation${meta.limit === 1 ? '' : 's'} at once, and ${meta.limit === 1 ? 'it is' : 'all are'} in use. Try again in a moment.`;
    case 'connection_already_exists':
      return 'The server already has a conversation with this id. Press Start again.';
    default:
      return `The server refused the conversation (${meta.error ?? 'no reason given'}${meta.code ? `, ${meta.code}` : ''}).`;
  }
}

/** WebSocket close codes of docs/protocol.md. @param {number} code @param {string} reason */
export function socketClosed(code, reason) {
  switch (code) {
    case 1000:
      return 'The handler ended the conversation.';
    case 1001:
      return 'The server is shutting down; the conversation ended.';
    case 1006:
      return SERVER_GONE;
    case 1011:
      return `The handler failed and the conversation ended${reason ? `: ${reason}` : ''}.`;
    case 1013:
      return 'The server is busy. Try again in a moment.';
    case 4008:
      return 'The conversation reached the server\'s time limit.';
    case 4010:
      return 'The conversation ended: the server heard nothing for too long.';
    case 4011:
      return 'The conversation ended: this connection could not keep up with the audio.';
    default:
      return `The conversation ended (${code}${reason ? ` ${reason}` : ''}).`;
  }
}

/** The gateway's error codes that end a WebRTC conversation, as the data channel reports them. @param {string|undefined} code */
export function endingError(code) {
  switch (code) {
    case 'WG_ERR_TIME_LIMIT':
      return 'The conversation reached the server\'s time limit.';
    case 'WG_ERR_IDLE_TIMEOUT':
      return 'The conversation ended: the server heard nothing for too long.';
    case 'WG_ERR_HANDLER_FAILED':
      return 'The handler failed and the conversation ended.';
    default:
      return null;
  }
}
