// Test helper (not a test): Debian's Chromium with a WAV file as its microphone, on the talk page,
// and what the page hears from the gateway reduced to a 10 ms RMS envelope in the page itself.
import { execFileSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { FAKE_MEDIA_ARGS, launchChromiumWith } from '../browser-call-helpers.js';
import { soxLoad } from './sox.js';

export const ENVELOPE_MS = 10;

/** Chromium whose fake microphone plays `wav` once (from when getUserMedia opens it), then silence. */
export function launchWithMicrophoneFile(wav: string): Promise<Browser> {
  return launchChromium([...FAKE_MEDIA_ARGS, `--use-file-for-fake-audio-capture=${wav}%noloop`]);
}

/** Debian's Chromium with the flags every talk page test uses, plus `media` (microphone flags). */
export function launchChromium(media: readonly string[]): Promise<Browser> {
  return launchChromiumWith([
    ...media,
    '--autoplay-policy=no-user-gesture-required',
    // A loaded machine must not make Chromium throttle the page's timers and audio.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
  ]);
}

/**
 * Writes a microphone file: `leadInS` of silence, the speech files one after another with `gapS`
 * of silence between them, `tailS` of silence; 48 kHz mono 16-bit (sox).
 */
export function writeMicrophoneFile(out: string, files: readonly string[], { leadInS, gapS, tailS }: { leadInS: number; gapS: number; tailS: number }): void {
  const silence = (name: string, s: number) => {
    const path = `${out}.${name}.wav`;
    execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', path, 'trim', '0', String(s)]);
    return path;
  };
  const gap = silence('gap', gapS);
  const parts = [silence('lead', leadInS)];
  files.forEach((f, i) => {
    const path = `${out}.part${i}.wav`;
    execFileSync('sox', [f, '-r', '48000', '-c', '1', '-b', '16', path]);
    if (i > 0) parts.push(gap);
    parts.push(path);
  });
  parts.push(silence('tail', tailS));
  execFileSync('sox', [...parts, out]);
}

/** 10 ms RMS envelope of PCM16 at `rate`. */
export function envelopeOf(samples: Int16Array, rate: number): Float64Array {
  const w = (rate * ENVELOPE_MS) / 1000;
  const env = new Float64Array(Math.floor(samples.length / w));
  for (let k = 0; k < env.length; k++) {
    let sum = 0;
    for (let i = k * w; i < (k + 1) * w; i++) sum += (samples[i]! / 32768) ** 2;
    env[k] = Math.sqrt(sum / w);
  }
  return env;
}

export function envelopeOfFile(wav: string): Float64Array {
  return envelopeOf(soxLoad(wav, 48_000), 48_000);
}

function pearson(a: Float64Array, b: Float64Array, lag: number): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i + lag]!;
  }
  ma /= n;
  mb /= n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[i + lag]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa === 0 || bb === 0 ? 0 : ab / Math.sqrt(aa * bb);
}

