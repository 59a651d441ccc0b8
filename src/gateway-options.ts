import { MIN_AUTH_SECRET_LENGTH } from './auth/access-token.js';
import type { MemoryTrimMode } from './memory/memory-trim-component.js';
import type { HandlerDefinition } from './handler/handler.js';
import { DEFAULT_ROOMS_OPTIONS, resolveRoomsOptions, type RoomsOptions } from './rooms/room-options.js';
import { checkTelnyxPublicKey } from './transport/telephone/telnyx-signature.js';
import type { MediaFormat } from './codecs/media-format.js';
import { DEFAULT_OPUS_SETTINGS, resolveGatewayOpusSettings, type GatewayOpusSettings } from './codecs/opus-settings.js';
import { normalizePrefix } from './http/mount-prefix.js';
import { checkTlsOptions, type TlsOptions } from './http/tls-material.js';
import { checkIceConfig, checkIceServer, type IceServer } from './signaling/ice-servers.js';
import { parsePublicUrl } from './transport/telephone/public-url.js';
import { checkWebRtcOptions, DEFAULT_WEBRTC_OPTIONS, type WebRtcOptions } from './transport/webrtc/webrtc-options.js';

/** WebRTC options (`webrtc…`) are described in src/transport/webrtc/webrtc-options.ts and docs/webrtc.md. */
export interface GatewayOptions extends WebRtcOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The handler every session gets its own instance of. */
  handler: HandlerDefinition<any>;
  handlerOptions: Record<string, unknown>;
  /** Most sessions open at once (FastRTC's concurrency_limit); null = no limit. */
  concurrencyLimit: number | null;
  /** Longest a session may last, in seconds (FastRTC's time_limit); null = no limit. */
  timeLimitS: number | null;
  /** A session that receives nothing for this long is closed (seconds). */
  idleTimeoutS: number;
  /** Output frame duration in ms (the pacer's tick). */
  frameMs: number;
  /** How far output may run ahead of real time, in ms. */
  outputLeadMs: number;
  /** Largest WebSocket message accepted, in bytes. */
  maxPayloadBytes: number;
  /** Most messages per second one connection may send. */
  maxMessagesPerSecond: number;
  /** Wire format when a FastRTC client says nothing: μ-law at 48 kHz in (FastRTC's default). */
  inputFormat: MediaFormat;
  /** Wire format when a FastRTC client says nothing: μ-law at 24 kHz out (FastRTC's default). */
  outputFormat: MediaFormat;
  /** Opus encoder settings of every session with Opus output; a client may override them (docs/media.md). */
  opus: GatewayOpusSettings;
  /** redis://… shared by the processes of one deployment (session directory, routing, call signaling; docs/scale-out.md); null = one process. */
  redisUrl: string | null;
  /** ICE servers handed to call pages (`/call/config.json`); none built in. */
  iceServers: readonly IceServer[];
  /** coturn `static-auth-secret`: TURN servers without credentials get time-limited ones; null = off. */
  turnSecret: string | null;
  /** Lifetime of those TURN credentials (seconds). */
  turnCredentialTtlS: number;
  /** A process that dies stops owning its call-signaling users after this long (seconds). */
  presenceTtlS: number;
  /** Public http(s) base URL (behind a proxy or tunnel) for TwiML stream URLs and Twilio signatures; null = from each request's headers. */
  publicUrl: string | null;
  /** Twilio auth token: when set, `/telephone/incoming` requests must carry a valid X-Twilio-Signature. */
  twilioAuthToken: string | null;
  /** Folder where every session is recorded to a growing WAV (served at /recordings); null = no recording. */
  recordDir: string | null;
  /** What is recorded: the caller ('input'), the gateway ('output'), or 'both' as stereo (left caller, right gateway). */
  recordMode: 'input' | 'output' | 'both';
  /** When set (≥ 16 characters), /recordings URLs must be signed and unexpired (HMAC-SHA256). */
  recordingsSecret: string | null;
  /** Path prefix of every route ('' or '/voice'): a gateway mounted in a host app, or behind a proxy path (docs/embedding.md). */
  prefix: string;
  /** HTTPS and WSS on the same port: PEM files (re-read by `reloadTls()`, SIGHUP in the CLI) or PEM text; null = plain HTTP. */
  tls: TlsOptions | null;
  /** Access tokens (docs/security.md): when set (≥ 32 characters; several while rotating, any verifies), every route but pages, /healthz and carrier webhooks needs a JWT signed HS256 with it; null = off. */
  authSecret: string | readonly string[] | null;
  /** End WebSockets and streams whose token expires while they run (by default an expired token ends nothing already running). */
  enforceExpLive: boolean;
  /** With `authSecret`, `/metrics` needs an `admin` token too (default: open, for scrapers on a private network). */
  metricsTokenRequired: boolean;
  /** Telnyx's webhook public key (base64 Ed25519, Mission Control → Keys): when set, Telnyx webhooks must carry a valid `telnyx-signature-ed25519`. */
  telnyxPublicKey: string | null;
  /** Plivo auth token: when set, Plivo webhooks must carry a valid `X-Plivo-Signature-V3`. */
  plivoAuthToken: string | null;
  /** Most HTTP requests per second from one client address (docs/security.md#abuse-limits); null = no limit. */
  clientRequestsPerSecond: number | null;
  /** Most WebSocket connection attempts per second from one client address; null = no limit. */
  clientConnectionsPerSecond: number | null;
  /** Most sessions (WebSockets, WebRTC peers) open at once from one client address; null = no limit. */
  clientSessions: number | null;
  /** Proxies in front of the gateway whose `X-Forwarded-For` entry is believed; 0 = the TCP peer is the client. */
  trustProxy: number;
  /** Browser origins allowed besides the gateway's own (`*` = any); empty = no origin check. */
  allowedOrigins: readonly string[];
  /** Refusals logged line by line per second at most; beyond, one summary line a second (docs/security.md#what-is-logged). 0 = summaries only. */
  refusalLogPerSecond: number;
  /** 'auto': give the allocator's free memory back to the OS after load (glibc malloc_trim through the optional koffi; docs/security.md, "Where the RSS goes"); 'off': never. */
  memoryTrim: MemoryTrimMode;
  /** With `redisUrl`: a node's sessions stay in the cluster's directory this long without renewal (seconds; docs/scale-out.md). */
  sessionLeaseS: number;
  /** With `redisUrl`: most sessions across the cluster (`concurrencyLimit` stays per process); null = no limit. */
  clusterConcurrencyLimit: number | null;
  /** A Redis directory command slower than this counts as Redis lost (ms): admission waits at most this long. */
  redisTimeoutMs: number;
  /** Base URL the other nodes reach this one at (recordings are proxied there); null = the listening address. */
  advertiseUrl: string | null;
  /** Rooms: limits, the mixing rate, a handler participant (docs/rooms.md). */
  rooms: RoomsOptions;
}

