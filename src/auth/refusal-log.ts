import { Counter, type Registry } from 'prom-client';
import { ERROR_CODES, type ErrorCode } from '../errors/error-codes.js';

/** One coded refusal, as logged (docs/security.md#what-is-logged). Never a token. */
export interface Refusal {
  readonly code: ErrorCode;
  /** The path without its query (a `?token=` lives there), e.g. `/webrtc/offer`. */
  readonly route: string;
  /** The client's address as the limits see it (`--trust-proxy`). */
  readonly client: string;
  /** Why, as the refusal's message says it (`token expired`, `more than 10 requests per second…`). */
  readonly reason: string;
}

export interface RefusalLogOptions {
  /** Lines written per second at most; beyond, refusals are counted and summed up in one line per second. 0 = no lines (still counted). */
  readonly linesPerSecond: number;
  /** Where lines go (stderr by default). */
  readonly write: (line: string) => void;
  /** Clock, ms. */
  readonly now: () => number;
}

/** What the window decided for one refusal; and once a window with suppressed refusals is over, their sum. */
export interface SuppressedSummary {
  readonly suppressed: number;
  readonly byCode: Readonly<Record<string, number>>;
  readonly windowStartMs: number;
}

/**
 * The pure core: one-second windows, at most `limit` lines in each; the refusals beyond are counted by
 * code and handed back once, as the window closes. Takes `now`.
 */
export class RefusalLogWindow {
  #start = Number.NEGATIVE_INFINITY;
  #written = 0;
  #suppressed = 0;
  #byCode: Record<string, number> = {};

  constructor(private readonly limit: number) {}

  /** 'write' or 'suppress' this refusal; `closed` is the summary of the window that ended before it, if any. */
  offer(code: ErrorCode, nowMs: number): { readonly verdict: 'write' | 'suppress'; readonly closed: SuppressedSummary | undefined } {
    const closed = nowMs - this.#start >= 1000 ? this.close() : undefined;
    if (closed !== undefined || this.#start === Number.NEGATIVE_INFINITY) this.#start = nowMs;
    if (this.#written < this.limit) {
      this.#written++;
      return { verdict: 'write', closed };
    }
    this.#suppressed++;
    this.#byCode[code] = (this.#byCode[code] ?? 0) + 1;
    return { verdict: 'suppress', closed };
  }

  /** When the current window ends (for a timer that writes its summary), ms. */
  get endsAtMs(): number {
    return this.#start + 1000;
  }

  get pending(): number {
    return this.#suppressed;
  }

  /** Ends the window: its summary when refusals were suppressed in it. */
  close(): SuppressedSummary | undefined {
    const summary = this.#suppressed === 0 ? undefined : { suppressed: this.#suppressed, byCode: this.#byCode, windowStartMs: this.#start };
    this.#start = Number.NEGATIVE_INFINITY;
    this.#written = 0;
    this.#suppressed = 0;
    this.#byCode = {};
    return summary;
  }
}

const MAX_FIELD = 300;
/** A JWT (three base64url parts, the first a JSON header): never written, whatever field it hides in. */
const JWT_LIKE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;

function clean(text: string): string {
  const bounded = text.length > MAX_FIELD ? `${text.slice(0, MAX_FIELD)}…` : text;
  return bounded.replace(JWT_LIKE, '<token>');
}

/** The line for one refusal: `wavegate: refused {"code",…}` — JSON after the prefix, one line (JSON escapes any newline). */
export function refusalLine(refusal: Refusal): string {
  return `wavegate: refused ${JSON.stringify({ code: refusal.code, status: ERROR_CODES[refusal.code].httpStatus, route: clean(refusal.route), client: clean(refusal.client), reason: clean(refusal.reason) })}`;
}

export function suppressedLine(summary: SuppressedSummary): string {
  return `wavegate: refusals suppressed ${JSON.stringify({ suppressed: summary.suppressed, byCode: summary.byCode, since: new Date(summary.windowStartMs).toISOString(), windowMs: 1000 })}`;
}

/**
 * Every coded refusal of the gateway — tokens (401/403), origins, per-client limits (429), duplicate
 * session ids, the concurrency limit, rooms a token does not name — logged as one structured line
 * (docs/security.md#what-is-logged), at most `linesPerSecond` a second: a flood costs a counter, and
 * one summary line a second with how many lines were held back, by code. Counted on /metrics as
 * `wavegate_refusals_total{code}` (every refusal) and `wavegate_refusal_log_suppressed_total`.
 */
export class RefusalLog {
  readonly #options: RefusalLogOptions;
  readonly #window: RefusalLogWindow;
  readonly #total: Counter<'code'> | undefined;
  readonly #suppressed: Counter | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: Partial<RefusalLogOptions> = {}, registry?: Registry) {
    this.#options = { linesPerSecond: 10, write: (line) => console.warn(line), now: Date.now, ...options };
    this.#window = new RefusalLogWindow(this.#options.linesPerSecond);
    if (registry) {
      this.#total = new Counter({ name: 'wavegate_refusals_total', help: 'Coded refusals (tokens, origins, per-client limits, duplicate ids, concurrency, rooms), logged or not.', labelNames: ['code'], registers: [registry] });
      this.#suppressed = new Counter({ name: 'wavegate_refusal_log_suppressed_total', help: 'Refusals not logged line by line (over the refusal log rate); summed up once a second.', registers: [registry] });
    }
  }

  refused(refusal: Refusal): void {
    this.#total?.inc({ code: refusal.code });
    const { verdict, closed } = this.#window.offer(refusal.code, this.#options.now());
    if (closed) this.#summarize(closed);
    if (verdict === 'write') {
      this.#write(refusalLine(refusal));
      return;
    }
    this.#suppressed?.inc();
    // The window's summary is written when it ends, even if no refusal follows.
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.flush(), Math.max(1, this.#window.endsAtMs - this.#options.now()));
      this.#timer.unref();
    }
  }

  /** Writes the summary of the current window now, if refusals were suppressed in it (also on close). */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#window.pending === 0) return;
    const summary = this.#window.close();
    if (summary) this.#summarize(summary);
  }

  #summarize(summary: SuppressedSummary): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#write(suppressedLine(summary));
  }

  #write(line: string): void {
    try {
      this.#options.write(line);
    } catch {
      // a broken log sink must not turn a refusal into a crash
    }
  }
}