/** Windows [first, last] whose level is within 40 dB of the loudest: where the speech is. */
export function activeSpan(env: Float64Array): { first: number; last: number } {
  let peak = 0;
  for (const v of env) peak = Math.max(peak, v);
  const threshold = peak / 100;
  let first = -1;
  let last = -1;
  for (let i = 0; i < env.length; i++) {
    if (env[i]! > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return { first, last };
}

/**
 * How well the received envelope matches the sent speech (its active span, 200 ms either side).
 * `globalCorrelation`: Pearson at the single best lag. `correlation`: the same in 250 ms windows,
 * each at its own best lag within 300 ms of the previous window's, weighted by the window's energy;
 * a jitter buffer that waits or catches up in a pause shifts what follows without changing it, and
 * this measures the audio, not that timing (the durations below cover timing). `sentMs`/`receivedMs`:
 * first to last window within 40 dB of the loudest, in each.
 */
export function compareEnvelopes(sent: Float64Array, received: Float64Array): { correlation: number; globalCorrelation: number; lagMs: number; sentMs: number; receivedMs: number } {
  const s = activeSpan(sent);
  const from = Math.max(0, s.first - 20);
  const template = sent.subarray(from, Math.min(sent.length, s.last + 21));
  let best = { correlation: -Infinity, lag: 0 };
  for (let lag = 0; lag + template.length <= received.length; lag++) {
    const c = pearson(template, received, lag);
    if (c > best.correlation) best = { correlation: c, lag };
  }
  const WINDOW = 25;
  const SHIFT = 30;
  let lag = best.lag;
  let weighted = 0;
  let energy = 0;
  for (let start = 0; start + WINDOW <= template.length; start += WINDOW) {
    const piece = template.subarray(start, start + WINDOW);
    let e = 0;
    for (const v of piece) e += v * v;
    if (e === 0) continue;
    let local = { correlation: -Infinity, lag };
    for (let l = lag - SHIFT; l <= lag + SHIFT; l++) {
      if (l + start < 0 || l + start + WINDOW > received.length) continue;
      const c = pearson(piece, received.subarray(start), l);
      if (c > local.correlation) local = { correlation: c, lag: l };
    }
    if (local.correlation === -Infinity) local.correlation = 0; // ran off the end: nothing was heard there
    lag = local.lag;
    weighted += local.correlation * e;
    energy += e;
  }
  const r = activeSpan(received);
  return {
    correlation: energy === 0 ? 0 : weighted / energy,
    globalCorrelation: best.correlation,
    lagMs: (best.lag - from) * ENVELOPE_MS,
    sentMs: (s.last - s.first + 1) * ENVELOPE_MS,
    receivedMs: r.first < 0 ? 0 : (r.last - r.first + 1) * ENVELOPE_MS,
  };
}

/**
 * Starts recording, inside the page, the envelope of whatever the page plays from the gateway
 * (`wavegateTalk.remoteStream`, read with MediaStreamTrackProcessor). Resolves once it runs.
 */
export async function captureRemoteEnvelope(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as any).wavegateTalk?.remoteStream?.getAudioTracks().length > 0, null, { timeout: 60_000 });
  await page.evaluate((envelopeMs) => {
    const w = window as any;
    const track = w.wavegateTalk.remoteStream.getAudioTracks()[0];
    const capture = { envelope: [] as number[], samples: 0, sampleRate: 0, running: true };
    w.talkCapture = capture;
    // A large buffer: a page whose main thread stalls for a moment must not lose frames here (the default drops them).
    const reader = new (w.MediaStreamTrackProcessor)({ track, maxBufferSize: 1000 }).readable.getReader();
    let sum = 0;
    let filled = 0;
    let buf = new Float32Array(0);
    void (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || !capture.running) break;
        capture.sampleRate = value.sampleRate;
        const window = Math.round((value.sampleRate * envelopeMs) / 1000);
        if (buf.length < value.numberOfFrames) buf = new Float32Array(value.numberOfFrames);
        value.copyTo(buf, { planeIndex: 0, format: 'f32-planar' });
        for (let i = 0; i < value.numberOfFrames; i++) {
          sum += buf[i]! * buf[i]!;
          if (++filled === window) {
            capture.envelope.push(Math.sqrt(sum / window));
            sum = 0;
            filled = 0;
          }
        }
        capture.samples += value.numberOfFrames;
        value.close();
      }
    })();
  }, ENVELOPE_MS);
}

export async function readRemoteEnvelope(page: Page): Promise<{ envelope: Float64Array; samples: number; sampleRate: number }> {
  const c = await page.evaluate(() => {
    const capture = (window as any).talkCapture;
    capture.running = false;
    return { envelope: capture.envelope as number[], samples: capture.samples as number, sampleRate: capture.sampleRate as number };
  });
  return { ...c, envelope: Float64Array.from(c.envelope) };
}

/** Waits until the page has heard `ms` of trailing quiet after speech (the echo is over). */
export async function waitForQuietAfterSpeech(page: Page, ms: number, timeout: number): Promise<void> {
  await page.waitForFunction(
    ({ windows }) => {
      const env = (window as any).talkCapture?.envelope as number[] | undefined;
      if (!env || env.length < windows) return false;
      let peak = 0;
      for (const v of env) peak = Math.max(peak, v);
      if (peak < 0.01) return false;
      for (let i = env.length - windows; i < env.length; i++) if (env[i]! > peak / 100) return false;
      return true;
    },
    { windows: ms / ENVELOPE_MS },
    { timeout, polling: 200 },
  );
}
