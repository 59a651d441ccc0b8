import type { IncomingMessage } from 'node:http';

/**
 * `--allowed-origin` (docs/security.md#abuse-limits): a browser says which page made a WebSocket or
 * cross-site request in `Origin`. With origins configured, a request whose Origin is neither the
 * gateway itself (same host as `Host`) nor listed is refused: a page on another site cannot ride a
 * visitor's network position (cross-site WebSocket hijacking). No Origin (non-browser clients) passes;
 * so does everything when no origin is configured. Pure.
 */
export function isOriginAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const forwardedHost = req.headers['x-forwarded-host'];
  const own = [req.headers.host, ...(typeof forwardedHost === 'string' ? forwardedHost.split(',').map((s) => s.trim()) : [])];
  return origin !== 'null' && own.includes(host);
}
