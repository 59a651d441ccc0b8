/**
 * The V8 settings the gateway runs with (src/cli/heap-tuning.ts, docs/performance.md "Heap tuning" and
 * "Young generation"): no allocation-site pretenuring, and a young generation pinned at its full size.
 * V8 traces its pretenuring decisions with `--trace-pretenuring-statistics`; with the setting applied
 * there are none to trace. The young generation's size is read inside the gateway's own process.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HEAP_FLAG, LAUNCH_FLAGS, tuneHeapForMedia } from '../src/cli/heap-tuning.js';

const BIN = fileURLToPath(new URL('../bin/wavegate.js', import.meta.url));
const TUNING = fileURLToPath(new URL('../dist/src/cli/heap-tuning.js', import.meta.url));

/** Runs `node --trace-pretenuring-statistics ARGS` and returns what it printed. */
function run(args: string[], until?: (output: string) => Promise<void> | undefined): Promise<string> {
  const child = spawn(process.execPath, ['--trace-pretenuring-statistics', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (until && !started) {
        const next = until(output);
        if (next) {
          started = true;
          next.then(() => child.kill('SIGTERM'), reject);
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => resolve(output));
  });
}

/** Keeps two million small objects from one allocation site: the pattern V8 pretenures. */
const RETAINER = (tune: boolean) => `
  ${tune ? `(await import(${JSON.stringify(TUNING)})).tuneHeapForMedia();` : ''}
  const kept = [];
  const make = (i) => ({ i, a: i + 1, b: [i] });
  for (let i = 0; i < 2_000_000; i++) kept.push(make(i));
  console.log('kept', kept.length);
`;

const decisions = (output: string) => output.split('\n').filter((line) => line.includes('pretenuring:')).length;

describe('heap tuning', () => {
  it('leaves a process alone that was started with its own choice', () => {
    expect(tuneHeapForMedia(['--allocation-site-pretenuring'], '')).toBe(false);
    expect(tuneHeapForMedia([], '--max-old-space-size=512 --no-allocation-site-pretenuring')).toBe(false);
    expect(tuneHeapForMedia([], '--no-allocation_site_pretenuring')).toBe(false);
    expect(HEAP_FLAG).toBe('--no-allocation-site-pretenuring');
  });

  it('turns off the pretenuring V8 otherwise applies to objects that survive', { timeout: 60_000 }, async () => {
    const [untuned, tuned] = await Promise.all([run(['--input-type=module', '-e', RETAINER(false)]), run(['--input-type=module', '-e', RETAINER(true)])]);
    expect(untuned).toContain('kept 2000000');
    expect(tuned).toContain('kept 2000000');
    expect(decisions(untuned)).toBeGreaterThan(0);
    expect(decisions(tuned)).toBe(0);
  });

  it('`wavegate serve` runs with it from its first line, through echoed media', { timeout: 60_000 }, async () => {
    let echoed = 0;
    const output = await run([BIN, 'serve', '--port', '0', '--handler', 'echo'], (text) => {
      const match = /listening on (http:\/\/\S+)/.exec(text);
      return match ? echoSome(match[1]!.replace('http', 'ws')).then((n) => void (echoed = n)) : undefined;
    });
    expect(echoed).toBe(100);
    expect(decisions(output)).toBe(0);
  });

  it('`wavegate` run as a program (as npx runs it) starts node with the young generation pinned', { timeout: 60_000 }, async () => {
    expect(readFileSync(BIN, 'utf8').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${LAUNCH_FLAGS.join(' ')}`);
    const probe = newSpaceProbe();
    // The same script under plain `node BIN`, without the first line's flags: V8's own 1 MiB start.
    const [asProgram, plain] = await Promise.all([
      startProbed(BIN, ['serve', '--port', '0'], probe),
      startProbed(process.execPath, [BIN, 'serve', '--port', '0'], probe),
    ]);
    rmSync(dirname(probe), { recursive: true, force: true });
    expect(asProgram.cmdline).toEqual(expect.arrayContaining([...LAUNCH_FLAGS]));
    expect(asProgram.newSpaceMiB).toBeGreaterThanOrEqual(16);
    expect(plain.newSpaceMiB).toBeLessThan(16);
  });
});

/** A module for `--import` that prints the young generation's size (MiB) as the process starts. */
function newSpaceProbe(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'wg-heap-')), 'new-space.mjs');
  writeFileSync(
    path,
    "import v8 from 'node:v8';\nconst s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');\nprocess.stdout.write(`new-space ${s.space_size / 2 ** 20}\\n`);\n",
  );
  return path;
}

/** Starts `command args` with NODE_OPTIONS `--import probe`; resolves with the probe's figure and, once listening, the server's /proc cmdline. */
function startProbed(command: string, args: string[], probe: string): Promise<{ newSpaceMiB: number; cmdline: string[] }> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: `--import ${probe}` } });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const size = /new-space (\d+(?:\.\d+)?)/.exec(output);
      if (!size || !/listening on http/.test(output)) return;
      const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      child.kill('SIGTERM');
      resolve({ newSpaceMiB: Number(size[1]), cmdline });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening:\n${output}`)));
  });
}

/** Ten FastRTC sessions, each streaming μ-law until ten frames have come back. */
async function echoSome(url: string): Promise<number> {
  let echoed = 0;
  await Promise.all(
    Array.from({ length: 10 }, async (_, k) => {
      const socket = new WebSocket(`${url}/websocket/offer`);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      socket.send(JSON.stringify({ event: 'start', websocket_id: `heap-${k}` }));
      const payload = Buffer.alloc(160, 0xff).toString('base64');
      await new Promise<void>((resolve) => {
        let got = 0;
        // Paced as a client sends: one 20 ms frame at a time, until ten have come back.
        const pump = setInterval(() => socket.send(JSON.stringify({ event: 'media', media: { payload } })), 20);
        socket.on('message', (data) => {
          if (String(data).includes('"media"') && ++got === 10) {
            clearInterval(pump);
            resolve();
          }
        });
      });
      echoed += 10;
      socket.close();
    }),
  );
  return echoed;
}
