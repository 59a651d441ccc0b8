import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EchoBystander } from '../bench/lib/echo-bystander.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import echo from '../handlers/echo.js';

/**
 * Bystander fidelity (issue 15, docs/security.md "Bystander fidelity"): an echo session returns what it
 * got, within one frame per talk spurt, through event-loop stalls (busy-waits in this process hold up
 * the gateway and the client alike; the frames sent meanwhile then arrive together). A stall longer
 * than the input jitter buffer (64 packets, 1.28 s) right after a spurt began used to drop the burst's
 * earliest packets (the burst counts as a sender ahead of real time, paced one frame per tick, so the
 * buffer filled and overflowed): 0.73 of the audio came back here, 0.98 for the fuzzed bystander.
 */
describe('an echo returns what it got through event-loop stalls', () => {
  let gateway: Gateway;
  let url: string;
  beforeAll(async () => {
    gateway = createGateway({ handler: echo, port: 0, idleTimeoutS: 30 });
    url = (await gateway.listen()).url;
  });
  afterAll(() => gateway.close());

  it("stalls of 50 ms to 2.5 s, at a spurt's start and mid-spurt: samples back / sent within [0.99, 1.01], ± one frame per spurt", async () => {
    const stalls = new Map([[20, 150], [60, 400], [130, 1600], [200, 60], [300, 2500], [152, 2000], [330, 900], [400, 50]]);
    const bystander = await EchoBystander.start(url, { spurtFrames: 150, pauseMs: 500, stallBefore: (k) => stalls.get(k) ?? 0 });
    await new Promise((r) => setTimeout(r, 11_000));
    const result = await bystander.stop();
    expect(result.closeCode).toBe(1000);
    expect(result.errors).toEqual([]);
    expect(result.ratio).toBeGreaterThanOrEqual(0.99);
    expect(result.ratio).toBeLessThanOrEqual(1.01);
    expect(Math.abs(result.backSamples - result.sentSamples)).toBeLessThanOrEqual(result.spurts * 160);
  });
});
