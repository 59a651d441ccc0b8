// 20 concurrent WebRTC sessions from Node clients (streamAudio, transport webrtc) against one in-process
// gateway: each sends its own tone and must hear only its own tone back (no cross-talk between sessions),
// each session's handler shuts down exactly once, and once all are closed the process holds as many file
// descriptors as before (no leaked UDP sockets, timers' fds or HTTP connections). Real werift peers on
// both ends, real UDP, real-time pacing; built to pass on a loaded two-core machine: every wait is for a
// condition, with generous bounds, and the tone check tolerates stalls and concealment.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaFormat } from '../src/codecs/media-format.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { streamAudio, type StreamResult } from '../clients/stream-audio.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { waitFor } from './support/webrtc-node-peer.js';

const SESSIONS = 20;
const RATE = 48_000;
const OPUS: MediaFormat = { encoding: 'audio/opus', sampleRate: RATE, channels: 1 };
/** 400, 550, …, 3250 Hz: 150 Hz apart, well resolved by 100 ms analysis blocks (10 Hz bins). */
const frequencyOf = (i: number) => 400 + 150 * i;
const TONE_S = 2;

const CONNECTING_AT_ONCE = 2;

const fdCount = () => readdirSync('/proc/self/fd').length;

/** At most `n` holders at once (each holder releases once). */
class ConnectSlots {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(n: number) {
    this.#free = n;
  }
  acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

function tone(freq: number): Int16Array {
  return Int16Array.from({ length: TONE_S * RATE }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * freq * i) / RATE)));
}

/** Amplitude of the `freq` component of `x` (Goertzel, Hann window), relative to a full-scale sine = 1. */
function toneLevel(x: Int16Array, freq: number): number {
  const w = (2 * Math.PI * freq) / RATE;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (x.length - 1))) + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (2 * Math.sqrt(Math.max(0, s1 * s1 + s2 * s2 - coeff * s1 * s2))) / (x.length * 0.5) / 32768;
}

/**
 * Per 100 ms block of the reply that carries sound: which of the sessions' tones is strongest in it, and
 * how strong the strongest other session's tone is relative to it. Blocks of silence (stalls, the
 * playout's start) say nothing and are skipped. A block with a splice (the tone's start or end, a
 * concealed or stretched stretch) leaks a little energy to every frequency; another session's audio
 * mixed in would show as its tone at a level near the own one, in many blocks.
 */
function analyse(reply: Int16Array): { blocks: number; dominant: number[]; crossRatios: number[] } {
  const block = RATE / 10;
  const dominant: number[] = [];
  const crossRatios: number[] = [];
  for (let at = 0; at + block <= reply.length; at += block) {
    const x = reply.subarray(at, at + block);
    const levels = Array.from({ length: SESSIONS }, (_, j) => toneLevel(x, frequencyOf(j)));
    const best = levels.indexOf(Math.max(...levels));
    if (levels[best]! < 0.02) continue; // −34 dBFS: silence or a concealment tail
    dominant.push(best);
    const others = levels.filter((_, j) => j !== best);
    crossRatios.push(Math.max(...others) / levels[best]!);
  }
  return { blocks: dominant.length, dominant, crossRatios: crossRatios.sort((x, y) => x - y) };
}

let gateway: Gateway;
let offerUrl: string;
let fdsBefore: number;
beforeAll(async () => {
  // Setting up 40 werift peers (ICE, DTLS in JavaScript) on a starved machine can take longer than
  // FastRTC's 30 s connect timeout; the test is about the sessions, not about that timeout.
  // SILK (voip), not the CELT default: CELT at complexity 0 smears a pure tone's onset over the spectrum
  // in one 20 ms block, which the worst-block check below would read as another session's tone.
  gateway = createGateway({ handler: probeHandler, port: 0, webrtcConnectTimeoutS: 120, opus: { application: 'voip', complexity: 5, dtx: false } });
  offerUrl = `${(await gateway.listen()).url}/webrtc/offer`;
  // Warm werift up (its DTLS certificate is made once per process) so the baseline counts only the gateway.
  const warm = await streamAudio(new Int16Array(RATE / 5), { transport: 'webrtc', url: offerUrl, id: 'concurrency-warmup', input: OPUS, output: OPUS, openTimeoutMs: 60_000, quietMs: 300 });
  expect(warm.errors).toEqual([]);
  await waitFor(() => gateway.webrtc.peers.size === 0, 30_000, 'warm-up peer gone');
  // The baseline once the warm-up's sockets have all gone (the count holds still for a second).
  let last = fdCount();
  for (let stableSince = performance.now(); performance.now() - stableSince < 1000; ) {
    await new Promise((r) => setTimeout(r, 100));
    if (fdCount() !== last) {
      last = fdCount();
      stableSince = performance.now();
    }
  }
  fdsBefore = last;
}, 120_000);
afterAll(() => gateway?.close());

