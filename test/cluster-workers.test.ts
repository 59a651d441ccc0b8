/**
 * Acceptance (docs/scale-out.md#workers): `wavegate serve --workers 2` (the real CLI, no Redis). Sessions
 * opened through the one port land on both workers; duplicate ids and the box's limit hold across them
 * (the primary holds the directory); POST /input reaches the worker holding the session; /metrics counts
 * every worker's sessions; a SIGKILLed worker is replaced (counted) and its sessions' ids are free at once;
 * SIGTERM drains every worker (1001 to clients) and the primary exits 0.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWavegate, startServe, type CliProcess } from './support/cli-process.js';
import { EchoSession, sessionsOf, until } from './cluster-support.js';

const LIMIT = 8;
let box: CliProcess;
const open: EchoSession[] = [];

/** The primary's children, from /proc (field 4 of /proc/PID/stat is the parent pid). */
function workerPids(): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === box.child.pid) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function metrics(): Promise<string> {
  return (await fetch(`${box.url}/metrics`)).text();
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

const recordDir = mkdtempSync(join(tmpdir(), 'wg-workers-'));
beforeAll(async () => {
  box = await startServe(['--workers', '2', '--handler', 'test/cluster-input-handler.mjs', '--cluster-concurrency-limit', String(LIMIT), '--record-dir', recordDir]);
}, 30_000);
afterAll(async () => {
  for (const s of open) s.close();
  if (box && box.child.exitCode === null) {
    box.child.kill('SIGKILL');
    await box.exited;
  }
  rmSync(recordDir, { recursive: true, force: true });
});

describe('serve --workers 2 without Redis', () => {
  it('sessions land on both workers; ids, the limit, /input and /metrics hold across them', { timeout: 60_000 }, async () => {
    expect(workerPids()).toHaveLength(2);
    const sessions: EchoSession[] = [];
    for (let i = 0; i < 6; i++) sessions.push(await EchoSession.open(box.url, `w-${i}`));
    open.push(...sessions);
    await Promise.all(sessions.map((s) => s.echoes(5)));
    const listed = await sessionsOf(box.url);
    expect(listed.map((s) => s.id).sort()).toEqual(sessions.map((s) => s.id).sort());
    expect(new Set(listed.map((s) => s.node)).size).toBe(2);
    const text = await metrics();
    expect(value(text, 'wavegate_sessions_open')).toBe(6);
    const perWorker = [value(text, 'wavegate_worker_sessions_open{worker="1"}'), value(text, 'wavegate_worker_sessions_open{worker="2"}')];
    expect(perWorker[0]! + perWorker[1]!).toBe(6);
    expect(Math.min(...perWorker)).toBeGreaterThan(0);

    // The same id, four times: connections alternate between the workers, every one is refused.
    for (let k = 0; k < 4; k++) {
      const dup = await EchoSession.open(box.url, 'w-0');
      open.push(dup);
      expect((await dup.refusal()).message).toMatchObject({ code: 'WG_ERR_DUPLICATE_SESSION' });
    }
    await sessions[0]!.echoes(10);

    // POST /input for every session through the one port: each reaches the worker holding it.
    const sse = await fetch(`${box.url}/outputs?webrtc_id=w-1`);
    const reader = sse.body!.getReader();
    let sseText = '';
    const reading = (async () => {
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done) return;
        sseText += new TextDecoder().decode(chunk);
      }
    })();
    for (let k = 0; k < 4; k++) {
      const res = await fetch(`${box.url}/input`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ webrtc_id: 'w-1', k }) });
      expect(await res.json()).toEqual({ status: 'success' });
    }
    await until(() => [0, 1, 2, 3].every((k) => sseText.includes(`"k":${k}`)), 10_000, 'every input on the SSE stream');
    await reader.cancel().catch(() => undefined);
    await reading.catch(() => undefined);

    // The live recording of a session, asked for four times through the port: whichever worker answers.
    for (let k = 0; k < 4; k++) {
      const res = await fetch(`${box.url}/recordings/w-1.wav`, { headers: { range: 'bytes=0-43' } });
      expect(res.status).toBe(206);
      expect(Buffer.from(await res.arrayBuffer()).subarray(0, 4).toString('latin1')).toBe('RIFF');
    }

    // The box limit: 6 open + 2 more = 8; the next ones are refused on whichever worker.
    for (const id of ['w-6', 'w-7']) {
      const s = await EchoSession.open(box.url, id);
      open.push(s);
      sessions.push(s);
      await s.echoes(3);
    }
    for (let k = 0; k < 3; k++) {
      const over = await EchoSession.open(box.url, `over-${k}`);
      open.push(over);
      expect((await over.refusal()).message).toEqual({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit: LIMIT } });
    }
  });

  it('a worker killed with SIGKILL is replaced and counted; its sessions’ ids are free at once', { timeout: 60_000 }, async () => {
    const before = workerPids();
    const victim = before[0]!;
    const live = open.filter((s) => /^w-\d$/.test(s.id) && s.client.closeCode === undefined);
    process.kill(victim, 'SIGKILL');
    await until(() => live.some((s) => s.client.closeCode !== undefined), 10_000, 'the victim’s sessions dropped');
    await new Promise((r) => setTimeout(r, 300));
    const dropped = live.filter((s) => s.client.closeCode !== undefined);
    const survivors = live.filter((s) => s.client.closeCode === undefined);
    expect(dropped.length).toBeGreaterThan(0);
    await Promise.all(survivors.map((s) => s.echoes(5)));
    // Its ids open again straight away (no lease to wait for: the primary saw the worker exit).
    for (const s of dropped) {
      const again = await EchoSession.open(box.url, s.id);
      open.push(again);
      await again.echoes(3);
    }
    await until(async () => workerPids().length === 2 && !workerPids().includes(victim), 15_000, 'the worker replaced');
    await until(async () => value(await metrics(), 'wavegate_workers') === 2, 15_000, 'both workers answering metrics');
    const text = await metrics();
    expect(value(text, 'wavegate_worker_restarts_total')).toBe(1);
    expect(value(text, 'wavegate_sessions_open')).toBe(live.length);
  });

  it('SIGTERM drains every worker (clients get 1001) and the primary exits 0', { timeout: 60_000 }, async () => {
    const live = open.filter((s) => s.client.closeCode === undefined);
    expect(live.length).toBeGreaterThan(0);
    box.child.kill('SIGTERM');
    expect(await box.exited).toBe(0);
    for (const s of live) expect(await s.client.waitClose()).toBe(1001);
  });
});

