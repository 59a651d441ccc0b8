import { parseArgs } from 'node:util';
import type { GatewayOptions } from '../gateway-options.js';

/**
 * `wavegate serve`'s flags, one row each: the help text, how the value is parsed and, for the flags that
 * set one gateway option as they are, which option. Flags with more to them (the handler, rooms, TLS,
 * workers) have no `option` and are read by serve-command.ts.
 */
export interface ServeFlag {
  readonly name: string;
  /** The value's placeholder in the help (none for booleans). */
  readonly arg?: string;
  /** number: a finite number; strings: repeatable. */
  readonly kind: 'string' | 'number' | 'strings' | 'boolean';
  readonly help: string;
  /** The gateway option the value goes to unchanged (booleans: only when given). */
  readonly option?: keyof GatewayOptions;
  /** An environment variable read when the flag is absent (keeps secrets out of `ps`). */
  readonly env?: string;
  readonly default?: string;
}

export const SERVE_FLAGS: readonly ServeFlag[] = [
  { name: 'host', arg: 'HOST', kind: 'string', default: '127.0.0.1', help: 'address to listen on (default 127.0.0.1)' },
  { name: 'port', arg: 'N', kind: 'string', default: '8000', help: 'port, 0 picks a free one (default 8000)' },
  { name: 'handler', arg: 'NAME|PATH', kind: 'string', default: 'echo', help: 'echo, dsp, asr, voice-loop, or a module exporting a handler definition (default echo)' },
  { name: 'handler-option', arg: 'KEY=VALUE', kind: 'strings', help: 'handler option, repeatable; dotted keys nest: algoOptions.speechThreshold=0.2, canInterrupt=false' },
  { name: 'dsp', arg: 'SPEC', kind: 'string', help: "the dsp handler's chain: gain=6,highpass=120,gate=-50,limiter=-1" },
  { name: 'vad', arg: 'silero|webrtc', kind: 'string', help: 'voice activity detector of the turn-taking handlers (asr, voice-loop); silero needs: npm install onnxruntime-node @ricky0123/vad-web (docs/handlers.md)' },
  { name: 'concurrency-limit', arg: 'N', kind: 'number', option: 'concurrencyLimit', help: 'most sessions at once (default: no limit)' },
  { name: 'time-limit', arg: 'S', kind: 'number', option: 'timeLimitS', help: 'longest session in seconds (default: no limit)' },
  { name: 'idle-timeout', arg: 'S', kind: 'number', option: 'idleTimeoutS', help: 'close sessions silent this long (default 60)' },
  { name: 'redis', arg: 'URL', kind: 'string', option: 'redisUrl', help: 'redis://… shared by several gateway processes: one session directory, routing to the owner, call signaling across them (docs/scale-out.md)' },
  { name: 'ice-server', arg: 'URI|JSON', kind: 'strings', help: 'ICE server for call pages, repeatable: stun:host:3478, turn:host:3478, or {"urls":"turn:…","username":"u","credential":"p"} (default: none)' },
  { name: 'turn-secret', arg: 'SECRET', kind: 'string', option: 'turnSecret', help: 'coturn static-auth-secret: TURN servers get time-limited credentials' },
  { name: 'turn-ttl', arg: 'S', kind: 'number', option: 'turnCredentialTtlS', help: 'lifetime of those credentials (default 3600) (--ice-server and --turn-secret also serve POST /webrtc/offer peers)' },
  { name: 'webrtc-ports', arg: 'MIN-MAX', kind: 'string', help: 'UDP ports WebRTC peers bind to (default: any free port)' },
  { name: 'webrtc-announced-address', arg: 'IP', kind: 'strings', option: 'webrtcAnnouncedAddresses', help: 'public address announced as a host candidate, repeatable (behind 1:1 NAT with the port range forwarded; see docs/webrtc.md)' },
  { name: 'webrtc-gather-timeout', arg: 'MS', kind: 'number', option: 'webrtcGatherTimeoutMs', help: 'longest the server gathers candidates before answering (default 3000)' },
  { name: 'webrtc-connect-timeout', arg: 'S', kind: 'number', option: 'webrtcConnectTimeoutS', help: 'close a peer not connected this long after its offer (default 30)' },
  { name: 'webrtc-disconnected-grace', arg: 'S', kind: 'number', option: 'webrtcDisconnectedGraceS', help: 'close a peer disconnected this long (default 5)' },
  { name: 'webrtc-inbound-loss', arg: 'PCT', kind: 'number', option: 'webrtcInboundLossPercent', help: 'fault injection: drop this % of inbound RTP packets (default 0 = off)' },
  { name: 'webrtc-loss-seed', arg: 'N', kind: 'number', option: 'webrtcLossSeed', help: 'seed of that drop pattern (default 1)' },
  { name: 'webrtc-allow-origin', arg: 'ORIGIN', kind: 'strings', option: 'webrtcAllowedOrigins', help: 'let pages from ORIGIN (or *) POST /webrtc/offer cross-origin (CORS), repeatable (default: same origin only)' },
  { name: 'presence-ttl', arg: 'S', kind: 'number', option: 'presenceTtlS', help: "a dead process's call users are released after this long (default 15)" },
  { name: 'public-url', arg: 'URL', kind: 'string', option: 'publicUrl', help: 'public https://host[:port][/prefix] Twilio reaches this gateway at (TwiML stream URL, signature checks); default: from each request\'s Host/X-Forwarded-*' },
  { name: 'twilio-auth-token', arg: 'TOKEN', kind: 'string', option: 'twilioAuthToken', env: 'TWILIO_AUTH_TOKEN', help: 'check X-Twilio-Signature on /telephone/incoming (403 when wrong); also read from the TWILIO_AUTH_TOKEN environment variable, which keeps it out of ps' },
  { name: 'record-dir', arg: 'DIR', kind: 'string', option: 'recordDir', help: 'record every session to DIR/{webrtc_id}.wav (growing WAV, served with Range and ?pos= at /recordings/{id}.wav, listed at /recordings)' },
  { name: 'record', arg: 'input|output|both', kind: 'string', help: 'what is recorded: caller, gateway, or both as stereo (default both)' },
  { name: 'recordings-secret', arg: 'SECRET', kind: 'string', option: 'recordingsSecret', env: 'WAVEGATE_RECORDINGS_SECRET', help: '/recordings URLs must be signed and unexpired (HMAC-SHA256, ≥ 16 characters); also read from WAVEGATE_RECORDINGS_SECRET, which keeps it out of ps' },
  { name: 'tls-cert', arg: 'FILE', kind: 'string', help: 'serve HTTPS and WSS on the same port with this PEM certificate (chain)…' },
  { name: 'tls-key', arg: 'FILE', kind: 'string', help: '…and this PEM key; both are re-read on SIGHUP (renewal without a restart)' },
  { name: 'prefix', arg: 'PATH', kind: 'string', option: 'prefix', help: 'serve every route under PATH (/voice/websocket/offer, the talk page at /voice/)' },
  { name: 'auth-secret', arg: 'SECRET', kind: 'strings', option: 'authSecret', env: 'WAVEGATE_AUTH_SECRET', help: 'access tokens (JWT HS256, ≥ 32 characters) on every route but the pages, /healthz and carrier webhooks; mint them with `wavegate token`; also read from WAVEGATE_AUTH_SECRET, which keeps it out of ps (docs/security.md); repeatable while rotating: tokens of any of them verify' },
  { name: 'enforce-exp-live', kind: 'boolean', option: 'enforceExpLive', help: 'end WebSockets and streams when their token expires (default: an expired token ends nothing already running)' },
  { name: 'metrics-token-required', kind: 'boolean', option: 'metricsTokenRequired', help: 'with --auth-secret, /metrics needs an admin token too' },
  { name: 'telnyx-public-key', arg: 'KEY', kind: 'string', option: 'telnyxPublicKey', help: 'Telnyx webhook public key (base64 Ed25519): /telephone/incoming requests from Telnyx must carry a valid telnyx-signature-ed25519' },
  { name: 'plivo-auth-token', arg: 'TOKEN', kind: 'string', option: 'plivoAuthToken', env: 'PLIVO_AUTH_TOKEN', help: 'Plivo auth token: /telephone/incoming requests from Plivo must carry a valid X-Plivo-Signature-V3; also read from PLIVO_AUTH_TOKEN' },
  { name: 'client-requests-per-second', arg: 'N', kind: 'number', option: 'clientRequestsPerSecond', help: 'most HTTP requests per second from one client address (default: no limit)' },
  { name: 'client-connections-per-second', arg: 'N', kind: 'number', option: 'clientConnectionsPerSecond', help: 'most WebSocket connection attempts per second from one address (default: none)' },
  { name: 'client-sessions', arg: 'N', kind: 'number', option: 'clientSessions', help: 'most sessions open at once from one client address (default: no limit)' },
  { name: 'trust-proxy', arg: 'N', kind: 'number', option: 'trustProxy', help: 'N proxies in front append to X-Forwarded-For: the client is the address the outermost one saw (default 0: the TCP peer)' },
  { name: 'allowed-origin', arg: 'ORIGIN', kind: 'strings', option: 'allowedOrigins', help: "browser pages from ORIGIN (besides the gateway's own) may connect; repeatable; any other Origin is refused with 403 (default: no origin check)" },
  { name: 'refusal-log-per-second', arg: 'N', kind: 'number', option: 'refusalLogPerSecond', help: 'refusals (401/403/429, duplicate ids, limits) logged one line each, at most N a second; beyond, one summary line a second with the count (default 10)' },
  { name: 'memory-trim', arg: 'auto|off', kind: 'string', option: 'memoryTrim', help: "auto: after load, give the allocator's free memory back to the OS (glibc malloc_trim through the optional koffi; counted on /metrics); off: never (default auto)" },
  { name: 'session-lease-s', arg: 'S', kind: 'number', option: 'sessionLeaseS', help: "with --redis: a node's sessions leave the cluster directory this long after it stops renewing them (it died) (default 10; docs/scale-out.md)" },
  { name: 'cluster-concurrency-limit', arg: 'N', kind: 'number', option: 'clusterConcurrencyLimit', help: 'with --redis: most sessions across every node (--concurrency-limit stays per process)' },
  { name: 'redis-timeout-ms', arg: 'MS', kind: 'number', option: 'redisTimeoutMs', help: 'a Redis slower than this counts as lost: admission goes on against the local limit (default 1000)' },
  { name: 'advertise-url', arg: 'URL', kind: 'string', option: 'advertiseUrl', help: 'http(s)://host:port the other nodes reach this one at (recordings are proxied there; default: the listening address)' },
  { name: 'workers', arg: 'N|auto', kind: 'string', help: "run N gateway workers (auto: one per core) on the one port (node:cluster); the primary replaces dead workers and, without --redis, holds the box's session directory (default 1; docs/scale-out.md#workers)" },
  { name: 'room-handler', arg: 'NAME|PATH', kind: 'string', help: 'a handler that joins every room as a participant (echo, dsp, asr, voice-loop, or a module); default none (docs/rooms.md)' },
  { name: 'room-handler-input', arg: 'mix|per-speaker', kind: 'string', help: "what the room handler hears: everyone's mix (default) or one instance per person on that person's own stream (asr: transcripts with speaker ids)" },
  { name: 'room-handler-option', arg: 'KEY=VALUE', kind: 'strings', help: 'room handler option, repeatable (as --handler-option)' },
  { name: 'room-max-participants', arg: 'N', kind: 'number', help: 'most participants in one room (default 50)' },
  { name: 'max-rooms', arg: 'N', kind: 'number', help: 'most rooms open at once in this process (default 100)' },
  { name: 'room-sample-rate', arg: 'HZ', kind: 'number', help: 'the rate rooms mix at: 8000, 16000 (default), 24000 or 48000' },
  { name: 'room-moderation', kind: 'boolean', help: 'participants may mute, set the gain of and kick others from their socket' },
  { name: 'no-room-barge-in', kind: 'boolean', help: "a person talking does not clear a room handler's queued speech" },
];

