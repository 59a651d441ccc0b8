// FastRTC's HTTP beside a session (docs/protocol.md): `POST input` and `GET outputs` (server-sent events).

import { withToken } from './talk-options.js';
import { logEvent, showOutput } from './talk-view.js';

/** POST input with the JSON of the inputs box (FastRTC's set_input). @param {{ id: string|null }} talk @param {HTMLTextAreaElement} box */
export async function sendInputs(talk, box) {
  if (!talk.id) return;
  let args;
  try {
    args = JSON.parse(box.value || '{}');
  } catch (err) {
    logEvent(`inputs are not JSON: ${err}`, 'warning');
    return;
  }
  try {
    const response = await fetch(withToken('input'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...args, webrtc_id: talk.id }) });
    if (!response.ok) logEvent(`POST input: HTTP ${response.status}`, 'warning');
  } catch (err) {
    logEvent(`POST input: ${err}`, 'warning');
  }
}

/**
 * GET outputs (server-sent events) for this session, shown in the outputs list; retried a few times
 * while the session registers. @param {{ id: string|null, state: string, outputs: EventSource|null }} talk
 */
export function openOutputs(talk, attempt = 0) {
  const id = talk.id;
  if (!id || talk.id !== id || talk.state !== 'connected') return;
  const source = new EventSource(withToken('outputs', { webrtc_id: id }));
  talk.outputs = source;
  source.addEventListener('output', (e) => {
    try {
      showOutput(JSON.parse(/** @type {MessageEvent} */ (e).data));
    } catch {
      showOutput(/** @type {MessageEvent} */ (e).data);
    }
  });
  source.addEventListener('dropped', (e) => logEvent(`${/** @type {MessageEvent} */ (e).data} outputs dropped (page too slow)`, 'warning'));
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
    if (talk.outputs === source) talk.outputs = null;
    if (attempt < 5 && talk.id === id) setTimeout(() => openOutputs(talk, attempt + 1), 500 * (attempt + 1));
  };
}
