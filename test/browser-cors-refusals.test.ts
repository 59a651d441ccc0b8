// CORS on refusals in a real browser (docs/security.md#refusals): a page served from another origin that the
// gateway allows (`webrtcAllowedOrigins`) reads the code and message of a 401 or 429 from POST /webrtc/offer
// and POST /input with fetch (Chromium enforces CORS: without the headers on the refusal, fetch rejects with a
// bare TypeError, which is what a page of an origin not allowed still gets).
import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import echo from '../handlers/echo.js';
import { createGateway, type Gateway } from '../src/gateway.js';
import { launchChromium } from './support/talk-page-browser.js';

const SECRET = 'browser-cors-secret-of-32-characters';

function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>another origin</title><p>a page of another origin</p>');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` })));
}

interface Seen {
  readonly ok: boolean;
  readonly status?: number;
  readonly code?: string;
  readonly message?: string;
  readonly retryAfter?: string | null;
  readonly error?: string;
}

describe('a page of an allowed origin reads refusals (Chromium)', () => {
  let browser: Browser;
  let gateway: Gateway;
  let base = '';
  let allowed: Awaited<ReturnType<typeof pageServer>>;
  let stranger: Awaited<ReturnType<typeof pageServer>>;
  beforeAll(async () => {
    allowed = await pageServer();
    stranger = await pageServer();
    gateway = createGateway({ handler: echo, port: 0, authSecret: SECRET, webrtcAllowedOrigins: [allowed.origin], clientRequestsPerSecond: 4 });
    base = (await gateway.listen()).url;
    browser = await launchChromium([]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    allowed?.server.close();
    stranger?.server.close();
  });

  /** Runs fetches in a page of `origin`: each the status, code and message it could read, or the error it got. */
  async function fetchFrom(origin: string, requests: ReadonlyArray<{ path: string; body: unknown }>): Promise<Seen[]> {
    const page = await browser.newPage();
    try {
      await page.goto(origin);
      return await page.evaluate(
        async ({ gateway, requests }) => {
          const out: Seen[] = [];
          for (const { path, body } of requests) {
            try {
              const response = await fetch(gateway + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
              const json = await response.json();
              out.push({ ok: true, status: response.status, code: json?.error?.code, message: json?.error?.message, retryAfter: response.headers.get('retry-after') });
            } catch (err) {
              out.push({ ok: false, error: String(err) });
            }
          }
          return out;
        },
        { gateway: base, requests },
      );
    } finally {
      await page.close();
    }
  }

  it('401 from /webrtc/offer and /input (JSON: preflighted), then 429 with its Retry-After', { timeout: 60_000 }, async () => {
    const offer = { path: '/webrtc/offer', body: { webrtc_id: 'cors-page', type: 'offer', sdp: 'v=0' } };
    const input = { path: '/input', body: { webrtc_id: 'cors-page' } };
    await new Promise((r) => setTimeout(r, 1100)); // a fresh one-second window for the rate
    const seen = await fetchFrom(allowed.origin, [offer, input, offer, offer, offer, offer]);
    expect(seen[0]).toMatchObject({ ok: true, status: 401, code: 'WG_ERR_UNAUTHORIZED', message: expect.stringContaining('no access token') });
    expect(seen[1]).toMatchObject({ ok: true, status: 401, code: 'WG_ERR_UNAUTHORIZED' });
    const limited = seen.find((s) => s.status === 429);
    expect(limited).toMatchObject({ ok: true, code: 'WG_ERR_CLIENT_RATE_LIMIT', retryAfter: expect.stringMatching(/^\d+$/) });
    expect(seen.every((s) => s.ok)).toBe(true);
  });

  it('a page of an origin not allowed gets no CORS: its fetch fails without seeing the answer', { timeout: 60_000 }, async () => {
    await new Promise((r) => setTimeout(r, 1100));
    const seen = await fetchFrom(stranger.origin, [{ path: '/webrtc/offer', body: { webrtc_id: 'cors-page', type: 'offer', sdp: 'v=0' } }]);
    expect(seen).toEqual([{ ok: false, error: expect.stringContaining('TypeError') }]);
  });
});