const HELP_INDENT = 30;
const HELP_WIDTH = 110;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** `wavegate serve --help`, made from the table. */
export function serveHelp(): string {
  const rows = SERVE_FLAGS.flatMap((flag) => {
    const head = `  --${flag.name}${flag.arg === undefined ? '' : ` ${flag.arg}`}`;
    const [first = '', ...rest] = wrap(flag.help, HELP_WIDTH - HELP_INDENT);
    const pad = ' '.repeat(HELP_INDENT);
    const opening = head.length < HELP_INDENT - 1 ? [head.padEnd(HELP_INDENT) + first] : [head, pad + first];
    return [...opening, ...rest.map((line) => pad + line)];
  });
  return `usage: wavegate serve [options]\n\n${rows.join('\n')}\n  --help                      this text\n`;
}

export type ServeValues = Record<string, string | string[] | boolean | undefined>;

/** Parses argv strictly against the table; environment fallbacks fill absent flags. */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeValues {
  const options = Object.fromEntries([
    ...SERVE_FLAGS.map((flag) => [
      flag.name,
      {
        type: flag.kind === 'boolean' ? 'boolean' : 'string',
        ...(flag.kind === 'strings' && { multiple: true }),
        ...(flag.default !== undefined && { default: flag.default }),
      },
    ]),
    ['help', { type: 'boolean', short: 'h' }],
  ]) as Parameters<typeof parseArgs>[0] extends infer C ? (C extends { options?: infer O } ? O : never) : never;
  const { values } = parseArgs({ args: [...argv], options, strict: true }) as { values: ServeValues };
  for (const flag of SERVE_FLAGS) {
    const fromEnv = flag.env === undefined ? undefined : env[flag.env] || undefined;
    if (values[flag.name] === undefined && fromEnv !== undefined) values[flag.name] = flag.kind === 'strings' ? [fromEnv] : fromEnv;
  }
  return values;
}

/** A flag's number, or undefined when absent; throws naming the flag when it is not a number. */
export function numberFlag(values: ServeValues, name: string): number | undefined {
  const value = values[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n)) throw new Error(`--${name} expects a number, got ${JSON.stringify(value)}`);
  return n;
}

/** A string flag's value, or undefined. */
export function stringFlag(values: ServeValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** The gateway options of the flags that map to one option unchanged. */
export function directOptions(values: ServeValues): Partial<GatewayOptions> {
  const out: Record<string, unknown> = {};
  for (const flag of SERVE_FLAGS) {
    if (flag.option === undefined || values[flag.name] === undefined) continue;
    if (flag.kind === 'boolean') {
      if (values[flag.name] === true) out[flag.option] = true;
    } else out[flag.option] = flag.kind === 'number' ? numberFlag(values, flag.name) : values[flag.name];
  }
  return out as Partial<GatewayOptions>;
}
