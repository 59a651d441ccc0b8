import { coalesceRanges, parseRangeHeader, resolveRanges, type ResolvedRange } from './byte-range.js';
import { ifRangeHolds } from './conditional-request.js';

/**
 * Pure decision for one recording request: whole body, one range, 416, or (live files only) "wait
 * until the file has grown to N bytes, then ask again". Follows RFC 9110 §13.1.5 (If-Range) and
 * §14 (Range), plus the live rules documented in docs/recordings.md:
 *
 * - An open range (`bytes=N-`) on a live file is answered with the whole growing body (200, no
 *   length): a 206 must name its last byte, and a finite 206 makes players take it as the end.
 * - A closed or suffix range on a live file is answered from the bytes that exist, with
 *   `Content-Range: bytes A-B/*` (complete length unknown); when its first byte does not exist yet the
 *   request waits (bounded, by the caller) for the file to grow.
 * - Several ranges that do not coalesce into one are answered with the whole representation
 *   (no multipart/byteranges).
 */

export interface RangeRequest {
  readonly method: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
}

export interface RepresentationState {
  /** Bytes of the representation that exist now. */
  readonly size: number;
  /** Still growing (a recording in progress). */
  readonly live: boolean;
  /** Strong entity tag, only for immutable (finished) representations. */
  readonly etag: string | undefined;
  /** Last-Modified as sent (HTTP-date), used by If-Range only for immutable representations. */
  readonly lastModified: string | undefined;
}

export type RangePlan =
  | { readonly kind: 'full'; readonly why: 'no-range' | 'head' | 'if-range-failed' | 'ignored-range' | 'multiple-ranges' | 'live-open-range' }
  | { readonly kind: 'partial'; readonly range: ResolvedRange }
  | { readonly kind: 'unsatisfiable' }
  | { readonly kind: 'wait'; readonly untilSize: number };

export interface PlanOptions {
  /** Whether a live request may still wait for growth (false once the caller's wait has ended). */
  readonly mayWait: boolean;
}

export function planRange(request: RangeRequest, rep: RepresentationState, options: PlanOptions): RangePlan {
  // RFC 9110 §14.2: range handling is defined for GET only.
  if (request.method !== 'GET') return { kind: 'full', why: 'head' };
  if (request.range === undefined) return { kind: 'full', why: 'no-range' };
  if (request.ifRange !== undefined && !ifRangeHolds(request.ifRange, rep)) return { kind: 'full', why: 'if-range-failed' };
  const parsed = parseRangeHeader(request.range);
  if (parsed.kind !== 'bytes') return { kind: 'full', why: 'ignored-range' };

  if (rep.live) {
    const [only, ...rest] = parsed.specs;
    if (only === undefined || rest.length > 0) return { kind: 'full', why: 'multiple-ranges' };
    if (only.kind === 'int' && only.last === undefined) return { kind: 'full', why: 'live-open-range' };
    if (only.kind === 'int' && only.first >= rep.size && options.mayWait) return { kind: 'wait', untilSize: only.first + 1 };
    const [range] = resolveRanges(parsed.specs, rep.size);
    return range === undefined ? { kind: 'unsatisfiable' } : { kind: 'partial', range };
  }

  const ranges = coalesceRanges(resolveRanges(parsed.specs, rep.size));
  if (ranges.length === 0) return { kind: 'unsatisfiable' };
  const [range, ...others] = ranges;
  if (range === undefined || others.length > 0) return { kind: 'full', why: 'multiple-ranges' };
  return { kind: 'partial', range };
}