describe(`${SESSIONS} concurrent WebRTC sessions`, () => {
  it('each hears only its own tone, each shuts down once, and no file descriptor is left behind', async () => {
    const ids = Array.from({ length: SESSIONS }, (_, i) => `concurrency-${i}`);
    // Peers connect a few at a time (all at once, DTLS handshakes starve each other into ICE failures on
    // a loaded machine), and every session sends its first frame only once all are connected.
    let open = 0;
    let releaseAll!: () => void;
    const allOpen = new Promise<void>((resolve) => (releaseAll = resolve));
    const slots = new ConnectSlots(CONNECTING_AT_ONCE);
    const results: StreamResult[] = await Promise.all(
      ids.map(async (id, i) => {
        await slots.acquire();
        let holding = true;
        const release = () => {
          if (holding) slots.release();
          holding = false;
        };
        return streamAudio(tone(frequencyOf(i)), {
          transport: 'webrtc',
          url: offerUrl,
          id,
          input: OPUS,
          output: OPUS,
          // Both FastRTC flows at once.
          trickle: i % 2 === 0,
          openTimeoutMs: 90_000,
          quietMs: 4000,
          drainTimeoutMs: 60_000,
          beforeStart: () => {
            release();
            if (++open === SESSIONS) releaseAll();
            return allOpen;
          },
        }).finally(release);
      }),
    );
    // While they ran, every session had its own peer and handler.
    const summary = (r: StreamResult, id: string) => `ended ${r.ending}, received ${r.receivedMs} ms, gaps ${r.gapMs} ms, late ticks ${r.lateTicks}, handler frames ${probes.get(id)?.frames}`;
    for (const [i, r] of results.entries()) {
      expect(r.refused, ids[i]).toBeUndefined();
      expect(r.errors, ids[i]).toEqual([]);
      expect(r.sentMs, ids[i]).toBe(TONE_S * 1000);
      // Most of the tone came back (a starved machine may drop some to late arrival or stalls).
      expect(r.receivedMs, `${ids[i]}: ${summary(r, ids[i]!)}`).toBeGreaterThan(0.5 * r.sentMs);
      const a = analyse(r.reply);
      expect(a.blocks, `${ids[i]}: blocks with sound`).toBeGreaterThan(5);
      // Every block with sound carries this session's own tone, and no other session's is near it.
      expect(new Set(a.dominant), `${ids[i]}: dominant tones`).toEqual(new Set([i]));
      // The strongest other tone: under −26 dB of the own one in the typical block, under −6 dB in every one.
      expect(a.crossRatios[Math.floor(a.crossRatios.length / 2)]!, `${ids[i]}: median strongest other tone / own`).toBeLessThan(0.05);
      expect(a.crossRatios.at(-1)!, `${ids[i]}: worst block's strongest other tone / own`).toBeLessThan(0.5);
    }

    // Each handler shut down exactly once (the client closed its data channel, then its peer).
    await waitFor(() => ids.every((id) => (probes.get(id)?.shutdowns.length ?? 0) > 0), 60_000, 'every shutdown');
    await waitFor(() => gateway.webrtc.peers.size === 0 && ids.every((id) => gateway.sessions.registry.get(id) === undefined), 60_000, 'server peers gone');
    for (const id of ids) {
      expect(probes.get(id)!.created, id).toBe(1);
      expect(probes.get(id)!.shutdowns, id).toHaveLength(1);
    }

    // Every UDP socket (client and server peers) and HTTP connection closed: back to the count before.
    await waitFor(() => fdCount() <= fdsBefore, 60_000, `fd count back to ${fdsBefore} (now ${fdCount()})`);
    // Not more than before (fewer: something the test runner held at the start has closed since).
    expect(fdCount()).toBeLessThanOrEqual(fdsBefore);
    // A second shutdown would show by now.
    for (const id of ids) expect(probes.get(id)!.shutdowns, id).toHaveLength(1);
  }, 300_000);
});
