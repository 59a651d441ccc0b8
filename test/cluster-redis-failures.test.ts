/**
 * Acceptance (docs/scale-out.md#failures): Redis killed under 10 live sessions on two gateway processes
 * (the real CLI). Every session keeps echoing with no frame lost; new sessions are admitted against the
 * local limit, counted on /metrics, /healthz says degraded. Redis restarted (empty): the directory holds
 * exactly the live sessions again, and an id opened on both nodes during the outage stays with the
 * earlier session while the later one is told WG_ERR_SESSION_CONFLICT and closed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from './channel-layer-redis-server.js';
import { startServe, type CliProcess } from './support/cli-process.js';
import { EchoSession, sessionsOf, until } from './cluster-support.js';

const HANDLER = 'test/cluster-input-handler.mjs';

async function health(node: CliProcess): Promise<Record<string, unknown>> {
  return (await (await fetch(`${node.url}/healthz`)).json()) as Record<string, unknown>;
}

async function metric(node: CliProcess, name: string): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : NaN;
}

let redis: RedisServer;
let a: CliProcess;
let b: CliProcess;
const open: EchoSession[] = [];

beforeAll(async () => {
  redis = await RedisServer.start();
  const args = ['--redis', redis.url, '--handler', HANDLER, '--session-lease-s', '3', '--redis-timeout-ms', '300'];
  [a, b] = await Promise.all([startServe(args), startServe(args)]);
}, 30_000);
afterAll(async () => {
  for (const s of open) s.close();
  for (const node of [a, b]) {
    if (node && node.child.exitCode === null) {
      node.child.kill('SIGTERM');
      await node.exited;
    }
  }
  await redis?.kill();
});

describe('Redis lost under 10 live sessions, then back', () => {
  it('sessions live on, new ones are admitted locally, the directory is resynced and a conflict resolved', { timeout: 60_000 }, async () => {
    const live: EchoSession[] = [];
    for (let i = 0; i < 10; i++) live.push(await EchoSession.open((i % 2 === 0 ? a : b).url, `live-${i}`));
    open.push(...live);
    await Promise.all(live.map((s) => s.echoes(10)));
    expect((await sessionsOf(a.url)).length).toBe(10);

    await redis.kill();
    await until(async () => (await health(a)).status === 'degraded' && (await health(b)).status === 'degraded', 10_000, 'both nodes degraded');
    await Promise.all(live.map((s) => s.echoes(25)));
    // A session held elsewhere cannot be reached meanwhile: 503, not 404.
    const input = await fetch(`${b.url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: 'live-0', x: 1 }) });
    expect(input.status).toBe(503);
    expect(((await input.json()) as { error: { code: string } }).error.code).toBe('WG_ERR_OWNER_UNAVAILABLE');

    // Admitted against the local limit while Redis is away, and counted.
    const fresh = await EchoSession.open(b.url, 'while-away');
    open.push(fresh);
    await fresh.echoes(10);
    // A conflict: one id opened on both nodes during the outage, a's first.
    const earlier = await EchoSession.open(a.url, 'conflict');
    open.push(earlier);
    await earlier.echoes(5);
    const later = await EchoSession.open(b.url, 'conflict');
    open.push(later);
    await later.echoes(5);
    // (At least: a loaded machine may stall a node past the 300 ms timeout once before, which counts too.)
    expect(await metric(a, 'wavegate_directory_admitted_degraded_total')).toBeGreaterThanOrEqual(1);
    expect(await metric(b, 'wavegate_directory_admitted_degraded_total')).toBeGreaterThanOrEqual(2);
    expect(await metric(a, 'wavegate_directory_degraded')).toBe(1);

    await redis.restart();
    await until(async () => (await health(a)).status === 'ok' && (await health(b)).status === 'ok', 15_000, 'both nodes resynced');
    const { message, closeCode } = await later.refusal();
    expect(message).toMatchObject({ type: 'error', code: 'WG_ERR_SESSION_CONFLICT' });
    expect(closeCode).toBe(4014);
    await earlier.echoes(10);
    const nodeA = ((await (await fetch(`${a.url}/sessions`)).json()) as { node: string }).node;
    await until(async () => (await sessionsOf(b.url)).length === 12, 10_000, 'the directory holding the live sessions');
    const listed = await sessionsOf(b.url);
    expect(listed.map((s) => s.id).sort()).toEqual([...live.map((s) => s.id), 'while-away', 'conflict'].sort());
    expect(listed.find((s) => s.id === 'conflict')?.node).toBe(nodeA);
    expect(await metric(b, 'wavegate_directory_conflicts_lost_total')).toBe(1);
    expect(await metric(a, 'wavegate_directory_conflicts_lost_total')).toBe(0);
    expect(await metric(a, 'wavegate_directory_resyncs_total')).toBeGreaterThanOrEqual(1);

    // No frame lost: after the senders stop, every session has echoed every frame it sent (the echo's
    // output may carry one more, the resampler's tail), and no jitter buffer dropped a packet.
    for (const s of [...live, fresh, earlier]) s.stopSending();
    await new Promise((r) => setTimeout(r, 1500));
    const report = [...live, fresh, earlier].map((s) => `${s.id} sent ${s.sent} echoed ${s.echoed}`);
    console.log(report.join('\n'));
    for (const s of [...live, fresh, earlier]) expect(s.echoed, `${s.id}`).toBeGreaterThanOrEqual(s.sent);
    for (const node of [a, b]) expect(await metric(node, 'wavegate_jitter_packets_discarded_total')).toBe(0);
  });

  it('a Redis that stops answering delays admission by at most --redis-timeout-ms (300), then counts as lost', { timeout: 60_000 }, async () => {
    const lostBefore = await metric(a, 'wavegate_directory_lost_total');
    redis.pause();
    try {
      const t0 = performance.now();
      const session = await EchoSession.open(a.url, 'while-hung');
      open.push(session);
      await session.client.waitFor((m) => m.event === 'media', 10_000);
      const admittedMs = performance.now() - t0;
      console.log(`first echo ${Math.round(admittedMs)} ms after start with Redis hung (timeout 300 ms)`);
      await session.echoes(10);
      expect((await health(a)).status).toBe('degraded');
      expect(await metric(a, 'wavegate_directory_lost_total')).toBeGreaterThanOrEqual(lostBefore + 1);
    } finally {
      redis.resume();
    }
    await until(async () => (await health(a)).status === 'ok', 15_000, 'resynced after Redis answered again');
    await until(async () => (await sessionsOf(b.url)).some((s) => s.id === 'while-hung'), 10_000, 'the session in the directory');
  });
});
