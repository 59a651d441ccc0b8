/**
 * The admission refusal every carrier connection gets when the concurrency limit is reached: FastRTC's
 * own failure message (docs/protocol.md), so one monitoring rule covers browsers and phones. Carriers ignore
 * a message they do not know; the socket closes right after with WG_ERR_CONCURRENCY_LIMIT's close code.
 */
export function refusalMessage(limit: number): string {
  return JSON.stringify({ status: 'failed', meta: { error: 'concurrency_limit_reached', limit } });
}
