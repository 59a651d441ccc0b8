import type { IncomingHttpHeaders } from 'node:http';
import { WavegateError } from '../../errors/wavegate-error.js';

/**
 * Where the outside world reaches this gateway. Twilio signs the URL it requested and must be told a
 * URL it can reach for the media stream; behind a proxy or tunnel neither is what the server sees.
 *
 * With a configured public URL (`--public-url https://voice.example.com/wavegate`) that is the base:
 * its scheme, host, port and path prefix are kept. Without one, the base comes from the request:
 * `X-Forwarded-Proto` / `X-Forwarded-Host` when a proxy set them, else `Host`, over https when the
 * request came in over wavegate's own TLS.
 * Pure: headers in, URLs out.
 */
export interface PublicBase {
  /** `http:` or `https:`. */
  readonly protocol: 'http:' | 'https:';
  /** Host with the port when one is given (`example.com`, `example.com:8443`, `[::1]:8000`). */
  readonly host: string;
  /** Path prefix without a trailing slash ('' or '/wavegate'). */
  readonly pathPrefix: string;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Parses and checks `--public-url`; throws a TypeError naming the value (an option error). */
export function parsePublicUrl(text: string): PublicBase {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Expected \`publicUrl\` to be an absolute http(s) URL, got \`${text}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Expected \`publicUrl\` to use http or https (wss/ws are derived from it), got \`${text}\``);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new TypeError(`Expected \`publicUrl\` without query, fragment or credentials, got \`${text}\``);
  }
  return { protocol: url.protocol, host: url.host, pathPrefix: url.pathname.replace(/\/+$/, '') };
}

/** The base for one request: the configured one, else derived from the request's headers. */
export function publicBaseFor(headers: IncomingHttpHeaders, configured: PublicBase | null, overTls = false): PublicBase {
  if (configured !== null) return configured;
  const forwardedProto = firstValue(headers['x-forwarded-proto'])?.toLowerCase();
  const host = firstValue(headers['x-forwarded-host']) ?? firstValue(headers.host);
  if (host === undefined || !HOST.test(host)) {
    throw new WavegateError('WG_ERR_BAD_REQUEST', `cannot tell the public host from Host ${JSON.stringify(host ?? null)}; set --public-url`);
  }
  const protocol = forwardedProto === 'https' || (forwardedProto === undefined && overTls) ? 'https:' : 'http:';
  return { protocol, host, pathPrefix: '' };
}

/** The full URL the client requested (for signatures): base + the request's path and query. */
export function requestedUrl(base: PublicBase, requestTarget: string): string {
  return `${base.protocol}//${base.host}${base.pathPrefix}${requestTarget.startsWith('/') ? requestTarget : `/${requestTarget}`}`;
}

/** The WebSocket URL of `path` on the public base: https → wss, http → ws; host, port and prefix kept. */
export function webSocketUrl(base: PublicBase, path: string): string {
  return `${base.protocol === 'https:' ? 'wss:' : 'ws:'}//${base.host}${base.pathPrefix}${path}`;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  const first = text?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}
