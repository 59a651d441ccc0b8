/**
 * Pure RFC 9110 §14.1–14.2 byte-range parsing: `Range` header text in, range specs out, then the
 * specs resolved against a representation length. No I/O, no clock.
 *
 * Written here rather than taken from `range-parser` (1.3.0) because that package answers
 * "unsatisfiable" for a suffix longer than the representation (RFC 9110 §14.1.3: use the whole;
 * jshttp/range-parser#66 is merged but unreleased), calls `bytes=5-2` unsatisfiable rather than
 * invalid, and drops the form of each range (open `N-`, closed `A-B`, suffix `-N`), which the
 * live-recording rules need.
 */

export type ByteRangeSpec =
  /** `first-last` or `first-` (then `last` is undefined). */
  | { readonly kind: 'int'; readonly first: number; readonly last: number | undefined }
  /** `-length`: the last `length` bytes. */
  | { readonly kind: 'suffix'; readonly length: number };

export type ParsedRange =
  | { readonly kind: 'bytes'; readonly specs: readonly ByteRangeSpec[] }
  /** A unit other than `bytes`: RFC 9110 §14.2 says an origin server MUST ignore the header. */
  | { readonly kind: 'unknown-unit'; readonly unit: string }
  /** Syntax error, `last < first`, or absurd input: the header is ignored (RFC 9110 §14.2 MAY). */
  | { readonly kind: 'invalid'; readonly reason: string };

export interface ResolvedRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/** More specs than this in one header is treated as invalid (a cheap guard against range floods). */
export const MAX_RANGE_SPECS = 64;

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const DIGITS = /^[0-9]{1,15}$/;

export function parseRangeHeader(value: string): ParsedRange {
  const eq = value.indexOf('=');
  if (eq <= 0) return { kind: 'invalid', reason: 'no range unit' };
  const unit = value.slice(0, eq);
  if (!TOKEN.test(unit)) return { kind: 'invalid', reason: 'range unit is not a token' };
  if (unit.toLowerCase() !== 'bytes') return { kind: 'unknown-unit', unit };
  const specs: ByteRangeSpec[] = [];
  // RFC 9110 §5.6.1: list elements are separated by commas with optional whitespace; empty elements are ignored.
  for (const element of value.slice(eq + 1).split(',')) {
    const text = element.trim();
    if (text === '') continue;
    if (specs.length === MAX_RANGE_SPECS) return { kind: 'invalid', reason: `more than ${MAX_RANGE_SPECS} ranges` };
    const dash = text.indexOf('-');
    if (dash < 0) return { kind: 'invalid', reason: `range ${JSON.stringify(text)} has no "-"` };
    const firstText = text.slice(0, dash);
    const lastText = text.slice(dash + 1);
    if (firstText === '') {
      if (!DIGITS.test(lastText)) return { kind: 'invalid', reason: `suffix length ${JSON.stringify(lastText)}` };
      specs.push({ kind: 'suffix', length: Number(lastText) });
      continue;
    }
    if (!DIGITS.test(firstText)) return { kind: 'invalid', reason: `first byte ${JSON.stringify(firstText)}` };
    if (lastText !== '' && !DIGITS.test(lastText)) return { kind: 'invalid', reason: `last byte ${JSON.stringify(lastText)}` };
    const first = Number(firstText);
    const last = lastText === '' ? undefined : Number(lastText);
    if (last !== undefined && last < first) return { kind: 'invalid', reason: `last byte ${last} before first byte ${first}` };
    specs.push({ kind: 'int', first, last });
  }
  if (specs.length === 0) return { kind: 'invalid', reason: 'no ranges' };
  return { kind: 'bytes', specs };
}

/**
 * The satisfiable specs as absolute inclusive ranges over a representation of `size` bytes, in request
 * order; an empty array means "unsatisfiable" (416). A zero-length representation satisfies nothing.
 */
export function resolveRanges(specs: readonly ByteRangeSpec[], size: number): ResolvedRange[] {
  const out: ResolvedRange[] = [];
  if (size <= 0) return out;
  for (const spec of specs) {
    if (spec.kind === 'suffix') {
      if (spec.length > 0) out.push({ start: Math.max(0, size - spec.length), end: size - 1 });
    } else if (spec.first < size) {
      out.push({ start: spec.first, end: Math.min(spec.last ?? size - 1, size - 1) });
    }
  }
  return out;
}

/** Merges overlapping or adjacent ranges (RFC 9110 §15.3.7 allows coalescing); result sorted by start. */
export function coalesceRanges(ranges: readonly ResolvedRange[]): ResolvedRange[] {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  const out: ResolvedRange[] = [];
  for (const range of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && range.start <= last.end + 1) out[out.length - 1] = { start: last.start, end: Math.max(last.end, range.end) };
    else out.push(range);
  }
  return out;
}

/** `bytes start-end/size` (or `/*` when the complete length is not known yet: a live recording). */
export function contentRange(range: ResolvedRange, completeLength: number | undefined): string {
  return `bytes ${range.start}-${range.end}/${completeLength === undefined ? '*' : completeLength}`;
}
