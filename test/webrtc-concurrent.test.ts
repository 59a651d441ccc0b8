// Several WebRTC sessions at once: each peer hears its own tone back (no cross-talk), each handler
// shuts down once, and the process's file descriptors come back when they close.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { probeHandler, probes } from './support/probe-handler.js';
import { NodePeer, waitFor } from './support/webrtc-node-peer.js';

const PEERS = 8;
const frequencyOf = (i: number) => 300 + 150 * i; // 300 … 1350 Hz, well apart
const tone = (hz: number, seconds: number) => Int16Array.from({ length: 48_000 * seconds }, (_, n) => Math.round(8000 * Math.sin((2 * Math.PI * hz * n) / 48_000)));

/** Power of `hz` in `x` (Goertzel), normalised by length. */
function power(x: Int16Array, hz: number): number {
  const w = (2 * Math.PI * hz) / 48_000;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    const s0 = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - c * s1 * s2) / x.length;
}

let gateway: Gateway;
let url: string;
beforeAll(async () => {
  gateway = createGateway({ handler: probeHandler, port: 0 });
  ({ url } = await gateway.listen());
});
afterAll(() => gateway.close());

const fdCount = () => readdirSync('/proc/self/fd').length;

describe(`${PEERS} WebRTC sessions at once`, () => {
  it('each hears its own tone, each ends once, no sockets left', async () => {
    const warm = await NodePeer.open(url, { webrtcId: 'conc-warm', trickle: true });
    await warm.close();
    await waitFor(() => gateway.webrtc.peers.size === 0, 10_000, 'warm-up gone');
    const before = fdCount();
    const peers = await Promise.all(Array.from({ length: PEERS }, (_, i) => NodePeer.open(url, { webrtcId: `conc-${i}`, trickle: i % 2 === 0 })));
    expect(gateway.sessions.registry.size).toBe(PEERS);
    await Promise.all(peers.map((p, i) => p.sendPcm(tone(frequencyOf(i), 2))));
    await waitFor(() => peers.every((p) => p.receivedPcm().length >= 48_000 * 1.5), 15_000, 'echoes');
    for (const [i, peer] of peers.entries()) {
      const got = peer.receivedPcm();
      const own = power(got, frequencyOf(i));
      const others = Array.from({ length: PEERS }, (_, j) => j).filter((j) => j !== i).map((j) => power(got, frequencyOf(j)));
      // Its own tone dominates every other peer's by 30 dB or more.
      expect(own, `peer ${i}`).toBeGreaterThan(1000 * Math.max(...others));
    }
    await Promise.all(peers.map((p) => p.close()));
    await waitFor(() => gateway.webrtc.peers.size === 0 && gateway.sessions.registry.size === 0, 15_000, 'peers gone');
    for (const peer of peers) expect(probes.get(peer.webrtcId)!.shutdowns, peer.webrtcId).toEqual(['socket_closed']);
    await waitFor(() => fdCount() <= before, 10_000, `fds back to ${before}`).catch(() => {});
    expect(fdCount()).toBeLessThanOrEqual(before);
  }, 120_000);
});
