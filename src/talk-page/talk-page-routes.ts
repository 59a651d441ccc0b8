import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GatewayOptions } from '../gateway-options.js';
import { sendJson } from '../http/respond.js';
import type { GatewayComponent, HttpRoute } from '../http/routes.js';
import { iceServersForPage } from '../signaling/ice-servers.js';

/** The talk page's files: `clients/talk-page/` of the package, found from here in src/ or dist/src/. */
export function findTalkPageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'clients', 'talk-page');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('wavegate: clients/talk-page/index.html not found beside the package');
}

const JS = 'text/javascript; charset=utf-8';
/** Every file the page loads, served under `/talk/` (the page itself is `/`). Nothing else is read from the folder. */
export const TALK_PAGE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'talk-page.css': 'text/css; charset=utf-8',
  'talk-page.js': JS,
  'talk-view.js': JS,
  'talk-options.js': JS,
  'talk-inputs-outputs.js': JS,
  'talk-messages.js': JS,
  'level-meter.js': JS,
  'webrtc-transport.js': JS,
  'websocket-transport.js': JS,
  'pcm-capture-worklet.js': JS,
  'pcm-playback-worklet.js': JS,
};

/**
 * Same origin only, no inline script or style. `ws:`/`wss:` because CSP Level 3's 'self' covering
 * WebSockets is not in every browser yet; AudioWorklet modules fall under script-src.
 */
export const TALK_PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the page learns from `GET /talk/config.json` (docs/talk-page.md). */
export interface TalkPageConfig {
  handler: { name: string };
  concurrencyLimit: number | null;
  timeLimitS: number | null;
  /** `list` is the relative URL of the recordings listing; null when recording is off or the listing must be signed. */
  recordings: { enabled: boolean; signed: boolean; list: string | null };
  iceServers: unknown[];
}

export function talkPageConfig(options: GatewayOptions, now: number): TalkPageConfig {
  const recording = options.recordDir !== null;
  const signed = options.recordingsSecret !== null;
  return {
    handler: { name: options.handler.name },
    concurrencyLimit: options.concurrencyLimit,
    timeLimitS: options.timeLimitS,
    recordings: { enabled: recording, signed, list: recording && !signed ? 'recordings' : null },
    iceServers: iceServersForPage(options.iceServers, options.turnSecret, options.turnCredentialTtlS, now) as unknown[],
  };
}

/** GET / (the talk page), GET /talk/{file} (its scripts, worklets and style), GET /talk/config.json. Files are read on first use. */
export function talkPageRoutes(options: GatewayOptions): HttpRoute[] {
  const bodies = new Map<string, Promise<Buffer>>();
  const load = (file: string) => {
    let body = bodies.get(file);
    if (!body) bodies.set(file, (body = readFile(join(findTalkPageDir(), file))));
    body.catch(() => bodies.delete(file)); // retried on the next request
    return body;
  };
  const serve = (file: string) => async (req: IncomingMessage, res: ServerResponse) => {
    const body = await load(file);
    res.writeHead(200, {
      'content-type': TALK_PAGE_FILES[file]!,
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(file === 'index.html' && { 'content-security-policy': TALK_PAGE_CSP, 'referrer-policy': 'no-referrer' }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const get = ['GET', 'HEAD'] as const;
  return [
    { method: get, path: '/', handle: serve('index.html'), access: 'public' },
    ...Object.keys(TALK_PAGE_FILES)
      .filter((file) => file !== 'index.html')
      .map((file): HttpRoute => ({ method: get, path: `/talk/${file}`, handle: serve(file), access: 'public' })),
    { method: get, path: '/talk/config.json', access: 'talk', handle: (_req, res) => sendJson(res, 200, talkPageConfig(options, Date.now()), { 'cache-control': 'no-store' }) },
  ];
}

export function talkPageComponent(options: GatewayOptions): GatewayComponent {
  return { name: 'talk-page', httpRoutes: talkPageRoutes(options) };
}
