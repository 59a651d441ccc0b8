/**
 * Acceptance (docs/scale-out.md#routing): on two gateway processes (the real CLI) sharing a real
 * redis-server, trickled `POST /webrtc/offer` candidates posted to the node that does not hold the peer
 * reach the one that does (also when they come before the offer), and `GET /recordings/{id}.wav` of a
 * recording the other node is writing is proxied to it (whole file and Range).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './channel-layer-redis-server.js';
import { startServe, type CliProcess } from './support/cli-process.js';
import { NodePeer } from './support/webrtc-node-peer.js';
import { EchoSession, until, wsUrl } from './cluster-support.js';
import { SpeechTestClient } from '../bench/turn-latency-client.js';
import { concatPcm, loadSpeechFixtures, silence } from '../bench/vad-speech-fixtures.js';

let redis: RedisServer;
let a: CliProcess;
let b: CliProcess;
const dirs = [mkdtempSync(join(tmpdir(), 'wg-cluster-a-')), mkdtempSync(join(tmpdir(), 'wg-cluster-b-'))];
const sessions: EchoSession[] = [];

async function metric(node: CliProcess, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

beforeAll(async () => {
  redis = await RedisServer.start();
  const args = (dir: string) => ['--redis', redis.url, '--handler', 'echo', '--record-dir', dir];
  [a, b] = await Promise.all([startServe(args(dirs[0]!)), startServe(args(dirs[1]!))]);
}, 30_000);
afterAll(async () => {
  for (const s of sessions) s.close();
  for (const node of [a, b]) {
    if (node && node.child.exitCode === null) {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  }
  await redis?.kill();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('trickled WebRTC candidates on the wrong node', () => {
  for (const candidatesFirst of [false, true]) {
    it(`reach the node holding the peer${candidatesFirst ? ' (posted before the offer)' : ''}`, { timeout: 60_000 }, async () => {
      const servedBefore = await metric(a, 'wavegate_forwarded_served_total');
      const peer = await NodePeer.open(a.url, { webrtcId: `trickle-${candidatesFirst ? 'first' : 'after'}`, candidateUrl: b.url, candidatesFirst });
      try {
        const answers = await peer.candidatesAnswered();
        expect(answers.length).toBeGreaterThan(0);
        for (const answer of answers) expect(answer).toEqual({ status: 'success' });
        expect(await metric(a, 'wavegate_forwarded_served_total')).toBeGreaterThanOrEqual(servedBefore + answers.length);
        expect(await metric(b, 'wavegate_forwarded_requests_total')).toBeGreaterThan(0);
      } finally {
        await peer.close();
      }
    });
  }
});

describe('GET /recordings/{id}.wav of a recording another node is writing', () => {
  it('is proxied to the owner: the same bytes, Range honoured', { timeout: 60_000 }, async () => {
    const session = await EchoSession.open(a.url, 'rec-on-a');
    sessions.push(session);
    await session.echoes(25);
    const direct = await fetch(`${a.url}/recordings/rec-on-a.wav`, { headers: { range: 'bytes=0-43' } });
    expect(direct.status).toBe(206);
    const viaB = await fetch(`${b.url}/recordings/rec-on-a.wav`, { headers: { range: 'bytes=0-43' } });
    expect(viaB.status).toBe(206);
    expect(viaB.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    const header = Buffer.from(await viaB.arrayBuffer());
    expect(header.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(header.equals(Buffer.from(await direct.arrayBuffer()))).toBe(true);
    // A recording no node is writing, and that b does not have: b's own 404.
    const missing = await fetch(`${b.url}/recordings/nobody.wav`);
    expect(missing.status).toBe(404);
    session.close();
    await until(async () => (await fetch(`${b.url}/recordings/rec-on-a.wav`)).status === 404, 10_000, 'no longer proxied once the session ended');
  });
});

describe('the asr handler on one node, its outputs read on another', () => {
  it('POST /input and GET /outputs on the other node: the transcript arrives on its SSE stream', { timeout: 120_000 }, async () => {
    const c = await startServe(['--redis', redis.url, '--handler', 'asr']);
    try {
      const id = 'asr-across';
      const client = await SpeechTestClient.open(wsUrl(c.url), id, 16_000);
      await until(async () => (await fetch(`${b.url}/sessions`).then((r) => r.json()) as { sessions: Array<{ id: string }> }).sessions.some((s) => s.id === id), 10_000, 'the asr session in the directory');
      const sse = await fetch(`${b.url}/outputs?webrtc_id=${id}`);
      expect(sse.status).toBe(200);
      const reader = sse.body!.getReader();
      let sseText = '';
      const reading = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          sseText += new TextDecoder().decode(value);
        }
      })();
      const input = await fetch(`${b.url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: id, note: 'from b' }) });
      expect(await input.json()).toEqual({ status: 'success' });
      const speech = loadSpeechFixtures().find((f) => f.file === 's02-slt.wav')!.samples;
      await client.stream(concatPcm(silence(300, 16_000), speech, silence(1500, 16_000)), 16_000);
      await client.until(() => sseText.includes('"type":"transcript"') && sseText.includes('kitchen'), 60_000, 'the transcript on the other node\'s SSE stream');
      await client.stop();
      await reader.cancel().catch(() => undefined);
      await reading.catch(() => undefined);
    } finally {
      c.child.kill('SIGTERM');
      await c.exited;
    }
  });
});
