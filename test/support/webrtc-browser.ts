// Test helper (not a test): real Chromium (Debian's, through playwright-core) speaking FastRTC's
// WebRTC flow to the gateway. The fake microphone plays a WAV file once; a page script on the
// gateway's own origin follows frontend/shared/webrtc_utils.ts (data channel `text` + `handshake`,
// onicecandidate set before createOffer, candidates posted as they come or never, offer, answer) and
// captures the remote track with MediaStreamTrackProcessor as 10 ms RMS envelopes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { FAKE_MEDIA_ARGS, launchChromiumWith } from '../browser-call-helpers.js';

/** Chromium whose fake microphone plays `wavPath` once from the moment getUserMedia opens it. */
export function launchChromiumWithAudio(wavPath: string): Promise<Browser> {
  return launchChromiumWith([...FAKE_MEDIA_ARGS, `--use-file-for-fake-audio-capture=${wavPath}%noloop`, '--autoplay-policy=no-user-gesture-required']);
}

/** A 48 kHz mono copy of `fixture` with `leadInS` of silence before and `tailS` after (sox), for the fake mic. */
export function fakeMicFile(fixture: string, leadInS = 2, tailS = 1): string {
  const out = join(mkdtempSync(join(tmpdir(), 'wg-mic-')), 'mic.wav');
  execFileSync('sox', [fixture, '-r', '48000', '-c', '1', '-b', '16', out, 'pad', String(leadInS), String(tailS)]);
  return out;
}

export interface FastRtcStartOptions {
  readonly webrtcId: string;
  /** Post candidates as they come (FastRTC's client, offer still in flight); false = never (the Next.js demo). */
  readonly trickle: boolean;
}

export interface FastRtcResult {
  /** 10 ms RMS envelope of the audio received on the remote track (float samples, −1..1). */
  readonly envelope: number[];
  readonly sampleRate: number;
  readonly receivedSamples: number;
  /** Data channel messages from the server. */
  readonly messages: string[];
  /** Answers to the posted candidates. */
  readonly candidateAnswers: unknown[];
  /** getStats() inbound-rtp of the remote audio, just before stopping. */
  readonly inbound: Record<string, number>;
}

/** A page on the gateway's origin (a secure context on 127.0.0.1: no CORS, getUserMedia allowed) with the FastRTC script. */
export async function openFastRtcPage(browser: Browser, gatewayUrl: string, path = '/healthz'): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error('[fastrtc page] error:', err));
  await page.goto(`${gatewayUrl}${path}`);
  await page.addScriptTag({ content: PAGE_SCRIPT });
  return page;
}

/** Runs FastRTC's start()/negotiate(); resolves to the offer's answer body (`{type:'answer'}` or `{status:'failed',…}`). */
export async function startFastRtc(page: Page, options: FastRtcStartOptions): Promise<Record<string, unknown>> {
  return page.evaluate((o) => (window as any).wgFastRtc.start(o), options);
}

export async function waitFastRtcConnected(page: Page, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(() => (window as any).wgFastRtc.pc?.connectionState === 'connected' && (window as any).wgFastRtc.messages.length > 0, null, { timeout: timeoutMs });
}

/** Waits `ms` of capture, then stops like FastRTC's stop() and returns what was received. */
export async function captureThenStop(page: Page, ms: number): Promise<FastRtcResult> {
  await page.waitForTimeout(ms);
  return page.evaluate(() => (window as any).wgFastRtc.stop());
}

const PAGE_SCRIPT = String.raw`
window.wgFastRtc = (() => {
  const state = { pc: null, messages: [], candidateAnswers: [], blocks: [], sampleRate: 0, samples: 0, reading: true, stream: null };
  const post = (body) => fetch('/webrtc/offer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json());
  async function capture(track) {
    const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
    let sum = 0, count = 0, block = 0, buf = new Float32Array(0);
    while (state.reading) {
      const { value, done } = await reader.read();
      if (done) break;
      if (!state.sampleRate) { state.sampleRate = value.sampleRate; block = Math.round(value.sampleRate / 100); }
      if (buf.length < value.numberOfFrames) buf = new Float32Array(value.numberOfFrames);
      value.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
      for (let i = 0; i < value.numberOfFrames; i++) {
        sum += buf[i] * buf[i];
        if (++count === block) { state.blocks.push(Math.sqrt(sum / block)); sum = 0; count = 0; }
      }
      state.samples += value.numberOfFrames;
      value.close();
    }
    reader.releaseLock();
  }
  async function start({ webrtcId, trickle }) {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    state.stream = stream;
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
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && trickle) post({ candidate: candidate.toJSON(), webrtc_id: webrtcId, type: 'ice-candidate' }).then((a) => state.candidateAnswers.push(a));
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await post({ sdp: pc.localDescription.sdp, type: pc.localDescription.type, webrtc_id: webrtcId });
    if (answer.status === 'failed') return answer;
    await pc.setRemoteDescription(answer);
    return { type: answer.type };
  }
  async function stop() {
    const pc = state.pc;
    const inbound = {};
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') for (const [k, v] of Object.entries(s)) if (typeof v === 'number') inbound[k] = v;
    });
    state.reading = false;
    // FastRTC's stop(): transceivers stopped, local tracks stopped, then the connection closed.
    pc.getTransceivers().forEach((t) => t.stop && t.stop());
    pc.getSenders().forEach((s) => s.track && s.track.stop());
    pc.close();
    return { envelope: state.blocks, sampleRate: state.sampleRate, receivedSamples: state.samples, messages: state.messages, candidateAnswers: state.candidateAnswers, inbound };
  }
  return { start, stop, get pc() { return state.pc; }, get messages() { return state.messages; } };
})();
`;
