/**
 * Sessions held by another node of the cluster (docs/scale-out.md#routing): what the HTTP endpoints of
 * a node that does not hold a session use to reach the one that does. Set on the SessionHost when the
 * gateway runs with a session directory; undefined on a lone process.
 */
export type RemoteResult = 'ok' | 'not_found' | 'unavailable';

export interface RemoteSessions {
  /** `POST /input` for a session held elsewhere. */
  setInput(id: string, args: Readonly<Record<string, unknown>>): Promise<RemoteResult>;
  /** `GET /outputs` for a session held elsewhere: resolves to the unsubscribe function once subscribed. */
  subscribeOutputs(id: string, listener: (data: unknown) => void, onEnd: () => void): Promise<(() => void) | Exclude<RemoteResult, 'ok'>>;
  /** A trickled WebRTC candidate for a peer held elsewhere; the owner's answer body, or a miss. */
  addCandidate(id: string, candidate: unknown): Promise<{ found: true; answer: unknown } | { found: false }>;
  /** The advertised base URL of the node holding `id`, when another node holds it. */
  ownerUrl(id: string): Promise<string | undefined>;
}
