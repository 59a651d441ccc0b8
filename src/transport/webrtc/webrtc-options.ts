import { isIP } from 'node:net';

/**
 * Options of the `POST /webrtc/offer` transport (docs/webrtc.md#options). ICE servers and TURN
 * credentials are the gateway's `iceServers` / `turnSecret`, shared with call signaling.
 */
export interface WebRtcOptions {
  /** UDP ports the peer connections bind to, inclusive `[min, max]`; null = any free port. */
  webrtcPortRange: readonly [number, number] | null;
  /** Public addresses announced as host candidates (a server behind 1:1 NAT with the port range forwarded). */
  webrtcAnnouncedAddresses: readonly string[];
  /** Longest the server gathers its ICE candidates before it answers an offer (ms). */
  webrtcGatherTimeoutMs: number;
  /** A peer that has not reached `connected` this long after its offer is closed (seconds). */
  webrtcConnectTimeoutS: number;
  /** A peer `disconnected` this long (consent lost, no recovery) is closed (seconds). */
  webrtcDisconnectedGraceS: number;
  /** Fault injection: this percentage of inbound RTP packets is dropped before the jitter buffer (0 = off). */
  webrtcInboundLossPercent: number;
  /** Seed of the fault injection's pseudo-random sequence (same seed, same packets dropped). */
  webrtcLossSeed: number;
}

export const DEFAULT_WEBRTC_OPTIONS = {
  webrtcPortRange: null,
  webrtcAnnouncedAddresses: [],
  webrtcGatherTimeoutMs: 3000,
  webrtcConnectTimeoutS: 30,
  webrtcDisconnectedGraceS: 5,
  webrtcInboundLossPercent: 0,
  webrtcLossSeed: 1,
} as const satisfies WebRtcOptions;

function fail(name: string, value: unknown, expected: string): never {
  throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${JSON.stringify(value) ?? String(value)}\` (${typeof value})`);
}

const isPort = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65_535;

/** Checks every WebRTC option, naming the offending value. */
export function checkWebRtcOptions(o: WebRtcOptions): void {
  const range = o.webrtcPortRange;
  if (range !== null) {
    // werift needs min < max (docs/webrtc.md#options).
    if (!Array.isArray(range) || range.length !== 2 || !isPort(range[0]) || !isPort(range[1]) || range[0] >= range[1]) {
      fail('webrtcPortRange', range, 'null or [min, max] ports from 1 to 65535 with min < max');
    }
  }
  if (!Array.isArray(o.webrtcAnnouncedAddresses) || !o.webrtcAnnouncedAddresses.every((a) => typeof a === 'string' && isIP(a) !== 0)) {
    fail('webrtcAnnouncedAddresses', o.webrtcAnnouncedAddresses, 'an array of IPv4 or IPv6 addresses');
  }
  const between = (name: keyof WebRtcOptions, min: number, max: number, unit: string) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) fail(name, v, `a number from ${min} to ${max} (${unit})`);
  };
  between('webrtcGatherTimeoutMs', 100, 60_000, 'ms');
  between('webrtcConnectTimeoutS', 1, 3600, 's');
  between('webrtcDisconnectedGraceS', 0, 3600, 's');
  between('webrtcInboundLossPercent', 0, 100, 'percent');
  if (!Number.isSafeInteger(o.webrtcLossSeed)) fail('webrtcLossSeed', o.webrtcLossSeed, 'an integer');
}

/** `--webrtc-ports 40000-40999` → [40000, 40999]. */
export function parsePortRange(value: string): [number, number] {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(value.trim());
  if (!m) throw new Error(`--webrtc-ports expects MIN-MAX (e.g. 40000-40999), got ${JSON.stringify(value)}`);
  return [Number(m[1]), Number(m[2])];
}