describe('serve --workers 2 --redis: each worker is a node of the cluster', () => {
  it('sessions on both workers, one id across them, listed with two nodes; SIGTERM exits 0', { timeout: 60_000 }, async () => {
    const { RedisServer } = await import('./channel-layer-redis-server.js');
    const redis = await RedisServer.start();
    const node = await startServe(['--workers', '2', '--redis', redis.url, '--handler', 'test/cluster-input-handler.mjs']);
    const sessions: EchoSession[] = [];
    try {
      for (let i = 0; i < 4; i++) sessions.push(await EchoSession.open(node.url, `rw-${i}`));
      await Promise.all(sessions.map((s) => s.echoes(5)));
      const listed = await sessionsOf(node.url);
      expect(listed.map((s) => s.id).sort()).toEqual(['rw-0', 'rw-1', 'rw-2', 'rw-3']);
      expect(new Set(listed.map((s) => s.node)).size).toBe(2);
      for (let k = 0; k < 3; k++) {
        const dup = await EchoSession.open(node.url, 'rw-0');
        sessions.push(dup);
        expect((await dup.refusal()).message).toMatchObject({ code: 'WG_ERR_DUPLICATE_SESSION' });
      }
      node.child.kill('SIGTERM');
      expect(await node.exited).toBe(0);
      // Drained sessions left the directory on the way out: Redis holds no session.
      const client = createClient({ url: redis.url });
      await client.connect();
      expect(await client.keys('wavegate:session*')).toEqual([]);
      await client.close();
    } finally {
      for (const s of sessions) s.close();
      if (node.child.exitCode === null) node.child.kill('SIGKILL');
      await redis.kill();
    }
  });
});

describe('serve --workers 2 that cannot start', () => {
  it('a worker dying before the box listened stops the box with exit code 1 and the reason (no restart loop)', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runWavegate(['serve', '--port', '0', '--workers', '2', '--handler', './no-such-handler.js']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cannot load handler module \.\/no-such-handler\.js/);
    expect(stderr).toMatch(/exited \(exit 1\) before listening; stopping/);
  });
});
