// Test helper (not a test): a Chromium participant of a room over WebRTC (FastRTC's offer flow with
// `room` in the body), keeping every received sample at the track's rate for Goertzel analysis, and
// the data channel's messages (room events).
import type { Browser, Page } from 'playwright-core';

export async function openRoomPage(browser: Browser, gatewayUrl: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('[room page] error:', err));
  await page.goto(`${gatewayUrl}/healthz`);
  await page.addScriptTag({ content: PAGE_SCRIPT });
  return page;
}

export async function joinRoom(page: Page, webrtcId: string, room: string): Promise<Record<string, unknown>> {
  return page.evaluate((o) => (window as any).wgRoom.start(o), { webrtcId, room });
}

export async function waitConnected(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => (window as any).wgRoom.pc?.connectionState === 'connected', null, { timeout: timeoutMs });
}

/** Starts keeping received samples from now (what came before is dropped). */
export async function restartCapture(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).wgRoom.restart());
}

export async function captured(page: Page): Promise<{ samples: number[]; sampleRate: number; messages: string[] }> {
  return page.evaluate(() => (window as any).wgRoom.result());
}

export async function sendText(page: Page, text: string): Promise<void> {
  await page.evaluate((t) => (window as any).wgRoom.channel.send(t), text);
}

export async function leave(page: Page): Promise<void> {
  await page.evaluate(() => (window as any).wgRoom.stop());
}

const PAGE_SCRIPT = String.raw`
window.wgRoom = (() => {
  const state = { pc: null, channel: null, messages: [], chunks: [], sampleRate: 0, reading: true };
  const post = (body) => fetch('/webrtc/offer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  async function capture(track) {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    while (state.reading) {
      const { value, done } = await reader.read();
      if (done) break;
      state.sampleRate = value.sampleRate;
      const buf = new Float32Array(value.numberOfFrames);
      value.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
      state.chunks.push(buf);
      value.close();
    }
  }
  async function start({ webrtcId, room }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    const pc = new RTCPeerConnection();
    state.pc = pc;
    const audio = document.createElement('audio');
    audio.muted = true;
    audio.autoplay = true;
    document.body.appendChild(audio);
    pc.addEventListener('track', (evt) => {
      if (audio.srcObject !== evt.streams[0]) audio.srcObject = evt.streams[0];
      if (evt.track.kind === 'audio') capture(evt.track);
    });
    const channel = pc.createDataChannel('text');
    state.channel = channel;
    channel.onopen = () => channel.send('handshake');
    channel.onmessage = (event) => state.messages.push(event.data);
    stream.getTracks().forEach((track) => pc.addTrack(track, stream));
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await new Promise((resolve) => { if (pc.iceGatheringState === 'complete') resolve(); else pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()); setTimeout(resolve, 2000); });
    const answer = await post({ sdp: pc.localDescription.sdp, type: 'offer', webrtc_id: webrtcId, room });
    if (answer.status === 'failed') return answer;
    await pc.setRemoteDescription(answer);
    return { type: answer.type };
  }
  function restart() { state.chunks = []; }
  function result() {
    const total = state.chunks.reduce((n, c) => n + c.length, 0);
    const samples = new Array(total);
    let at = 0;
    for (const c of state.chunks) for (let i = 0; i < c.length; i++) samples[at++] = Math.round(c[i] * 32767);
    return { samples, sampleRate: state.sampleRate, messages: state.messages };
  }
  function stop() {
    state.reading = false;
    state.pc.getSenders().forEach((s) => s.track && s.track.stop());
    state.pc.close();
  }
  return { start, restart, result, stop, get pc() { return state.pc; }, get channel() { return state.channel; } };
})();
`;
