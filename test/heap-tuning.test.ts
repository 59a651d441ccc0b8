/**
 * The V8 setting the gateway runs with (src/cli/heap-tuning.ts, docs/performance.md "Heap tuning"):
 * no allocation-site pretenuring. V8 traces its pretenuring decisions with
 * `--trace-pretenuring-statistics`; with the setting applied there are none to trace.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { HEAP_FLAG, tuneHeapForMedia } from '../src/cli/heap-tuning.js';

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
});

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
