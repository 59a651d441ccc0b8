import type { HistogramSnapshot } from './latency-histogram.js';
import type { VariantName } from './media-variants.js';

/** Messages between the load generator's main thread and its workers. */
export type ToWorker =
  | {
      readonly type: 'connect';
      readonly url: string;
      readonly count: number;
      readonly idPrefix: string;
      readonly variant: VariantName;
      readonly wavPath: string;
      readonly connectTimeoutMs: number;
    }
  | {
      readonly type: 'run';
      /** false: the sessions stay connected and silent (the idle variant). */
      readonly active: boolean;
      readonly frameMs: number;
      /** Sub-slots of a frame period the sessions are spread over (one timer serves them all). */
      readonly slots: number;
      readonly warmupMs: number;
      readonly holdMs: number;
      readonly drainMs: number;
    }
  | { readonly type: 'close'; readonly timeoutMs: number };

export interface RunResult {
  /** Marker round trips of the markers sent during the hold, ms. */
  readonly rtt: HistogramSnapshot;
  /** How late the generator handed frames to the socket against their drift-free schedule (hold only). */
  readonly sendLag: HistogramSnapshot;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Reply frames read during the hold. */
  readonly framesReceivedInHold: number;
  readonly markersSent: number;
  readonly markersMatched: number;
  /** Markers not back within MARKER_TIMEOUT_MS, or not back at all by the end of the drain. */
  readonly markersLost: number;
  readonly spuriousOnsets: number;
  readonly skippedBackpressure: number;
  /** Frames the generator skipped because it fell more than a few periods behind its own clock. */
  readonly skippedGeneratorLate: number;
  /** Sessions whose socket closed before the end of the run, by close code. */
  readonly closedEarly: Record<string, number>;
}

export type FromWorker =
  | { readonly type: 'connected'; readonly opened: number; readonly failed: number; readonly firstError: string | undefined }
  | { readonly type: 'measuring' }
  | { readonly type: 'progress'; readonly rtt: HistogramSnapshot; readonly sent: number; readonly received: number }
  | ({ readonly type: 'result' } & RunResult)
  | { readonly type: 'closed' }
  | { readonly type: 'error'; readonly message: string };
