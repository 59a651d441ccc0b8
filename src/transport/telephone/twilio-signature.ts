import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Twilio's request signature (`X-Twilio-Signature`), per Twilio's "Webhooks security" page: take the
 * full URL Twilio requested (scheme, host, path, query), append every POST parameter as name then
 * value with the names sorted (a repeated name contributes each of its values, sorted), HMAC-SHA1 the
 * UTF-8 string with the account's auth token as key, and base64 the digest. Pure.
 */
export type SignatureParams = Iterable<readonly [string, string]> | Readonly<Record<string, string | readonly string[]>>;

export function computeTwilioSignature(authToken: string, url: string, params: SignatureParams): string {
  const grouped = new Map<string, string[]>();
  const pairs: Iterable<readonly [string, string | readonly string[]]> = isIterable(params) ? params : Object.entries(params);
  for (const [name, value] of pairs) {
    const list = grouped.get(name) ?? [];
    if (typeof value === 'string') list.push(value);
    else list.push(...value);
    grouped.set(name, list);
  }
  let data = url;
  for (const name of [...grouped.keys()].sort()) {
    for (const value of grouped.get(name)!.sort()) data += name + value;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export interface SignatureCheck {
  readonly authToken: string;
  /** The `X-Twilio-Signature` header; undefined when the request had none. */
  readonly signature: string | undefined;
  /** The URL Twilio requested, as configured in the Twilio console. */
  readonly url: string;
  readonly params: SignatureParams;
}

/**
 * True when the signature matches. Compared in constant time. The URL is also tried with the default
 * port added or removed (`https://h/x` ↔ `https://h:443/x`), as Twilio's own libraries do, because
 * proxies differ in whether they pass the port on.
 */
export function isValidTwilioSignature(check: SignatureCheck): boolean {
  if (typeof check.signature !== 'string' || check.signature.length === 0) return false;
  const params = isIterable(check.params) ? [...check.params] : check.params;
  const given = Buffer.from(check.signature, 'utf8');
  let ok = false;
  for (const url of urlVariants(check.url)) {
    const expected = Buffer.from(computeTwilioSignature(check.authToken, url, params), 'utf8');
    // Every variant is computed and compared, so the time taken does not tell which one matched.
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

const ORIGIN = /^(https?):\/\/([^/?#:]+|\[[^\]]+\])(?::(\d+))?/i;

/** The URL as given, plus the same URL with its default port toggled (textually: nothing else changes). */
export function urlVariants(url: string): string[] {
  const match = ORIGIN.exec(url);
  if (match === null) return [url];
  const [whole, scheme, host, port] = match as unknown as [string, string, string, string | undefined];
  const defaultPort = scheme.toLowerCase() === 'https' ? '443' : '80';
  const rest = url.slice(whole.length);
  if (port === undefined) return [url, `${scheme}://${host}:${defaultPort}${rest}`];
  if (port === defaultPort) return [url, `${scheme}://${host}${rest}`];
  return [url];
}

function isIterable(value: SignatureParams): value is Iterable<readonly [string, string]> {
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}