export const DEFAULT_GATEWAY_OPTIONS = {
  host: '127.0.0.1',
  port: 8000,
  handlerOptions: {},
  concurrencyLimit: null,
  timeLimitS: null,
  idleTimeoutS: 60,
  frameMs: 20,
  outputLeadMs: 60,
  maxPayloadBytes: 256 * 1024,
  maxMessagesPerSecond: 500,
  inputFormat: { encoding: 'audio/x-mulaw', sampleRate: 48_000, channels: 1 },
  outputFormat: { encoding: 'audio/x-mulaw', sampleRate: 24_000, channels: 1 },
  opus: DEFAULT_OPUS_SETTINGS,
  redisUrl: null,
  iceServers: [],
  turnSecret: null,
  turnCredentialTtlS: 3600,
  presenceTtlS: 15,
  publicUrl: null,
  twilioAuthToken: null,
  recordDir: null,
  recordMode: 'both',
  recordingsSecret: null,
  prefix: '',
  tls: null,
  sessionLeaseS: 10,
  clusterConcurrencyLimit: null,
  redisTimeoutMs: 1000,
  advertiseUrl: null,
  ...DEFAULT_WEBRTC_OPTIONS,
  authSecret: null,
  enforceExpLive: false,
  metricsTokenRequired: false,
  telnyxPublicKey: null,
  plivoAuthToken: null,
  clientRequestsPerSecond: null,
  clientConnectionsPerSecond: null,
  clientSessions: null,
  trustProxy: 0,
  allowedOrigins: [],
  refusalLogPerSecond: 10,
  memoryTrim: 'auto',
  rooms: DEFAULT_ROOMS_OPTIONS,
} as const satisfies Omit<GatewayOptions, 'handler'>;

