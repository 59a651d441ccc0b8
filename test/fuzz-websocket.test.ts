import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoBystander } from '../bench/lib/echo-bystander.js';
import { runHttpProbe, runRawFrames, runWsScript, type WsOutcome } from '../bench/lib/fuzz-driver.js';
import { httpProbe, rawFrameBytes, WS_PATHS, WS_TARGETS, wsScript } from '../bench/lib/fuzz-messages.js';
import { isErrorCode } from '../src/errors/error-codes.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import echo from '../handlers/echo.js';

/**
 * Structure-aware fuzzing through real sockets (docs/security.md, "Fuzzing"): seeded fast-check runs of
 * mutated FastRTC, Twilio/Telnyx/Plivo, call-signaling messages, HTTP requests at every route (Range
 * headers, ids, bodies, /webrtc/offer) and malformed WebSocket frames, while a clean bystander session
 * streams beside them. Nothing a client sends may close a connection with 1011, answer with a 5xx, go
 * without an error code, crash the process or change what the bystander gets back. About 50k messages
 * in all. (Access tokens and hostile headers are test/auth-fuzz.test.ts.)
 */
const SEED = 15_04;

let gateway: Gateway;
let url: string;
let bystander: EchoBystander;
let recordDir: string;
const internalLogs: string[] = [];
const originalError = console.error;

beforeAll(async () => {
  recordDir = mkdtempSync(join(tmpdir(), 'wg-fuzz-'));
  // Our bugs are logged with a stack (docs/errors.md); collect them (the fuzz must cause none).
  console.error = (...args: unknown[]) => {
    const text = args.map((a) => (a instanceof Error ? a.stack : String(a))).join(' ');
    if (!/socket error/.test(text)) internalLogs.push(text);
  };
  gateway = createGateway({ handler: echo, port: 0, recordDir, maxMessagesPerSecond: 100_000, idleTimeoutS: 5 });
  url = (await gateway.listen()).url;
  bystander = await EchoBystander.start(url, { spurtFrames: 100, pauseMs: 400 });
});

afterAll(async () => {
  await gateway?.close();
  console.error = originalError;
  rmSync(recordDir, { recursive: true, force: true });
});

/** Runs `count` connections, `parallel` at a time. */
async function inParallel<T>(items: readonly T[], parallel: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < items.length) await run(items[next++]!);
    }),
  );
}

function isClean(outcome: WsOutcome): boolean {
  return outcome.connectFailed === undefined && outcome.serverCloseCode !== 1011 && outcome.uncoded === 0 && outcome.errorCodes.every((c) => isErrorCode(c) && !/WG_ERR_(INTERNAL|HANDLER_FAILED|HANDLER_UNAVAILABLE)/.test(c));
}

function expectClassified(outcome: WsOutcome, what: string): void {
  expect(outcome.connectFailed, what).toBeUndefined();
  expect(outcome.serverCloseCode, what).not.toBe(1011);
  expect(outcome.uncoded, what).toBe(0);
  for (const code of outcome.errorCodes) {
    expect(isErrorCode(code), `${what}: ${code}`).toBe(true);
    expect(code, what).not.toMatch(/WG_ERR_(INTERNAL|HANDLER_FAILED|HANDLER_UNAVAILABLE)/);
  }
}

describe('fuzzed WebSocket messages on every route', () => {
  for (const [i, target] of WS_TARGETS.entries()) {
    it(`${target} (${WS_PATHS[target]}): every refusal coded, no 1011`, async () => {
      const started = performance.now();
      const scripts = fc.sample(wsScript('x', 60, target), { seed: SEED + i, numRuns: 250 });
      let messages = 0;
      await inParallel(scripts.map((s, k) => ({ s, k })), 8, async ({ s, k }) => {
        // A unique id per connection (the generator's are fixed), so duplicates are the fuzzer's own doing.
        const script = { ...s, messages: s.messages.map((m) => (m.kind === 'text' ? { ...m, data: m.data.replaceAll('fz-x', `fz-${target}-${k}`).replaceAll('MZx', `MZ${k}`) } : m)) };
        const outcome = await runWsScript(url, script);
        messages += outcome.sent;
        if (isClean(outcome)) return;
        expectClassified(outcome, `${target} #${k}: ${script.ending} ${script.messages.map((m) => (m.kind === 'text' ? m.data.slice(0, 300) : `<${m.kind} ${m.data.length} bytes>`)).join(' | ').slice(0, 1500)}`);
      });
      console.log(target, messages, 'messages in', Math.round(performance.now() - started), 'ms');
      expect(messages).toBeGreaterThan(6000);
    });
  }
});

describe('fuzzed HTTP requests', () => {
  it('Range headers, ids, bodies, methods: never a 5xx, every JSON refusal coded', async () => {
    const probes = fc.sample(httpProbe, { seed: SEED + 100, numRuns: 1500 });
    await inParallel(probes, 8, async (probe) => {
      const outcome = await runHttpProbe(url, probe);
      const what = `${probe.method} ${probe.path.slice(0, 200)} ${JSON.stringify(probe.headers).slice(0, 200)}`;
      expect(outcome.failed, what).toBeUndefined();
      expect(outcome.status, what).toBeLessThan(500);
      if (outcome.code !== undefined) expect(isErrorCode(outcome.code), what).toBe(true);
    });
  });
});

describe('malformed WebSocket frames', () => {
  it('truncated, oversized, unmasked frames and noise after the upgrade: never a 1011', async () => {
    const cases = fc.sample(fc.tuple(fc.constantFrom(...Object.values(WS_PATHS)), rawFrameBytes), { seed: SEED + 200, numRuns: 300 });
    await inParallel(cases, 8, async ([path, bytes]) => {
      const code = await runRawFrames(url, path, bytes);
      expect(code, `${path} ${Buffer.from(bytes).toString('hex').slice(0, 80)}`).not.toBe(1011);
    });
  });
});

describe('after the fuzz', () => {
  it('the process logged no internal failure, and the bystander got back what it sent (± one frame per spurt)', async () => {
    const result = await bystander.stop();
    console.log('bystander', JSON.stringify(result));
    expect(internalLogs.slice(0, 5)).toEqual([]);
    expect(result.closeCode).toBe(1000);
    expect(result.errors).toEqual([]);
    expect(result.ratio).toBeGreaterThanOrEqual(0.99);
    expect(result.ratio).toBeLessThanOrEqual(1.01);
    expect(Math.abs(result.backSamples - result.sentSamples)).toBeLessThanOrEqual(result.spurts * 160);
  });
});

describe('found by the fuzzer', () => {
  it('a 4 kHz session with recordings on opens and echoes (the recorder refused rates under 8 kHz: 1011)', async () => {
    const { WsTestClient } = await import('./support/ws-test-client.js');
    const client = await WsTestClient.connect(`${url.replace('http', 'ws')}/websocket/offer`);
    client.send({ event: 'start', websocket_id: 'rate-4k', mediaFormat: { encoding: 'audio/x-l16', sampleRate: 4000, channels: 1 }, outputFormat: { encoding: 'audio/x-l16', sampleRate: 4000, channels: 1 } });
    for (let i = 0; i < 5; i++) client.send(Buffer.alloc(160));
    await client.waitFor(() => client.messages.some((m) => Buffer.isBuffer(m)), 5000).catch(() => undefined);
    expect(client.messages.some((m) => Buffer.isBuffer(m))).toBe(true);
    expect(client.closeCode).toBeUndefined();
    client.close();
  });
});
