import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Plivo's request signature V3 (`X-Plivo-Signature-V3`, nonce in `X-Plivo-Signature-V3-Nonce`), as
 * Plivo's server SDKs validate it: the URL Plivo requested without its query, then `?` and the query
 * parameters `k=v` sorted by name then value and joined with `&`; for a POST, a `.` after a non-empty
 * query (or `?` alone when there is none and the body has fields) and then every body field as name
 * followed by value, sorted the same way, no separators; then `.` and the nonce. HMAC-SHA256 keyed by
 * the auth token, base64. The header may list several signatures separated by commas (one per active
 * auth token); any match passes. Pure.
 */
export type PlivoParams = Iterable<readonly [string, string]>;

function grouped(pairs: PlivoParams): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [name, value] of pairs) map.set(name, [...(map.get(name) ?? []), value]);
  return map;
}

function sortedQuery(pairs: PlivoParams): string {
  const map = grouped(pairs);
  return [...map.keys()].sort().flatMap((name) => map.get(name)!.sort().map((value) => `${name}=${value}`)).join('&');
}

function sortedFields(pairs: PlivoParams): string {
  const map = grouped(pairs);
  return [...map.keys()].sort().flatMap((name) => map.get(name)!.sort().map((value) => name + value)).join('');
}

/** The string Plivo signs (before `.nonce`). */
export function plivoSignedBase(method: 'GET' | 'POST', url: string, body: readonly (readonly [string, string])[]): string {
  const parsed = new URL(url);
  const base = `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  const query = sortedQuery(method === 'GET' ? [...parsed.searchParams, ...body] : parsed.searchParams);
  if (method === 'GET') return query.length > 0 ? `${base}?${query}` : base;
  const hasBody = body.length > 0;
  let signed = base;
  if (query.length > 0 || hasBody) signed += `?${query}`;
  if (query.length > 0 && hasBody) signed += '.';
  return signed + sortedFields(body);
}

export function computePlivoSignatureV3(authToken: string, method: 'GET' | 'POST', url: string, body: readonly (readonly [string, string])[], nonce: string): string {
  return createHmac('sha256', authToken).update(`${plivoSignedBase(method, url, body)}.${nonce}`, 'utf8').digest('base64');
}

export interface PlivoSignatureCheck {
  readonly authToken: string;
  readonly method: 'GET' | 'POST';
  /** The URL Plivo requested (the public URL configured as answer URL), with its query. */
  readonly url: string;
  /** The form fields of a POST body (none for GET). */
  readonly body: readonly (readonly [string, string])[];
  readonly signature: string | undefined;
  readonly nonce: string | undefined;
}

export function isValidPlivoSignatureV3(check: PlivoSignatureCheck): boolean {
  if (typeof check.signature !== 'string' || check.signature.length === 0 || typeof check.nonce !== 'string' || check.nonce.length === 0) return false;
  const expected = Buffer.from(computePlivoSignatureV3(check.authToken, check.method, check.url, check.body, check.nonce), 'utf8');
  let ok = false;
  for (const candidate of check.signature.split(',')) {
    const given = Buffer.from(candidate.trim(), 'utf8');
    if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
  }
  return ok;
}
