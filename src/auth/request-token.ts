import type { IncomingMessage } from 'node:http';

/**
 * The access token a request presents: `Authorization: Bearer T`, else `?token=T` (browsers cannot
 * set headers on WebSockets, EventSource or media elements). Undefined when there is none.
 */
export function requestToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer[ \t]+([^ \t]+)[ \t]*$/i.exec(header);
    if (match) return match[1];
  }
  const query = url.searchParams.get('token');
  return query === null || query.length === 0 ? undefined : query;
}
