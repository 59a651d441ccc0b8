/**
 * The path prefix wavegate is mounted under in a host app (`gateway.attach(server, { prefix: '/voice' })`,
 * docs/embedding.md). Pure: strings in, strings out.
 */

/** '' or '/a/b': a leading slash, no trailing one, no empty, dot or encoded segments. Throws a TypeError naming the value. */
export function normalizePrefix(prefix: string): string {
  if (typeof prefix !== 'string') throw new TypeError(`Expected \`prefix\` to be a path like '/voice', got \`${String(prefix)}\` (${typeof prefix})`);
  const trimmed = prefix.replace(/\/+$/, '');
  if (trimmed === '') return '';
  const segments = trimmed.split('/');
  const ok = segments[0] === '' && segments.slice(1).every((s) => /^[A-Za-z0-9._~!$&'()*+,;=:@-]+$/.test(s) && s !== '.' && s !== '..');
  if (!ok) throw new TypeError(`Expected \`prefix\` to be a path like '/voice' (segments of URL-safe characters), got \`${prefix}\``);
  return trimmed;
}

/**
 * Where `pathname` lands inside the mount: the path wavegate's routes see ('/websocket/offer'),
 * `'redirect'` for the bare prefix ('/voice', whose relative links need '/voice/'), or undefined
 * when the path is the host app's.
 */
export function innerPath(prefix: string, pathname: string): string | 'redirect' | undefined {
  if (prefix === '') return pathname;
  if (pathname === prefix) return 'redirect';
  return pathname.startsWith(`${prefix}/`) ? pathname.slice(prefix.length) : undefined;
}
