// wavegate talk page (served at `/`): one click starts a conversation with the gateway's handler,
// one click ends it. WebRTC in FastRTC's protocol by default, the WebSocket protocol as fallback
// (docs/talk-page.md). Plain ES modules, no build step; every URL is relative, so the page works
// under a path prefix, and `?token=` is passed on to every request.

import { LevelMeter } from './level-meter.js';
import { CONNECT_TIMEOUT, microphoneProblem, NO_MEDIA_DEVICES, refusal, SERVER_GONE, socketClosed, endingError, tokenProblem } from './talk-messages.js';
import { openOutputs, sendInputs } from './talk-inputs-outputs.js';
import { options, withToken } from './talk-options.js';
import { clearConversation, logEvent, showStats, showTranscript } from './talk-view.js';
import { WebRtcTransport } from './webrtc-transport.js';
import { WebSocketTransport } from './websocket-transport.js';

const $ = (id) => /** @type {any} */ (document.getElementById(id));
const ui = {
  start: $('start'), stop: $('stop'), status: $('status'), problem: $('problem'), mic: $('mic'), transport: $('transport'),
  inputLevel: $('input-level'), outputLevel: $('output-level'), state: $('stat-state'), session: $('stat-session'),
  remoteAudio: /** @type {HTMLAudioElement} */ ($('remote-audio')), inputs: $('inputs'), sendInputs: $('send-inputs'),
};

const talk = {
  /** @type {'idle'|'starting'|'connecting'|'connected'|'ending'} */ state: 'idle',
  /** @type {any} */ config: null,
  /** @type {WebRtcTransport|WebSocketTransport|null} */ transport: null,
  /** @type {MediaStream|null} */ mic: null,
  /** @type {MediaStream|null} */ remoteStream: null,
  /** @type {AudioContext|null} */ context: null,
  /** @type {{ input: LevelMeter|null, output: LevelMeter|null }} */ meters: { input: null, output: null },
  /** @type {EventSource|null} */ outputs: null,
  /** @type {string|null} */ id: null,
  /** @type {any} */ lastStats: null,
  /** Final transcripts of this conversation, in order (empty ones included). @type {string[]} */ transcripts: [],
  statsTimer: 0,
  connectTimer: 0,
  /** The last error the gateway sent: the reason shown if the conversation then ends. @type {any} */ lastError: null,
};
// For people debugging in the console, and for the browser tests.
Object.assign(window, { wavegateTalk: talk });

/** @param {typeof talk.state} state @param {string} [text] */
function setState(state, text) {
  talk.state = state;
  document.body.dataset.state = state;
  ui.start.hidden = state !== 'idle';
  ui.stop.hidden = state === 'idle';
  ui.stop.disabled = state === 'ending';
  ui.transport.disabled = state !== 'idle';
  if (text) ui.status.textContent = text;
}

/** @param {string|null} text */
function setProblem(text) {
  ui.problem.hidden = !text;
  ui.problem.textContent = text ?? '';
  if (text) logEvent(text, 'error');
}

