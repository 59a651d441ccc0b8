// wavegate call page: a browser client for WS /ws/call/ speaking the seed's protocol (login, call,
// answer_call, ICEcandidate; connection, call_received, call_answered, ICEcandidate) plus wavegate's
// logged_in, hangup, busy and error. ICE servers come from /call/config.json (gateway config only).
// Plain ES module, no build step, no third-party code.

/** @typedef {'connecting'|'logged-out'|'idle'|'calling'|'ringing'|'in-call'|'disconnected'} Phase */

/** The page's access token (`?token=`, docs/security.md), passed on to config.json and the WebSocket. */
const TOKEN = new URLSearchParams(location.search).get('token');

/** A URL relative to the page, with the page's token if it has one. @param {string} path */
function withToken(path) {
  const url = new URL(path, location.href);
  if (TOKEN) url.searchParams.set('token', TOKEN);
  return url;
}

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const ui = {
  status: $('status'),
  loginForm: /** @type {HTMLFormElement} */ ($('login-form')),
  name: /** @type {HTMLInputElement} */ ($('name')),
  callForm: /** @type {HTMLFormElement} */ ($('call-form')),
  me: $('me'),
  callee: /** @type {HTMLInputElement} */ ($('callee')),
  incoming: $('incoming'),
  callerName: $('caller-name'),
  answer: $('answer'),
  decline: $('decline'),
  active: $('active'),
  activeLabel: $('active-label'),
  hangup: $('hangup'),
  localVideo: /** @type {HTMLVideoElement} */ ($('local-video')),
  remoteVideo: /** @type {HTMLVideoElement} */ ($('remote-video')),
  remoteCaption: $('remote-caption'),
  log: $('log'),
};

const call = {
  /** @type {Phase} */ phase: 'connecting',
  /** @type {string|null} */ me: null,
  /** @type {string|null} */ peer: null,
  /** @type {RTCPeerConnection|null} */ pc: null,
  /** @type {MediaStream|null} */ localStream: null,
  /** @type {RTCSessionDescriptionInit|null} */ offer: null,
  /** @type {RTCIceCandidateInit[]} */ pendingCandidates: [],
  /** Local candidates found before our offer/answer went out: the relay only takes them once it knows the call. */
  /** @type {object[]|null} */ outbox: null,
  /** @type {RTCIceServer[]} */ iceServers: [],
  /** @type {WebSocket|null} */ socket: null,
  /** @type {string} */ lastMessage: '',
};
// For people debugging in the console, and for the browser tests.
Object.assign(window, { wavegateCall: call });

