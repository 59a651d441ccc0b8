/**
 * The gateway gives the allocator's free memory back after load (src/memory/, docs/security.md "Where
 * the RSS goes"), through the real `wavegate serve` process: a burst of WebSocket connections sending
 * large messages, then none; /metrics then shows a trim and the RSS it released. With
 * `--memory-trim off` the same burst leaves no trim.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadGlibcMalloc } from '../src/memory/glibc-malloc.js';

const BIN = fileURLToPath(new URL('../bin/wavegate.js', import.meta.url));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--handler', 'echo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve({ child, url: match[1]!});
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wavegate exited with ${code}: ${output}`)));
  });
}

/** The gateway's `wavegate_memory_*` samples, by name with labels. */
async function memoryMetrics(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(wavegate_memory_\S+)\s+(\S+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

const trims = (m: Record<string, number>) => Object.entries(m).filter(([k]) => k.startsWith('wavegate_memory_trims_total')).reduce((sum, [, v]) => sum + v, 0);

/**
 * `connections` WebSockets at once, each sending `messages` text messages of 200–300 kB (over
 * maxPayloadBytes: the gateway reads each whole, then refuses it with a coded error) and a few small
 * ones between, then all closed: what makes the main arena grow with long-lived small blocks among
 * freed large ones.
 */
async function burst(url: string, connections: number, messages: number): Promise<void> {
  const ws = url.replace('http', 'ws');
  await Promise.all(
    Array.from({ length: connections }, async (_, k) => {
      const socket = new WebSocket(`${ws}/websocket/offer`);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      for (let i = 0; i < messages; i++) {
        socket.send(JSON.stringify({ event: 'media', media: { payload: 'A'.repeat(200_000 + ((k * 7919 + i * 104_729) % 100_000)) } }));
        socket.send(JSON.stringify({ event: 'noise', n: i }));
      }
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        // Each large message gets its coded error back: the last one means all were read.
        let errors = 0;
        socket.on('message', () => {
          if (++errors >= messages) socket.close();
        });
        setTimeout(() => socket.terminate(), 20_000).unref();
      });
    }),
  );
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!done(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    v = await read();
  }
  return v;
}

describe.skipIf(!loadGlibcMalloc().value)('memory trim (src/memory/) through `wavegate serve`', () => {
  it('after a burst of connections, /metrics shows a trim and the RSS it released; with --memory-trim off, none', { timeout: 120_000 }, async () => {
    const [auto, off] = await Promise.all([serve([]), serve(['--memory-trim', 'off'])]);
    const before = await memoryMetrics(auto.url);
    expect(before.wavegate_memory_trim_enabled).toBe(1);
    expect((await memoryMetrics(off.url)).wavegate_memory_trim_enabled).toBe(0);
    await Promise.all([burst(auto.url, 60, 6), burst(off.url, 60, 6)]);
    const after = await until(() => memoryMetrics(auto.url), (m) => trims(m) > trims(before) && m.wavegate_memory_trim_released_bytes_total! > 0, 60_000);
    console.log('memory trim after the burst:', JSON.stringify(after));
    expect(trims(after)).toBeGreaterThan(trims(before));
    // RSS fell: the last trim's reading after is below its reading before, and the trims released some.
    expect(after.wavegate_memory_trim_released_bytes_total).toBeGreaterThan(0);
    expect(after.wavegate_memory_trim_last_rss_after_bytes).toBeLessThan(after.wavegate_memory_trim_last_rss_before_bytes!);
    // Generous: one trim of a few tens of MB takes milliseconds; a second would be a blocked event loop.
    expect(after.wavegate_memory_trim_max_seconds).toBeLessThan(1);
    const offAfter = await memoryMetrics(off.url);
    expect(trims(offAfter)).toBe(0);
    expect(offAfter.wavegate_memory_trim_released_bytes_total).toBe(0);
    for (const g of [auto, off]) g.child.kill('SIGTERM');
    expect(await new Promise((r) => auto.child.once('exit', r))).toBe(0);
  });
});
