import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * CORS for `/webrtc/offer` (Fetch standard §3.2), for clients served from another origin — FastRTC's
 * Next.js demo posts to its backend's `/webrtc/offer` from its own dev server. Off unless origins are
 * allowed (`webrtcAllowedOrigins`: exact origins, or `*` for any); same-origin pages need none of it.
 */
export function corsHeaders(req: IncomingMessage, allowed: readonly string[]): Record<string, string> | undefined {
  const origin = req.headers.origin;
  if (origin === undefined || allowed.length === 0) return undefined;
  if (!allowed.includes('*') && !allowed.includes(origin)) return undefined;
  return { 'access-control-allow-origin': allowed.includes('*') ? '*' : origin, vary: 'Origin' };
}

/** Answers a preflight: 204 with the allowed method and headers (authorization too, for access tokens: docs/security.md), or 403 for an origin not allowed. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse, allowed: readonly string[]): void {
  const headers = corsHeaders(req, allowed);
  if (!headers) {
    res.writeHead(403, { 'content-length': 0 });
    res.end();
    return;
  }
  res.writeHead(204, { ...headers, 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, authorization', 'access-control-max-age': '600', 'content-length': 0 });
  res.end();
}