function log(text) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toISOString().slice(11, 23)} ${text}`;
  ui.log.append(item);
  while (ui.log.childElementCount > 200) ui.log.firstElementChild?.remove();
}

/** @param {Phase} phase @param {string} [message] */
function setPhase(phase, message) {
  call.phase = phase;
  document.body.dataset.state = phase;
  ui.loginForm.hidden = phase !== 'logged-out';
  ui.callForm.hidden = phase !== 'idle';
  ui.incoming.hidden = phase !== 'ringing';
  ui.active.hidden = phase !== 'calling' && phase !== 'in-call';
  ui.me.textContent = call.me ?? '';
  ui.callerName.textContent = call.peer ?? '';
  ui.activeLabel.textContent = phase === 'calling' ? `Calling ${call.peer}…` : `In a call with ${call.peer}`;
  ui.remoteCaption.textContent = call.peer ?? 'remote';
  const text = message ?? { connecting: 'connecting…', 'logged-out': 'connected — pick a name', idle: `ready, ${call.me}`, calling: `calling ${call.peer}…`, ringing: `${call.peer} is calling`, 'in-call': `in a call with ${call.peer}`, disconnected: 'disconnected from the gateway — reload to reconnect' }[phase];
  ui.status.textContent = text;
  if (message) log(message);
}

/** @param {string} type @param {object} data */
function send(type, data) {
  if (call.socket?.readyState === WebSocket.OPEN) call.socket.send(JSON.stringify({ type, data }));
}

async function loadConfig() {
  try {
    const response = await fetch(withToken('config.json'), { cache: 'no-store' });
    if (response.ok) call.iceServers = (await response.json()).iceServers ?? [];
  } catch (err) {
    log(`config.json: ${err}`);
  }
}

function connect() {
  // Relative to the page (/call/ or /PREFIX/call/): the gateway may be mounted under a prefix.
  const url = withToken('../ws/call/');
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  call.socket = socket;
  socket.onmessage = (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    call.lastMessage = message.type;
    void onMessage(message).catch((err) => log(`error handling ${message.type}: ${err}`));
  };
  socket.onclose = (event) => {
    endCall();
    call.me = null;
    setPhase('disconnected', `disconnected (${event.code}${event.reason ? ` ${event.reason}` : ''})`);
  };
}

async function onMessage({ type, data, code, message }) {
  switch (type) {
    case 'connection':
      log(data.message);
      setPhase('logged-out');
      break;
    case 'logged_in':
      call.me = data.name;
      setPhase('idle', `logged in as ${data.name}`);
      break;
    case 'call_received':
      if (call.phase !== 'idle') return; // the relay answers busy for us
      call.peer = data.caller;
      call.offer = data.rtcMessage;
      call.pendingCandidates = [];
      setPhase('ringing', `${data.caller} is calling`);
      break;
    case 'call_answered':
      if (!call.pc) return;
      await call.pc.setRemoteDescription(data.rtcMessage);
      await flushCandidates();
      setPhase('in-call', `${call.peer} answered`);
      break;
    case 'ICEcandidate': {
      const m = data.rtcMessage;
      const candidate = { candidate: m.candidate, sdpMLineIndex: m.label, ...(m.id != null && { sdpMid: m.id }) };
      if (call.pc?.remoteDescription) await call.pc.addIceCandidate(candidate);
      else call.pendingCandidates.push(candidate);
      break;
    }
    case 'hangup':
      endCall();
      setPhase('idle', `${data.name} hung up (${data.reason})`);
      break;
    case 'busy':
      endCall();
      setPhase('idle', `${data.name} is busy`);
      break;
    case 'error':
      log(`${code}: ${message}`);
      if (data?.request === 'login' || code === 'WG_ERR_NAME_TAKEN') {
        if (code === 'WG_ERR_NAME_TAKEN' && call.phase !== 'logged-out') endCall();
        call.me = null;
        setPhase('logged-out', message);
      } else if (data?.request === 'call' || data?.request === 'answer_call' || (code === 'WG_ERR_PEER_OFFLINE' && call.phase !== 'idle')) {
        endCall();
        setPhase('idle', message);
      }
      break;
    default:
      break;
  }
}

async function flushCandidates() {
  const pending = call.pendingCandidates.splice(0);
  for (const candidate of pending) await call.pc?.addIceCandidate(candidate);
}

async function localMedia() {
  if (!call.localStream) {
    call.localStream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    ui.localVideo.srcObject = call.localStream;
  }
  return call.localStream;
}

/** @param {MediaStream} stream */
function createPeerConnection(stream) {
  const pc = new RTCPeerConnection({ iceServers: call.iceServers });
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  call.outbox = [];
  pc.onicecandidate = ({ candidate }) => {
    if (!candidate || !candidate.candidate || !call.peer || call.pc !== pc) return;
    const data = { user: call.peer, rtcMessage: { label: candidate.sdpMLineIndex, id: candidate.sdpMid, candidate: candidate.candidate } };
    if (call.outbox) call.outbox.push(data);
    else send('ICEcandidate', data);
  };
  pc.ontrack = ({ streams, track }) => {
    ui.remoteVideo.srcObject = streams[0] ?? new MediaStream([track]);
    ui.remoteVideo.play().catch((err) => log(`remote video: ${err}`));
  };
  pc.onconnectionstatechange = () => {
    log(`peer connection ${pc.connectionState}`);
    if (pc.connectionState === 'failed' && call.pc === pc) hangUp('connection failed');
  };
  call.pc = pc;
  return pc;
}

/** Sends the candidates held back until the offer or answer was out. */
function flushOutbox() {
  const held = call.outbox ?? [];
  call.outbox = null;
  for (const data of held) send('ICEcandidate', data);
}

function endCall() {
  call.outbox = null;
  call.pc?.close();
  call.pc = null;
  call.peer = null;
  call.offer = null;
  call.pendingCandidates = [];
  ui.remoteVideo.srcObject = null;
  for (const track of call.localStream?.getTracks() ?? []) track.stop();
  call.localStream = null;
  ui.localVideo.srcObject = null;
}

/** @param {string} why */
function hangUp(why) {
  if (call.peer) send('hangup', { name: call.peer });
  endCall();
  setPhase('idle', why);
}

async function startCall(callee) {
  call.peer = callee;
  setPhase('calling');
  try {
    const pc = createPeerConnection(await localMedia());
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (call.pc !== pc) return; // hung up meanwhile
    send('call', { name: callee, rtcMessage: { type: offer.type, sdp: offer.sdp } });
    flushOutbox();
  } catch (err) {
    hangUp(`cannot call: ${err}`);
  }
}

async function answerCall() {
  const caller = call.peer;
  const offer = call.offer;
  if (!caller || !offer) return;
  try {
    const pc = createPeerConnection(await localMedia());
    await pc.setRemoteDescription(offer);
    await flushCandidates();
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    if (call.pc !== pc) return;
    send('answer_call', { caller, rtcMessage: { type: answer.type, sdp: answer.sdp } });
    flushOutbox();
    setPhase('in-call');
  } catch (err) {
    hangUp(`cannot answer: ${err}`);
  }
}

ui.loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  send('login', { name: ui.name.value.trim() });
});
ui.callForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const callee = ui.callee.value.trim();
  if (callee) void startCall(callee);
});
ui.answer.addEventListener('click', () => void answerCall());
ui.decline.addEventListener('click', () => hangUp('declined'));
ui.hangup.addEventListener('click', () => hangUp('hung up'));

await loadConfig();
connect();
