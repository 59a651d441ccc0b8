/**
 * A load-generator worker thread: holds a share of the sessions, sends one frame per session per frame
 * period on a drift-free clock (slot j is due at start + j·slotMs; ONE re-armed timer per worker serves
 * every session, sessions spread over `slots` sub-slots of the period) and measures every round trip.
 */
import { parentPort } from 'node:worker_threads';
import { LatencyHistogram } from './latency-histogram.js';
import { LoadSession, type LoadPeer } from './load-session.js';
import { holdWindow } from './marker-matcher.js';
import { WebRtcLoadSession } from './webrtc-load-session.js';
import type { FromWorker, ToWorker } from './load-protocol.js';
import { buildFrames, isMarkerFrame, startMessage, VARIANTS } from './media-variants.js';
import { createReplyMeter } from './reply-meter.js';

/** Falling further behind than this many frame periods skips frames instead of bursting them. */
const MAX_CATCHUP_FRAMES = 3;
const CONNECT_CONCURRENCY = 32;
/** WebRTC setup (ICE, DTLS handshake in JavaScript on both ends) costs far more than a WebSocket upgrade. */
const WEBRTC_CONNECT_CONCURRENCY = 2;

const port = parentPort;
if (!port) throw new Error('load-worker.ts runs as a worker thread');
const post = (message: FromWorker): void => port.postMessage(message);

let sessions: LoadPeer[] = [];
let frames: Array<string | Buffer> = [];
const rtt = new LatencyHistogram();
const progressRtt = new LatencyHistogram();
const sendLag = new LatencyHistogram();
let measureFrom = Number.POSITIVE_INFINITY;
let measureUntil = Number.POSITIVE_INFINITY;

function onRtt(ms: number, sentAt: number): void {
  progressRtt.record(ms);
  if (sentAt >= measureFrom && sentAt < measureUntil) rtt.record(ms);
}

async function connect(message: Extract<ToWorker, { type: 'connect' }>): Promise<void> {
  const variant = VARIANTS[message.variant];
  frames = buildFrames(variant, message.wavPath);
  sessions = [];
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < message.count) {
      const i = next++;
      try {
        const meter = createReplyMeter(message.variant);
        const id = `${message.idPrefix}-${i}`;
        sessions.push(
          variant.transport === 'webrtc'
            ? await WebRtcLoadSession.open(message.url, id, meter, onRtt, message.connectTimeoutMs)
            : await LoadSession.open(message.url, startMessage(variant, id), meter, onRtt, message.connectTimeoutMs),
        );
      } catch (err) {
        failed++;
        firstError ??= err instanceof Error ? err.message : String(err);
      }
    }
  };
  const lanes = variant.transport === 'webrtc' ? WEBRTC_CONNECT_CONCURRENCY : CONNECT_CONCURRENCY;
  await Promise.all(Array.from({ length: Math.min(lanes, message.count) }, lane));
  post({ type: 'connected', opened: sessions.length, failed, firstError });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function run(message: Extract<ToWorker, { type: 'run' }>): Promise<void> {
  rtt.reset();
  progressRtt.reset();
  sendLag.reset();
  const slotMs = message.frameMs / message.slots;
  const bySlot: LoadPeer[][] = Array.from({ length: message.slots }, () => []);
  sessions.forEach((s, i) => bySlot[i % message.slots]!.push(s));
  const start = performance.now() + 5;
  const sendUntil = start + message.warmupMs + message.holdMs;
  measureFrom = start + message.warmupMs;
  measureUntil = sendUntil;
  holdWindow.from = measureFrom;
  holdWindow.until = measureUntil;
  let skippedGeneratorLate = 0;
  let nextSlot = 0;
  let timer: NodeJS.Timeout | undefined;
  let sending = message.active;

  const tick = (): void => {
    const now = performance.now();
    const due = Math.floor((now - start) / slotMs);
    const oldest = due - MAX_CATCHUP_FRAMES * message.slots;
    for (; nextSlot < oldest; nextSlot++) skippedGeneratorLate += bySlot[nextSlot % message.slots]!.length;
    for (; nextSlot <= due; nextSlot++) {
      const scheduled = start + nextSlot * slotMs;
      if (scheduled >= sendUntil) {
        sending = false;
        return;
      }
      const k = Math.floor(nextSlot / message.slots);
      const frame = frames[k % frames.length]!;
      const marker = isMarkerFrame(k);
      const measured = scheduled >= measureFrom;
      for (const session of bySlot[nextSlot % message.slots]!) {
        const sentAt = session.send(frame, marker);
        if (sentAt !== undefined && measured) sendLag.record(sentAt - scheduled);
      }
    }
    timer = setTimeout(tick, Math.max(0, start + nextSlot * slotMs - performance.now()));
  };
  if (message.active) timer = setTimeout(tick, Math.max(0, start - performance.now()));

  let measuringPosted = false;
  const runEnd = sendUntil + (message.active ? message.drainMs : 0);
  // Bounded: the run ends at runEnd whatever the sessions do.
  while (performance.now() < runEnd) {
    await sleep(Math.min(1000, Math.max(1, runEnd - performance.now())));
    if (!measuringPosted && performance.now() >= measureFrom) {
      measuringPosted = true;
      post({ type: 'measuring' });
    }
    let sent = 0;
    let received = 0;
    for (const s of sessions) {
      sent += s.totals.framesSent;
      received += s.totals.framesReceived;
    }
    post({ type: 'progress', rtt: progressRtt.snapshot(), sent, received });
    progressRtt.reset();
  }
  if (sending) clearTimeout(timer);

  const totals = { framesSent: 0, framesReceived: 0, framesReceivedInHold: 0, markersSent: 0, markersMatched: 0, markersLost: 0, spuriousOnsets: 0, skippedBackpressure: 0 };
  const closedEarly: Record<string, number> = {};
  for (const s of sessions) {
    s.expire(Number.POSITIVE_INFINITY);
    for (const key of Object.keys(totals) as Array<keyof typeof totals>) totals[key] += s.totals[key];
    if (!s.open) closedEarly[String(s.closeCode ?? 'unknown')] = (closedEarly[String(s.closeCode ?? 'unknown')] ?? 0) + 1;
  }
  post({ type: 'result', rtt: rtt.snapshot(), sendLag: sendLag.snapshot(), ...totals, skippedGeneratorLate, closedEarly });
}

async function close(timeoutMs: number): Promise<void> {
  await Promise.all(sessions.map((s) => s.close(timeoutMs)));
  sessions = [];
  post({ type: 'closed' });
}

port.on('message', (message: ToWorker) => {
  const work = message.type === 'connect' ? connect(message) : message.type === 'run' ? run(message) : close(message.timeoutMs);
  work.catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }));
});
