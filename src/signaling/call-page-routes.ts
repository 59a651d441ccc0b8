import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sendJson } from '../http/respond.js';
import type { HttpRoute } from '../http/routes.js';
import { iceServersForPage, type IceServer } from './ice-servers.js';

/** The call page's files: `clients/call-page/` of the package, found from here in src/ or dist/src/. */
export function findCallPageDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'clients', 'call-page');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    dir = dirname(dir);
  }
  throw new Error('wavegate: clients/call-page/index.html not found beside the package');
}

const FILES = {
  'index.html': 'text/html; charset=utf-8',
  'call-page.js': 'text/javascript; charset=utf-8',
  'call-page.css': 'text/css; charset=utf-8',
} as const;

/** Same-origin only; media from the camera and the peer connection need nothing else. */
const CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

export interface CallPageConfig {
  iceServers: readonly IceServer[];
  turnSecret: string | null;
  turnCredentialTtlS: number;
}

/** GET /call/ (the page), its script and style, /call/config.json (ICE servers), /call → /call/. Files are read on first use. */
export function callPageRoutes(config: CallPageConfig, stats: () => unknown): HttpRoute[] {
  const bodies = new Map<string, Promise<Buffer>>();
  const load = (file: string) => {
    let body = bodies.get(file);
    if (!body) bodies.set(file, (body = readFile(join(findCallPageDir(), file))));
    body.catch(() => bodies.delete(file)); // retried on the next request
    return body;
  };
  const serve = (file: keyof typeof FILES) => async (req: IncomingMessage, res: ServerResponse) => {
    const body = await load(file);
    res.writeHead(200, {
      'content-type': FILES[file],
      'content-length': body.length,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      ...(file === 'index.html' && { 'content-security-policy': CSP, 'referrer-policy': 'no-referrer' }),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  const get = ['GET', 'HEAD'] as const;
  return [
    {
      method: get,
      path: '/call',
      access: 'public',
      handle: (_req, res, url, _match, mount) => {
        res.writeHead(308, { location: `${mount.prefix}/call/${url.search}`, 'content-length': 0 });
        res.end();
      },
    },
    { method: get, path: '/call/', handle: serve('index.html'), access: 'public' },
    { method: get, path: '/call/index.html', handle: serve('index.html'), access: 'public' },
    { method: get, path: '/call/call-page.js', handle: serve('call-page.js'), access: 'public' },
    { method: get, path: '/call/call-page.css', handle: serve('call-page.css'), access: 'public' },
    {
      method: get,
      path: '/call/config.json',
      access: 'call',
      handle: (_req, res) =>
        sendJson(res, 200, { iceServers: iceServersForPage(config.iceServers, config.turnSecret, config.turnCredentialTtlS, Date.now()) }, { 'cache-control': 'no-store' }),
    },
    { method: get, path: '/call/stats.json', handle: (_req, res) => sendJson(res, 200, stats(), { 'cache-control': 'no-store' }) },
  ];
}
