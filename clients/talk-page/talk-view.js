// The talk page's display parts: the event log, captions, additional outputs and the stats table.
// Everything is written with textContent (nothing from the wire is parsed as HTML).

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const time = () => new Date().toISOString().slice(11, 19);
const KEEP = 200;

/** @param {HTMLElement} list @param {string} text @param {string} [kind] */
function append(list, text, kind) {
  const item = document.createElement('li');
  if (kind) item.className = kind;
  item.textContent = text;
  list.append(item);
  while (list.childElementCount > KEEP) list.firstElementChild?.remove();
  list.scrollTop = list.scrollHeight;
  return item;
}

/** Turn events, warnings and what the page did, newest last. @param {string} text @param {'log'|'warning'|'error'|'note'} [kind] */
export function logEvent(text, kind = 'note') {
  append($('events'), `${time()} ${text}`, kind);
}

/** @param {{ text: string, final: boolean }} t */
export function showTranscript(t) {
  const partial = $('partial');
  if (t.final) {
    if (t.text.trim()) append($('captions'), t.text.trim(), 'caption');
    partial.textContent = '';
  } else partial.textContent = t.text;
}

/** @param {unknown} data */
export function showOutput(data) {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  append($('outputs'), `${time()} ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`, 'output');
}

export function clearConversation() {
  for (const id of ['captions', 'outputs', 'events']) $(id).replaceChildren();
  $('partial').textContent = '';
}

const ms = (v) => (v == null ? '—' : `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`);

/** @param {string} transport @param {Record<string, any>|null} s */
export function showStats(transport, s) {
  $('stat-transport').textContent = transport === 'webrtc' ? 'WebRTC, Opus' : transport === 'websocket' ? 'WebSocket, L16' : '—';
  if (!s) {
    for (const id of ['stat-rtt', 'stat-jitter', 'stat-lost', 'stat-concealed', 'stat-delay']) $(id).textContent = '—';
    return;
  }
  $('stat-rtt').textContent = ms(s.rttMs);
  $('stat-jitter').textContent = ms(s.jitterMs);
  $('stat-lost').textContent =
    s.packetsLost == null
      ? transport === 'websocket' ? `none (TCP), ${s.packetsReceived} frames in` : 'no audio from the handler yet'
      : `${s.packetsLost} of ${s.packetsReceived + Math.max(0, s.packetsLost)} in${s.packetsLostOutbound == null ? '' : `, ${s.packetsLostOutbound} out`}`;
  $('stat-concealed').textContent =
    s.concealedMs == null ? '—' : `${ms(s.concealedMs)}${s.concealedRatio == null ? '' : ` (${(s.concealedRatio * 100).toFixed(2)} %)`}, ${s.concealmentEvents ?? 0} events`;
  $('stat-delay').textContent = ms(s.playoutDelayMs);
}
