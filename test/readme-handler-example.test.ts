import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rms } from './support/audio-compare.js';
import { startServe } from './support/cli-process.js';
import { streamThroughGateway } from './support/stream-through-gateway.js';

const ROOT = new URL('../', import.meta.url).pathname;

/** The README's handler example, exactly as printed there. */
function readmeExample(): string {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const match = readme.match(/<!-- readme-handler-example[^>]*-->\s*```js\n([\s\S]*?)```/);
  if (!match) throw new Error('README handler example not found');
  return match[1]!;
}

describe('README handler example, served by the real CLI under plain node', () => {
  it('is ~15 lines, loads as a module path, makes the echo 6 dB louder, and shuts down on SIGTERM with exit 0', async () => {
    const code = readmeExample();
    expect(code.split('\n').filter((l) => l.trim() && !l.trim().startsWith('//')).length).toBeLessThanOrEqual(22);
    // Inside the package folder, so `import … from 'wavegate'` resolves to this package (self-reference).
    mkdirSync(`${ROOT}test/.tmp`, { recursive: true });
    const path = `${ROOT}test/.tmp/louder.mjs`;
    writeFileSync(path, code);

    const serve = await startServe(['--handler', path]);
    const rate = 16_000;
    const tone = Int16Array.from({ length: rate }, (_, n) => Math.round(4000 * Math.sin((2 * Math.PI * 440 * n) / rate)));
    const format = { encoding: 'audio/x-l16', sampleRate: rate, channels: 1 } as const;
    const { output, client } = await streamThroughGateway(`${serve.url.replace('http', 'ws')}/websocket/offer`, 'readme-1', tone, format);
    expect(client.closeCode).toBe(1000);
    const gain = rms(output.subarray(rate * 0.2, rate * 0.8)) / rms(tone.subarray(rate * 0.2, rate * 0.8));
    expect(20 * Math.log10(gain)).toBeCloseTo(6, 0);

    const health = await fetch(`${serve.url}/healthz`);
    expect(health.status).toBe(200);
    serve.child.kill('SIGTERM');
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toContain('session readme-1 ended: client_stop');
  });

  it('graceful shutdown: open sessions get 1001 after their handler shut down', async () => {
    const path = `${ROOT}test/.tmp/louder.mjs`;
    mkdirSync(`${ROOT}test/.tmp`, { recursive: true });
    writeFileSync(path, readmeExample());
    const serve = await startServe(['--handler', path]);
    const { WsTestClient } = await import('./support/ws-test-client.js');
    const client = await WsTestClient.connect(`${serve.url.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: 'readme-2' });
    client.send({ event: 'ping' });
    await client.waitFor((m) => m.event === 'pong');
    serve.child.kill('SIGINT');
    expect(await client.waitClose()).toBe(1001);
    expect(await serve.exited).toBe(0);
    expect(serve.output()).toContain('session readme-2 ended: server_shutdown');
  });
});