async function loadConfig() {
  try {
    const response = await fetch(withToken('talk/config.json'), { cache: 'no-store' });
    if (response.status === 401 || response.status === 403) {
      const message = (await response.json().catch(() => null))?.error?.message ?? '';
      setProblem(tokenProblem(Boolean(options.token), message.split(': ').slice(1).join(': ')));
      return;
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    talk.config = await response.json();
  } catch (err) {
    setProblem(SERVER_GONE);
    return;
  }
  const { handler, recordings } = talk.config;
  $('handler-name').textContent = handler?.name ? `· ${handler.name}` : '';
  document.title = `wavegate · ${handler?.name ?? 'talk'}`;
  $('call-link').href = withToken('call/').href;
  $('metrics-link').href = withToken('metrics').href;
  if (recordings?.list) {
    $('recordings-link').href = withToken(recordings.list).href;
    $('recordings-link').hidden = false;
  }
}

async function listMicrophones() {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  const devices = (await navigator.mediaDevices.enumerateDevices()).filter((d) => d.kind === 'audioinput' && d.deviceId);
  const chosen = ui.mic.value;
  ui.mic.replaceChildren(new Option('default microphone', ''), ...devices.map((d, i) => new Option(d.label || `microphone ${i + 1}`, d.deviceId)));
  ui.mic.value = devices.some((d) => d.deviceId === chosen) ? chosen : '';
}

/** @param {string} deviceId */
function openMicrophone(deviceId) {
  const p = options.processing;
  return navigator.mediaDevices.getUserMedia({
    audio: { ...(deviceId && { deviceId: { exact: deviceId } }), channelCount: 1, echoCancellation: p, noiseSuppression: p, autoGainControl: p },
  });
}

/** @param {MediaStream} stream */
function attachRemote(stream) {
  talk.remoteStream = stream;
  talk.meters.output?.close();
  if (talk.context) talk.meters.output = new LevelMeter(talk.context, stream, ui.outputLevel);
}

/** The events both transports report. */
const events = {
  /** @param {string} state */
  state(state) {
    ui.state.textContent = state;
    if (state === 'connected' && talk.state === 'connecting') {
      clearTimeout(talk.connectTimer);
      setState('connected', 'Connected: talk now.');
      openOutputs(talk);
    } else if (state === 'disconnected') {
      ui.status.textContent = 'Connection interrupted, waiting for it to come back…';
      void checkServer();
    } else if (state === 'connected' && talk.state === 'connected') ui.status.textContent = 'Connected: talk now.';
  },
  /** @param {any} message */
  message(message) {
    onMessage(message);
  },
  /** @param {MediaStream} stream */
  remote(stream) {
    ui.remoteAudio.srcObject = stream;
    void ui.remoteAudio.play().catch(() => undefined);
    attachRemote(stream);
  },
  /** @param {{ kind?: string, reason?: string, code?: number }} why */
  closed(why) {
    void endedByServer(why);
  },
};

/** @param {any} m */
function onMessage(m) {
  if (m.status === 'failed') {
    setProblem(refusal(m.meta ?? {}));
    talk.lastError = { handled: true };
    return;
  }
  const type = m.type ?? m.event;
  switch (type) {
    case 'log':
      logEvent(typeof m.data === 'string' ? m.data : JSON.stringify(m.data), 'log');
      break;
    case 'transcript':
      if (m.data && typeof m.data.text === 'string') {
        const final = m.data.final !== false;
        if (final) talk.transcripts.push(m.data.text);
        showTranscript({ text: m.data.text, final });
      }
      break;
    case 'warning':
      logEvent(`warning: ${m.message ?? ''}${m.code ? ` (${m.code})` : ''}`, 'warning');
      break;
    case 'error':
      talk.lastError = m;
      logEvent(`error: ${m.message ?? ''}${m.code ? ` (${m.code})` : ''}`, 'error');
      break;
    case 'send_input':
      logEvent('the handler asks for inputs: sending them', 'log');
      void sendInputs(talk, ui.inputs);
      break;
    case 'fetch_output':
      logEvent('the handler has new outputs', 'log');
      break;
    case 'end_stream':
      logEvent('the handler ended the stream', 'log');
      talk.lastError = { ended: true };
      break;
    case 'clear':
      logEvent('clear (barge-in): queued audio dropped', 'log');
      break;
    case 'room':
      logEvent(roomEventText(m.data ?? {}), 'log');
      break;
    case 'mark':
    case 'handshake':
      break;
    default:
      logEvent(`${type ?? 'message'}: ${JSON.stringify(m).slice(0, 200)}`, 'log');
  }
}

async function serverReachable() {
  try {
    return (await fetch(withToken('healthz'), { cache: 'no-store' })).ok;
  } catch {
    return false;
  }
}

async function checkServer() {
  if (!(await serverReachable()) && talk.state !== 'idle') {
    stopEverything();
    setState('idle', 'Not connected.');
    setProblem(SERVER_GONE);
  }
}

/** @param {{ kind?: string, reason?: string, code?: number }} why */
async function endedByServer(why) {
  if (talk.state === 'idle') return;
  const lastError = talk.lastError;
  const transport = talk.transport?.name;
  stopEverything();
  setState('idle', 'The conversation ended.');
  if (lastError?.handled) return; // a refusal, already shown
  if (lastError?.ended) {
    logEvent('The handler ended the conversation.');
    return;
  }
  let text;
  if (transport === 'websocket' && why.code != null) text = socketClosed(why.code, why.reason ?? '');
  else text = endingError(lastError?.code) ?? (lastError?.message ? `The conversation ended: ${lastError.message}` : null);
  if (!text || why.code === 1006 || why.kind === 'failed' || why.kind === 'closed') {
    if (!(await serverReachable())) text = SERVER_GONE;
  }
  setProblem(text ?? 'The gateway ended the conversation.');
}

function stopEverything() {
  clearInterval(talk.statsTimer);
  clearTimeout(talk.connectTimer);
  talk.transport?.stop();
  talk.transport = null;
  talk.outputs?.close();
  talk.outputs = null;
  talk.mic?.getTracks().forEach((t) => t.stop());
  talk.mic = null;
  talk.meters.input?.close();
  talk.meters.output?.close();
  talk.meters = { input: null, output: null };
  ui.remoteAudio.srcObject = null;
  ui.state.textContent = 'closed';
  void talk.context?.close();
  talk.context = null;
}

async function refreshStats() {
  const transport = talk.transport;
  if (!transport) return;
  const stats = await transport.stats().catch(() => null);
  if (transport !== talk.transport) return;
  talk.lastStats = stats;
  showStats(transport.name, stats);
}

/** @param {'webrtc'|'websocket'} kind @param {MediaStream} mic @param {AudioContext} context @param {string} id */
function createTransport(kind, mic, context, id) {
  if (kind === 'webrtc') return new WebRtcTransport({ id, stream: mic, offerUrl: withToken('webrtc/offer'), iceServers: talk.config?.iceServers ?? [], events, room: options.room });
  const url = withToken('websocket/offer');
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return new WebSocketTransport({ id, stream: mic, context, url, events, jitterTargetMs: options.jitterTargetMs, room: options.room });
}

async function start() {
  setProblem(null);
  clearConversation();
  talk.lastError = null;
  talk.transcripts = [];
  if (!navigator.mediaDevices?.getUserMedia) {
    setProblem(NO_MEDIA_DEVICES);
    return;
  }
  setState('starting', 'Opening the microphone…');
  const context = new AudioContext();
  talk.context = context;
  void context.resume();
  try {
    talk.mic = await openMicrophone(ui.mic.value);
  } catch (err) {
    stopEverything();
    setState('idle', 'Not connected.');
    setProblem(microphoneProblem(err));
    return;
  }
  void listMicrophones();
  talk.meters.input = new LevelMeter(context, talk.mic, ui.inputLevel);
  /** @type {'webrtc'|'websocket'} */
  let kind = ui.transport.value === 'websocket' || !('RTCPeerConnection' in window) ? 'websocket' : 'webrtc';
  if (ui.transport.value === 'webrtc' && kind === 'websocket') logEvent('this browser has no WebRTC: using the WebSocket', 'warning');
  for (;;) {
    const id = options.id || `talk-${crypto.randomUUID?.() ?? Math.random().toString(36).slice(2)}`;
    talk.id = id;
    ui.session.textContent = id;
    setState('connecting', `Connecting over ${kind === 'webrtc' ? 'WebRTC' : 'WebSocket'}…`);
    const transport = createTransport(kind, talk.mic, context, id);
    talk.transport = transport;
    showStats(kind, null);
    try {
      await transport.start();
      if (transport.name === 'webrtc' && talk.state === 'connecting') {
        // The gateway gives up on a peer that has not connected in 30 s; so does the page, and says why.
        talk.connectTimer = setTimeout(() => {
          if (talk.transport !== transport || talk.state !== 'connecting') return;
          stopEverything();
          setState('idle', 'Not connected.');
          setProblem(CONNECT_TIMEOUT);
        }, 30_000);
      }
      if (transport.name === 'websocket') attachRemote(/** @type {WebSocketTransport} */ (transport).remoteStream);
      talk.statsTimer = setInterval(() => void refreshStats(), 1000);
      return;
    } catch (err) {
      const e = /** @type {any} */ (err);
      if (talk.transport !== transport) return; // stopped meanwhile
      transport.stop();
      talk.transport = null;
      if (e.kind === 'no-webrtc' && options.transport !== 'webrtc') {
        logEvent('the gateway offers no WebRTC: using the WebSocket', 'warning');
        kind = 'websocket';
        ui.transport.value = 'websocket';
        continue;
      }
      stopEverything();
      setState('idle', 'Not connected.');
      if (e.kind === 'refused') setProblem(refusal(e.meta));
      else if (e.kind === 'unreachable' || !(await serverReachable())) setProblem(SERVER_GONE);
      else setProblem(`Could not connect: ${e.message ?? e}`);
      return;
    }
  }
}

function stop() {
  if (talk.state === 'idle') return;
  stopEverything();
  setState('idle', 'Conversation ended. Press Start to talk again.');
  logEvent('stopped');
}

ui.start.addEventListener('click', () => void start());
ui.stop.addEventListener('click', stop);
ui.sendInputs.addEventListener('click', () => void sendInputs(talk, ui.inputs));
ui.mic.addEventListener('change', async () => {
  if (!talk.transport || !talk.context) return;
  try {
    const mic = await openMicrophone(ui.mic.value);
    await talk.transport.replaceMic(mic);
    talk.mic?.getTracks().forEach((t) => t.stop());
    talk.mic = mic;
    talk.meters.input?.close();
    talk.meters.input = new LevelMeter(talk.context, mic, ui.inputLevel);
    logEvent(`microphone: ${ui.mic.selectedOptions[0]?.textContent ?? 'default'}`);
  } catch (err) {
    setProblem(microphoneProblem(err));
  }
});
navigator.mediaDevices?.addEventListener?.('devicechange', () => void listMicrophones());

ui.transport.value = options.transport === 'websocket' || !('RTCPeerConnection' in window) ? 'websocket' : 'webrtc';
setState('idle');
void listMicrophones();
void loadConfig();

/** A room event (docs/rooms.md, "Events") in words. @param {Record<string, any>} e */
function roomEventText(e) {
  switch (e.event) {
    case 'joined':
      return `joined room ${e.room} (${(e.participants ?? []).map((/** @type {any} */ p) => p.id).join(', ')})`;
    case 'participant_joined':
      return `${e.participant} joined the room`;
    case 'participant_left':
      return `${e.participant} left the room (${e.reason})`;
    case 'active_speaker':
      return e.participant ? `${e.participant} is speaking` : 'nobody is speaking';
    case 'muted':
      return `${e.participant} ${e.muted ? 'muted' : 'unmuted'}`;
    case 'transcript':
      return `${e.speaker ?? e.participant}: ${e.text}`;
    default:
      return `room: ${JSON.stringify(e).slice(0, 200)}`;
  }
}
