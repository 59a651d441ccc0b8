/** Per-session counters. Drops are counted by reason: nothing a client sent is lost silently. */
export interface SessionCounters {
  messagesIn: number;
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  bytesOut: number;
  /** Input frames the handler's queue had no room for. */
  framesDroppedHandlerBusy: number;
  /** Input payloads that failed to decode. */
  framesDroppedUndecodable: number;
  /** Messages over the per-connection rate limit. */
  messagesDroppedRateLimit: number;
  /** Output frames dropped because the output queue was full. */
  framesDroppedOutputOverflow: number;
  /** Output frames dropped because the client did not read (bufferedAmount over the limit). */
  framesDroppedSlowConsumer: number;
  /** Output frames dropped by `clear` (barge-in): intended, but counted. */
  framesCleared: number;
  handlerErrors: number;
  marksEchoed: number;
}

export function emptyCounters(): SessionCounters {
  return {
    messagesIn: 0,
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    framesDroppedHandlerBusy: 0,
    framesDroppedUndecodable: 0,
    messagesDroppedRateLimit: 0,
    framesDroppedOutputOverflow: 0,
    framesDroppedSlowConsumer: 0,
    framesCleared: 0,
    handlerErrors: 0,
    marksEchoed: 0,
  };
}
