import type { RepresentationState } from './range-plan.js';

/** Pure RFC 9110 §13 precondition checks for recordings (If-Range, If-None-Match, If-Modified-Since). */

/**
 * §13.1.5: an entity-tag matches only by strong comparison (weak tags never do); a date matches
 * only if it equals Last-Modified exactly. Live representations have neither validator, so If-Range
 * never holds for them and the whole body is sent.
 */
export function ifRangeHolds(ifRange: string, rep: Pick<RepresentationState, 'etag' | 'lastModified' | 'live'>): boolean {
  if (rep.live) return false;
  const value = ifRange.trim();
  if (value.startsWith('W/')) return false;
  if (value.startsWith('"')) return rep.etag !== undefined && value === rep.etag;
  if (rep.lastModified === undefined) return false;
  const asked = Date.parse(value);
  return Number.isFinite(asked) && asked === Date.parse(rep.lastModified);
}

/** The entity-tags listed in an If-None-Match value (`*` stays `*`). */
function listedTags(value: string): string[] {
  return value.match(/\*|(?:W\/)?"[^"]*"/g) ?? [];
}

/**
 * §13.1.2 / §13.1.3 for GET and HEAD: true when the client's copy is current (answer 304).
 * If-None-Match uses weak comparison and, when present, If-Modified-Since is ignored.
 */
export function isNotModified(
  headers: { readonly ifNoneMatch: string | undefined; readonly ifModifiedSince: string | undefined },
  rep: Pick<RepresentationState, 'etag' | 'lastModified' | 'live'>,
): boolean {
  if (rep.live) return false;
  if (headers.ifNoneMatch !== undefined) {
    if (rep.etag === undefined) return false;
    const opaque = rep.etag.replace(/^W\//, '');
    return listedTags(headers.ifNoneMatch).some((tag) => tag === '*' || tag.replace(/^W\//, '') === opaque);
  }
  if (headers.ifModifiedSince === undefined || rep.lastModified === undefined) return false;
  const since = Date.parse(headers.ifModifiedSince);
  const modified = Date.parse(rep.lastModified);
  return Number.isFinite(since) && Number.isFinite(modified) && modified <= since;
}
