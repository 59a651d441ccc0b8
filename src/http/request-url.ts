/**
 * The URL of a request target as the client sent it (`req.url`), parsed as a path on this server:
 * `//host/x` stays the path `//host/x` (resolved against a base it would name another host, and `//`
 * alone does not parse at all). Undefined when it cannot be read as a path (a bad request, 400).
 */
export function requestUrl(target: string | undefined): URL | undefined {
  const raw = target ?? '/';
  try {
    return new URL(`http://localhost${raw.startsWith('/') ? '' : '/'}${raw}`);
  } catch {
    return undefined;
  }
}
