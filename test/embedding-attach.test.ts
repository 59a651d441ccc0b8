import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import express from 'express';
import Fastify from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createGateway } from '../src/gateway.js';
import { fastRtcEchoSamples } from './support/fastrtc-echo-check.js';
import { probeHandler } from './support/probe-handler.js';
import { launchWithMicrophoneFile } from './support/talk-page-browser.js';
import { microphoneFile, openTalkPage, stopAndWaitForEnd, talkToEcho } from './support/talk-page-session.js';
import { WsTestClient } from './support/ws-test-client.js';

/** A host app: its own `GET /` and its own WebSocket route `/app-ws` (ws's noServer convention, unknown upgrades destroyed). */
interface HostApp {
  server: Server;
  base: string;
  close(): Promise<void>;
}

function hostUpgrades(server: Server): void {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(JSON.stringify({ app: String(m) }))));
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname === '/app-ws') wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    else socket.destroy();
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return `http://127.0.0.1:${address.port}`;
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const HOSTS: Record<string, () => Promise<HostApp>> = {
  'plain http.Server': async () => {
    const server = createServer((req, res) => {
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/' ? 'app home' : 'app 404');
    });
    hostUpgrades(server);
    return { server, base: await listen(server), close: () => closeServer(server) };
  },
  Express: async () => {
    const app = express();
    app.get('/', (_req, res) => void res.type('text/plain').send('app home'));
    const server = createServer(app);
    hostUpgrades(server);
    return { server, base: await listen(server), close: () => closeServer(server) };
  },
  Fastify: async () => {
    const app = Fastify();
    app.get('/', async (_req, reply) => reply.type('text/plain').send('app home'));
    await app.ready();
    hostUpgrades(app.server);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return { server: app.server, base: `http://127.0.0.1:${address.port}`, close: () => app.close() };
  },
};

async function appStillServes(base: string): Promise<void> {
  const home = await fetch(`${base}/`);
  expect(home.status).toBe(200);
  expect(await home.text()).toBe('app home');
  const client = await WsTestClient.connect(`${base.replace('http', 'ws')}/app-ws`);
  client.socket.send('hi');
  expect(await client.waitFor((m) => m.app === 'hi')).toEqual({ app: 'hi' });
  client.close();
}

let browser: Browser;
let microphone = '';
beforeAll(async () => {
  microphone = microphoneFile(['s01-slt.wav'], 6);
  browser = await launchWithMicrophoneFile(microphone);
});
afterAll(() => browser?.close());

describe.each(Object.keys(HOSTS))('wavegate attached at /voice to %s', (name) => {
  it("serves its routes, WebSockets and talk page under the prefix beside the app's own, and close() leaves the app serving", { timeout: 150_000 }, async () => {
    const host = await HOSTS[name]!();
    const recordDir = mkdtempSync(join(tmpdir(), 'wavegate-attach-'));
    const gateway = createGateway({ handler: probeHandler, port: 0, recordDir });
    try {
      await gateway.attach(host.server, { prefix: '/voice' });
      await appStillServes(host.base);
      expect((await fetch(`${host.base}/voice/healthz`)).status).toBe(200);
      const bare = await fetch(`${host.base}/voice?x=1`, { redirect: 'manual' });
      expect(bare.status).toBe(308);
      expect(bare.headers.get('location')).toBe('/voice/?x=1');
      // The host's paths stay the host's, even ones wavegate has below its prefix.
      expect(await (await fetch(`${host.base}/healthz`)).text()).not.toContain('"status"');

      // A FastRTC client under the prefix gets its echo.
      const echoed = await fastRtcEchoSamples(`${host.base.replace('http', 'ws')}/voice/websocket/offer`, `attach-${name.length}`);
      expect(echoed).toBeGreaterThanOrEqual(12_000);

      // Absolute paths wavegate writes carry the prefix: recording links and the TwiML stream URL.
      const listing = (await (await fetch(`${host.base}/voice/recordings`)).json()) as { recordings: Array<{ url: string }> };
      expect(listing.recordings.length).toBeGreaterThan(0);
      for (const r of listing.recordings) expect(r.url).toMatch(/^\/voice\/recordings\/[^/]+\.wav$/);
      expect((await fetch(`${host.base}${listing.recordings[0]!.url}`)).status).toBe(200);
      const twiml = await (await fetch(`${host.base}/voice/telephone/incoming`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'CallSid=CA1' })).text();
      expect(twiml).toContain(`url="ws://${host.base.slice('http://'.length)}/voice/telephone/handler"`);

      // The call page under the prefix: redirected to its folder, its signaling socket below the prefix too.
      const callBare = await fetch(`${host.base}/voice/call`, { redirect: 'manual' });
      expect(callBare.headers.get('location')).toBe('/voice/call/');
      expect(await (await fetch(`${host.base}/voice/call/`)).text()).toContain('call-page.js');
      const caller = await WsTestClient.connect(`${host.base.replace('http', 'ws')}/voice/ws/call/`);
      caller.send({ type: 'login', data: { name: `attach-${name.length}` } });
      await caller.waitFor((m) => m.type === 'logged_in');
      caller.close();

      // The talk page at /voice/ talks over WebRTC, its every request under the prefix.
      const page = await openTalkPage(browser, `${host.base}/voice`, 'processing=off');
      const asked: string[] = [];
      page.on('request', (r) => asked.push(new URL(r.url()).pathname));
      const run = await talkToEcho(page, microphone, gateway);
      console.log(`${name}: talk page under /voice: correlation ${run.correlation.toFixed(3)}, heard ${run.receivedMs} of ${run.sentMs} ms; requests ${[...new Set(asked)].join(' ')}`);
      expect(run.correlation).toBeGreaterThan(0.8);
      expect(asked.length).toBeGreaterThan(0);
      for (const path of asked) expect(path.startsWith('/voice/')).toBe(true);
      await stopAndWaitForEnd(page, gateway, run.id);
      await page.context().close();
    } finally {
      await gateway.close();
    }
    // Closed: wavegate's routes are gone, the app's are untouched.
    await appStillServes(host.base);
    expect((await fetch(`${host.base}/voice/healthz`)).status).toBe(404);
    await host.close();
  });
});

describe('gateway.handleRequest and handleUpgrade as Express middleware', () => {
  it("app.use('/voice', gateway.handleRequest) and an upgrade handler that asks wavegate first", { timeout: 60_000 }, async () => {
    const gateway = createGateway({ handler: probeHandler, port: 0, prefix: '/voice' });
    await gateway.start();
    const app = express();
    app.use('/voice', gateway.handleRequest);
    app.get('/', (_req, res) => void res.send('app home'));
    app.use((_req, res) => void res.status(404).send('app 404'));
    const server = createServer(app);
    server.on('upgrade', (req, socket, head) => {
      if (!gateway.handleUpgrade(req, socket, head)) socket.destroy();
    });
    const base = await listen(server);
    try {
      expect(await (await fetch(`${base}/`)).text()).toBe('app home');
      expect(((await (await fetch(`${base}/voice/healthz`)).json()) as { status: string }).status).toBe('ok');
      // Below the prefix but not wavegate's: the app's chain answers.
      expect(await (await fetch(`${base}/voice/nothing-here`)).text()).toBe('app 404');
      expect((await (await fetch(`${base}/voice/`)).text())).toContain('<html');
      expect(await fastRtcEchoSamples(`${base.replace('http', 'ws')}/voice/websocket/offer`, 'middleware-1')).toBeGreaterThanOrEqual(12_000);
    } finally {
      await gateway.close();
      await closeServer(server);
    }
  });
});
