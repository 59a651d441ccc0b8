import type { IncomingMessage } from 'node:http';

/**
 * The address a request came from, for per-client limits (docs/security.md#abuse-limits). With
 * `trustProxyHops` = 0 it is the TCP peer. With N > 0 the gateway sits behind N proxies that each
 * append to `X-Forwarded-For`: the client is the Nth address from the right, the one the outermost
 * trusted proxy saw (entries left of it are whatever the client claimed, and are never believed).
 * Pure given the request.
 */
export function clientAddress(req: IncomingMessage, trustProxyHops: number): string {
  const peer = normalize(req.socket.remoteAddress ?? 'unknown');
  if (trustProxyHops <= 0) return peer;
  const header = req.headers['x-forwarded-for'];
  const list = (Array.isArray(header) ? header.join(',') : header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const chain = [...list, peer];
  // chain[-1] is our TCP peer (proxy 1); each trusted hop moves one to the left.
  const index = Math.max(0, chain.length - 1 - trustProxyHops);
  return normalize(chain[index]!);
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