function check(ok: boolean, name: string, value: unknown, expected: string): void {
  if (!ok) throw new TypeError(`Expected \`${name}\` to be ${expected}, got \`${String(value)}\` (${typeof value})`);
}

const isPositive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Defaults first, then the caller's options; every option checked, naming the offending value. */
/** What callers pass: every option optional but the handler; `opus` settings one by one. */
export type GatewayOptionsInput = Partial<Omit<GatewayOptions, 'opus' | 'rooms'>> & Pick<GatewayOptions, 'handler'> & { opus?: Partial<GatewayOpusSettings>; rooms?: Partial<RoomsOptions> };

export function resolveGatewayOptions(options: GatewayOptionsInput): GatewayOptions {
  const o: GatewayOptions = { ...DEFAULT_GATEWAY_OPTIONS, ...options, opus: resolveGatewayOpusSettings(options.opus), rooms: resolveRoomsOptions(options.rooms) };
  check(typeof o.host === 'string' && o.host.length > 0, 'host', o.host, 'a non-empty string');
  check(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65_535, 'port', o.port, 'an integer from 0 to 65535');
  check(typeof o.handler?.create === 'function', 'handler', o.handler, 'a handler definition with create()');
  check(o.concurrencyLimit === null || (Number.isInteger(o.concurrencyLimit) && o.concurrencyLimit >= 1), 'concurrencyLimit', o.concurrencyLimit, 'null or an integer ≥ 1');
  check(o.timeLimitS === null || isPositive(o.timeLimitS), 'timeLimitS', o.timeLimitS, 'null or a number > 0');
  check(isPositive(o.idleTimeoutS), 'idleTimeoutS', o.idleTimeoutS, 'a number > 0');
  check([10, 20, 40, 60].includes(o.frameMs), 'frameMs', o.frameMs, 'one of 10, 20, 40, 60');
  check(typeof o.outputLeadMs === 'number' && o.outputLeadMs >= 0 && o.outputLeadMs <= 1000, 'outputLeadMs', o.outputLeadMs, 'a number from 0 to 1000');
  check(Number.isInteger(o.maxPayloadBytes) && o.maxPayloadBytes >= 1024, 'maxPayloadBytes', o.maxPayloadBytes, 'an integer ≥ 1024');
  check(isPositive(o.maxMessagesPerSecond), 'maxMessagesPerSecond', o.maxMessagesPerSecond, 'a number > 0');
  check(o.redisUrl === null || (typeof o.redisUrl === 'string' && /^rediss?:\/\/./.test(o.redisUrl)), 'redisUrl', o.redisUrl, 'null or a redis:// or rediss:// URL');
  check(Array.isArray(o.iceServers), 'iceServers', o.iceServers, 'an array of { urls, username?, credential? }');
  o.iceServers = o.iceServers.map(checkIceServer);
  checkIceConfig(o.iceServers, o.turnSecret);
  check(isPositive(o.turnCredentialTtlS), 'turnCredentialTtlS', o.turnCredentialTtlS, 'a number > 0');
  check(isPositive(o.presenceTtlS) && o.presenceTtlS >= 1 && o.presenceTtlS <= 3600, 'presenceTtlS', o.presenceTtlS, 'a number from 1 to 3600');
  if (o.publicUrl !== null) parsePublicUrl(o.publicUrl);
  if (o.twilioAuthToken !== null && (typeof o.twilioAuthToken !== 'string' || o.twilioAuthToken.length === 0)) {
    // The value is a secret: its type is named, never the value.
    throw new TypeError(`Expected \`twilioAuthToken\` to be null or a non-empty string, got ${typeof o.twilioAuthToken === 'string' ? 'an empty string' : typeof o.twilioAuthToken}`);
  }
  check(o.recordDir === null || (typeof o.recordDir === 'string' && o.recordDir.length > 0), 'recordDir', o.recordDir, 'null or a non-empty path');
  check(['input', 'output', 'both'].includes(o.recordMode), 'recordMode', o.recordMode, "'input', 'output' or 'both'");
  if (o.recordingsSecret !== null && (typeof o.recordingsSecret !== 'string' || o.recordingsSecret.length < 16)) {
    // A secret: its type and length are named, never the value.
    throw new TypeError(`Expected \`recordingsSecret\` to be null or a string of at least 16 characters, got ${typeof o.recordingsSecret === 'string' ? `${o.recordingsSecret.length} characters` : typeof o.recordingsSecret}`);
  }
  o.prefix = normalizePrefix(o.prefix);
  if (o.tls !== null) checkTlsOptions(o.tls);
  check(isPositive(o.sessionLeaseS) && o.sessionLeaseS >= 1 && o.sessionLeaseS <= 3600, 'sessionLeaseS', o.sessionLeaseS, 'a number from 1 to 3600');
  check(o.clusterConcurrencyLimit === null || (Number.isInteger(o.clusterConcurrencyLimit) && o.clusterConcurrencyLimit >= 1), 'clusterConcurrencyLimit', o.clusterConcurrencyLimit, 'null or an integer ≥ 1');
  check(Number.isInteger(o.redisTimeoutMs) && o.redisTimeoutMs >= 10 && o.redisTimeoutMs <= 60_000, 'redisTimeoutMs', o.redisTimeoutMs, 'an integer from 10 to 60000');
  check(o.advertiseUrl === null || (typeof o.advertiseUrl === 'string' && /^https?:\/\/./.test(o.advertiseUrl)), 'advertiseUrl', o.advertiseUrl, 'null or an http(s):// URL');
  checkWebRtcOptions(o);
  if (o.authSecret !== null) {
    const secrets: readonly unknown[] = Array.isArray(o.authSecret) ? o.authSecret : [o.authSecret];
    const bad = secrets.find((s) => typeof s !== 'string' || s.length < MIN_AUTH_SECRET_LENGTH);
    if (secrets.length === 0 || bad !== undefined) {
      // A secret: its type and length are named, never the value.
      const got = secrets.length === 0 ? 'no secret' : typeof bad === 'string' ? `${bad.length} characters` : typeof bad;
      throw new TypeError(`Expected \`authSecret\` to be null, or a string (or strings) of at least ${MIN_AUTH_SECRET_LENGTH} characters, got ${got}`);
    }
  }
  check(typeof o.enforceExpLive === 'boolean', 'enforceExpLive', o.enforceExpLive, 'a boolean');
  check(typeof o.metricsTokenRequired === 'boolean', 'metricsTokenRequired', o.metricsTokenRequired, 'a boolean');
  if (o.telnyxPublicKey !== null) checkTelnyxPublicKey(o.telnyxPublicKey);
  if (o.plivoAuthToken !== null && (typeof o.plivoAuthToken !== 'string' || o.plivoAuthToken.length === 0)) {
    throw new TypeError(`Expected \`plivoAuthToken\` to be null or a non-empty string, got ${typeof o.plivoAuthToken === 'string' ? 'an empty string' : typeof o.plivoAuthToken}`);
  }
  const limit = (v: unknown) => v === null || (Number.isInteger(v) && (v as number) >= 1);
  check(limit(o.clientRequestsPerSecond), 'clientRequestsPerSecond', o.clientRequestsPerSecond, 'null or an integer ≥ 1');
  check(limit(o.clientConnectionsPerSecond), 'clientConnectionsPerSecond', o.clientConnectionsPerSecond, 'null or an integer ≥ 1');
  check(limit(o.clientSessions), 'clientSessions', o.clientSessions, 'null or an integer ≥ 1');
  check(Number.isInteger(o.trustProxy) && o.trustProxy >= 0 && o.trustProxy <= 10, 'trustProxy', o.trustProxy, 'an integer from 0 to 10');
  check(o.memoryTrim === 'auto' || o.memoryTrim === 'off', 'memoryTrim', o.memoryTrim, "'auto' or 'off'");
  check(Number.isInteger(o.refusalLogPerSecond) && o.refusalLogPerSecond >= 0 && o.refusalLogPerSecond <= 10_000, 'refusalLogPerSecond', o.refusalLogPerSecond, 'an integer from 0 to 10000');
  check(Array.isArray(o.allowedOrigins) && o.allowedOrigins.every((v) => v === '*' || (typeof v === 'string' && /^https?:\/\/[^/]+$/.test(v))), 'allowedOrigins', o.allowedOrigins, "an array of origins like 'https://app.example.com' (or '*')");
  return o;
}
