import { request, type IncomingMessage, type ServerResponse } from 'node:http';
import { sendError } from '../http/respond.js';
import type { GatewayComponent, HttpRoute } from '../http/routes.js';
import type { SessionHost } from '../session/session-host.js';

/** Marks a request one node proxied to another: the owner serves it from its own disk, never again onwards. */
export const PROXIED_HEADER = 'x-wavegate-proxied-by';
const FORWARDED_REQUEST_HEADERS = ['range', 'if-range', 'if-none-match', 'if-modified-since', 'authorization', 'accept'] as const;

/**
 * `GET /recordings/{id}.wav` of a session another node holds is proxied to that node's advertised URL
 * (docs/scale-out.md#routing): the client keeps one URL whatever node the load balancer picks, Range
 * requests and the growing body pass through, and the owner checks signatures itself.
 */
export function withRecordingProxy(component: GatewayComponent, host: SessionHost): GatewayComponent {
  const wrap = (route: HttpRoute): HttpRoute => {
    if (!(route.path instanceof RegExp) || route.path.source !== '^\\/recordings\\/([^/]+)$') return route;
    return {
      ...route,
      handle: async (req, res, url, match, mount) => {
        const url2 = await ownerFor(host, req, match);
        if (url2 === undefined) return route.handle(req, res, url, match, mount);
        // The owner's advertised URL includes its mount prefix; `url` is the path below ours.
        await proxy(req, res, new URL(`${url2.replace(/\/+$/, '')}${url.pathname}${url.search}`), host.cluster?.directory.nodeId ?? '');
      },
    };
  };
  return { ...component, ...(component.httpRoutes && { httpRoutes: component.httpRoutes.map(wrap) }) };
}

async function ownerFor(host: SessionHost, req: IncomingMessage, match: RegExpMatchArray | null): Promise<string | undefined> {
  if (!host.remote || req.headers[PROXIED_HEADER] !== undefined) return undefined;
  const name = match?.[1] ?? '';
  if (!name.endsWith('.wav')) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(name.slice(0, -'.wav'.length));
  } catch {
    return undefined;
  }
  if (host.registry.get(id)) return undefined;
  return host.remote.ownerUrl(id);
}

function proxy(req: IncomingMessage, res: ServerResponse, target: URL, nodeId: string): Promise<void> {
  const headers: Record<string, string> = { [PROXIED_HEADER]: nodeId };
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return new Promise((resolve) => {
    const upstream = request(target, { method: req.method, headers, timeout: 30_000 }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.once('end', () => resolve());
      answer.once('error', () => {
        res.destroy();
        resolve();
      });
    });
    upstream.once('timeout', () => upstream.destroy(new Error('timeout')));
    upstream.once('error', (err) => {
      if (!res.headersSent) sendError(res, 'WG_ERR_OWNER_UNAVAILABLE', `${target.origin}: ${err.message}`);
      else res.destroy();
      resolve();
    });
    res.once('close', () => upstream.destroy());
    upstream.end();
  });
}
