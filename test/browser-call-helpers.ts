// Test helper (not a test): Debian's Chromium through playwright-core, the call page, and checks
// that a call really carries media.
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';

/** Flags every headless Chromium of the tests needs here (root, no GPU, no network of its own). */
export const CHROMIUM_BASE_ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] as const;

/** Debian's Chromium with CHROMIUM_BASE_ARGS and `args`; fails plainly when the package is missing. */
export async function launchChromiumWith(args: readonly string[]): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (see .ci/run)`);
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_BASE_ARGS, ...args] });
}

/** A fake microphone and camera, allowed without asking. */
export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] as const;

export function launchChromium(): Promise<Browser> {
  return launchChromiumWith(FAKE_MEDIA_ARGS);
}

/** A fresh browser context (one user) on the call page of `baseUrl`, logged in as `name`. */
export async function openCallPage(browser: Browser, baseUrl: string, name: string, query = ''): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[${name}] page error:`, err));
  await page.goto(`${baseUrl}/call/${query === '' ? '' : `?${query}`}`);
  await waitForState(page, 'logged-out');
  await page.fill('#name', name);
  await page.click('#login');
  await waitForState(page, 'idle');
  return page;
}

export async function waitForState(page: Page, state: string, timeout = 20_000): Promise<void> {
  await page.waitForSelector(`body[data-state="${state}"]`, { state: 'attached', timeout });
}

/** Calls `callee` from `caller`'s page, answers on `callee`'s, waits for both peer connections to connect. */
export async function callAndAnswer(caller: Page, callee: Page, calleeName: string): Promise<void> {
  await caller.fill('#callee', calleeName);
  await caller.click('#call');
  await waitForState(callee, 'ringing');
  await callee.click('#answer');
  await Promise.all([waitForState(caller, 'in-call'), waitForState(callee, 'in-call')]);
  await Promise.all([caller, callee].map((p) => p.waitForFunction(() => (window as any).wavegateCall.pc?.connectionState === 'connected', null, { timeout: 30_000 })));
}

/** The remote <video> shows frames (videoWidth > 0) and plays (currentTime advances); returns what was seen. */
export async function expectRemoteVideoPlays(page: Page, selector = '#remote-video'): Promise<{ width: number; advancedS: number; audioTracks: number }> {
  await page.waitForFunction((sel) => {
    const v = document.querySelector(sel) as HTMLVideoElement | null;
    return !!v && v.videoWidth > 0 && v.currentTime > 0;
  }, selector, { timeout: 30_000 });
  const read = () => page.evaluate((sel) => {
    const v = document.querySelector(sel) as HTMLVideoElement;
    const stream = v.srcObject as MediaStream | null;
    return { width: v.videoWidth, time: v.currentTime, paused: v.paused, audioTracks: stream?.getAudioTracks().length ?? 0 };
  }, selector);
  const first = await read();
  await page.waitForTimeout(1500);
  const second = await read();
  expect(first.width).toBeGreaterThan(0);
  expect(second.paused).toBe(false);
  expect(second.time - first.time).toBeGreaterThan(0.5);
  return { width: second.width, advancedS: second.time - first.time, audioTracks: second.audioTracks };
}

/**
 * Serves the seed's client fixture the way its Django project did: the page and `/ws/call/` on one
 * host. A small HTTP server hands out the fixture files and passes WebSocket upgrades through to the
 * gateway byte for byte (the seed's client connects to `ws://` + its page's host). Playwright's
 * request routing is not used: Chromium refuses WebSockets from a document it did not load itself.
 */
export async function seedFixtureServer(gatewayUrl: string): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(gatewayUrl);
  const dir = new URL('./fixtures/seed-call-client/', import.meta.url);
  const server = createServer((req, res) => {
    const file = (req.url ?? '/').split('?')[0] === '/seed-client.js' ? 'seed-client.js' : 'index.html';
    const body = readFileSync(new URL(file, dir));
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html', 'content-length': body.length });
    res.end(body);
  });
  const sockets = new Set<Socket>();
  server.on('upgrade', (req, socket: Socket, head: Buffer) => {
    const upstream = connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.once('close', () => {
        sockets.delete(s);
        socket.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The seed's client page (from seedFixtureServer) in a fresh context, logged in as `name` through its own connectSocket(). */
export async function openSeedClient(browser: Browser, fixtureUrl: string, name: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[seed ${name}] page error:`, err));
  page.on('dialog', (d) => void d.dismiss()); // the seed alert()s on getUserMedia errors
  // The seed's client ignores our `logged_in`; the test reads it off the wire to know the name is held.
  const loggedIn = new Promise<void>((resolve) =>
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (String(payload).startsWith('{"type":"logged_in"')) resolve();
      }),
    ),
  );
  await page.goto(`${fixtureUrl}/`);
  await page.evaluate((n) => (window as any).login(n), name);
  await loggedIn;
  return page;
}
