import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../src/gateway.js';
import { defineHandler, type HandlerContext } from '../src/handler/handler.js';
import echo from '../handlers/echo.js';
import { WsTestClient } from './support/ws-test-client.js';

/**
 * A session that cannot be built (docs/security.md, "Bad input"): the format is the client's error, coded
 * before anything is made for it, and whatever was made before a later failure is released — the
 * handler shut down, the recorder's file closed. The 10⁶-message fuzz found both: a μ-law rate of
 * 2³¹ reached the recorder (a TypeError there: WG_ERR_HANDLER_UNAVAILABLE and 1011), and a session
 * whose resampler refused its rate kept its recording open for the life of the process.
 */
const counts = { created: 0, shutdown: 0 };
const countingEcho = defineHandler({
  name: 'counting-echo',
  // A handler rate makes the input pipeline resample, so a rate the resampler refuses fails after the taps.
  inputSampleRate: 16_000,
  create() {
    counts.created++;
    let ctx: HandlerContext | undefined;
    return {
      startUp(context) {
        ctx = context;
      },
      receive(frame) {
        ctx?.send({ type: 'audio', frame });
      },
      shutdown() {
        counts.shutdown++;
      },
    };
  },
});

let gateway: Gateway;
let wsUrl: string;
let recordDir: string;
/** What `npm run fuzz` drives: the echo handler (no rate of its own) with recordings on. */
let echoGateway: Gateway;
let echoUrl: string;

/** Open descriptors of this process that point into the recordings directory. */
function openRecordingFiles(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(recordDir)) out.push(target);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

async function refusedStart(id: string, mediaFormat: Record<string, unknown>, url = wsUrl): Promise<{ code: string; message: string; closeCode: number }> {
  const client = await WsTestClient.connect(url);
  client.send({ event: 'start', websocket_id: id, mediaFormat });
  const error = await client.waitFor((m) => m.type === 'error');
  return { code: error.code as string, message: error.message as string, closeCode: await client.waitClose() };
}

beforeAll(async () => {
  recordDir = mkdtempSync(join(tmpdir(), 'wg-open-failure-'));
  gateway = createGateway({ handler: countingEcho, port: 0, recordDir });
  wsUrl = `${(await gateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
  echoGateway = createGateway({ handler: echo, port: 0, recordDir: join(recordDir, 'echo') });
  echoUrl = `${(await echoGateway.listen()).url.replace('http', 'ws')}/websocket/offer`;
});
afterAll(async () => {
  await gateway.close();
  await echoGateway.close();
  rmSync(recordDir, { recursive: true, force: true });
});

describe('a session that cannot be built', () => {
  it('a rate beyond 192 kHz is WG_ERR_UNSUPPORTED_FORMAT (1003) before the handler or a recorder is made, not 1011', async () => {
    const before = counts.created;
    for (const [k, sampleRate] of [2_147_483_631, 1e308, 2 ** 53 + 2, 4_294_967_296].entries()) {
      // Echo records at the client's rate: the recorder was where such a rate used to fail.
      expect(await refusedStart(`huge-rate-echo-${k}`, { encoding: 'audio/x-mulaw', sampleRate, channels: 1 }, echoUrl)).toMatchObject({ code: 'WG_ERR_UNSUPPORTED_FORMAT', closeCode: 1003 });
      expect(await refusedStart(`huge-rate-${k}`, { encoding: 'audio/x-mulaw', sampleRate, channels: 1 })).toMatchObject({ code: 'WG_ERR_UNSUPPORTED_FORMAT', closeCode: 1003 });
    }
    expect(counts.created).toBe(before);
    expect(readdirSync(recordDir).filter((f) => f.startsWith('huge-rate-'))).toEqual([]);
    expect(readdirSync(join(recordDir, 'echo')).filter((f) => f.startsWith('huge-rate-'))).toEqual([]);
  });

  it('a failure after the handler and the recorder were made releases both: handler shut down, no recording left open', async () => {
    const created = counts.created;
    const shutdown = counts.shutdown;
    // L16 at 191 999 Hz is a valid format, but 191 999 → 16 000 Hz needs 16 000 filter phases: the
    // input pipeline refuses it, after create() and the recorder.
    for (let k = 0; k < 10; k++) {
      const refused = await refusedStart(`odd-rate-${k}`, { encoding: 'audio/x-l16', sampleRate: 191_999, channels: 1 });
      expect(refused).toMatchObject({ code: 'WG_ERR_UNSUPPORTED_FORMAT', closeCode: 1003 });
      expect(refused.message).toMatch(/filter phases/);
    }
    expect(counts.created - created).toBe(10);
    await expect.poll(() => counts.shutdown - shutdown, { timeout: 5000 }).toBe(10);
    await expect.poll(openRecordingFiles, { timeout: 5000 }).toEqual([]);
    expect(gateway.sessions.registry.size).toBe(0);
  });
});
