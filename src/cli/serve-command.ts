import { parseArgs } from 'node:util';
import { createGateway } from '../gateway.js';
import { loadHandler } from '../handler/handler-loader.js';
import { parseHandlerOptionFlags } from './handler-option-flags.js';
import { parseIceServer } from '../signaling/ice-servers.js';
import { parsePortRange } from '../transport/webrtc/webrtc-options.js';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { runWorkersPrimary } from '../cluster/workers-primary.js';
import { isGatewayWorker, primaryLink } from '../cluster/worker-ipc.js';

const HELP = `usage: wavegate serve [options]

  --host HOST                 address to listen on (default 127.0.0.1)
  --port N                    port, 0 picks a free one (default 8000)
  --handler NAME|PATH         echo, dsp, asr, voice-loop, or a module exporting a handler definition
                              (default echo)
  --handler-option KEY=VALUE  handler option, repeatable; dotted keys nest:
                              algoOptions.speechThreshold=0.2, canInterrupt=false
  --dsp SPEC                  the dsp handler's chain: gain=6,highpass=120,gate=-50,limiter=-1
  --concurrency-limit N       most sessions at once (default: no limit)
  --time-limit S              longest session in seconds (default: no limit)
  --idle-timeout S            close sessions silent this long (default 60)
  --redis URL                 redis://… shared by several gateway processes: one session directory, routing
                              to the owner, call signaling across them (docs/scale-out.md)
  --ice-server URI|JSON       ICE server for call pages, repeatable: stun:host:3478, turn:host:3478, or
                              {"urls":"turn:…","username":"u","credential":"p"} (default: none)
  --turn-secret SECRET        coturn static-auth-secret: TURN servers get time-limited credentials
  --turn-ttl S                lifetime of those credentials (default 3600)
                              (--ice-server and --turn-secret also serve POST /webrtc/offer peers)
  --webrtc-ports MIN-MAX      UDP ports WebRTC peers bind to (default: any free port)
  --webrtc-announced-address IP
                              public address announced as a host candidate, repeatable (behind 1:1 NAT
                              with the port range forwarded; see docs/webrtc.md)
  --webrtc-gather-timeout MS  longest the server gathers candidates before answering (default 3000)
  --webrtc-connect-timeout S  close a peer not connected this long after its offer (default 30)
  --webrtc-disconnected-grace S
                              close a peer disconnected this long (default 5)
  --webrtc-inbound-loss PCT   fault injection: drop this % of inbound RTP packets (default 0 = off)
  --webrtc-loss-seed N        seed of that drop pattern (default 1)
  --webrtc-allow-origin ORIGIN
                              let pages from ORIGIN (or *) POST /webrtc/offer cross-origin (CORS),
                              repeatable (default: same origin only)
  --presence-ttl S            a dead process's call users are released after this long (default 15)
  --public-url URL            public https://host[:port][/prefix] Twilio reaches this gateway at (TwiML
                              stream URL, signature checks); default: from each request's Host/X-Forwarded-*
  --twilio-auth-token TOKEN   check X-Twilio-Signature on /telephone/incoming (403 when wrong); also read
                              from the TWILIO_AUTH_TOKEN environment variable, which keeps it out of ps
  --record-dir DIR            record every session to DIR/{webrtc_id}.wav (growing WAV, served with Range
                              and ?pos= at /recordings/{id}.wav, listed at /recordings)
  --record input|output|both  what is recorded: caller, gateway, or both as stereo (default both)
  --recordings-secret SECRET  /recordings URLs must be signed and unexpired (HMAC-SHA256, ≥ 16 characters);
                              also read from WAVEGATE_RECORDINGS_SECRET, which keeps it out of ps
  --tls-cert FILE             serve HTTPS and WSS on the same port with this PEM certificate (chain)…
  --tls-key FILE              …and this PEM key; both are re-read on SIGHUP (renewal without a restart)
  --prefix PATH               serve every route under PATH (/voice/websocket/offer, the talk page at /voice/)
  --auth-secret SECRET        access tokens (JWT HS256, ≥ 32 characters) on every route but the pages,
                              /healthz and carrier webhooks; mint them with \`wavegate token\`; also read
                              from WAVEGATE_AUTH_SECRET, which keeps it out of ps (docs/security.md);
                              repeatable while rotating: tokens of any of them verify
  --enforce-exp-live          end WebSockets and streams when their token expires (default: an expired
                              token ends nothing already running)
  --metrics-token-required    with --auth-secret, /metrics needs an admin token too
  --telnyx-public-key KEY     Telnyx webhook public key (base64 Ed25519): /telephone/incoming requests
                              from Telnyx must carry a valid telnyx-signature-ed25519
  --plivo-auth-token TOKEN    Plivo auth token: /telephone/incoming requests from Plivo must carry a valid
                              X-Plivo-Signature-V3; also read from PLIVO_AUTH_TOKEN
  --client-requests-per-second N
                              most HTTP requests per second from one client address (default: no limit)
  --client-connections-per-second N
                              most WebSocket connection attempts per second from one address (default: none)
  --client-sessions N         most sessions open at once from one client address (default: no limit)
  --trust-proxy N             N proxies in front append to X-Forwarded-For: the client is the address the
                              outermost one saw (default 0: the TCP peer)
  --allowed-origin ORIGIN     browser pages from ORIGIN (besides the gateway's own) may connect; repeatable;
                              any other Origin is refused with 403 (default: no origin check)
  --refusal-log-per-second N  refusals (401/403/429, duplicate ids, limits) logged one line each, at most N a
                              second; beyond, one summary line a second with the count (default 10)
  --session-lease-s S         with --redis: a node's sessions leave the cluster directory this long after
                              it stops renewing them (it died) (default 10; docs/scale-out.md)
  --cluster-concurrency-limit N
                              with --redis: most sessions across every node (--concurrency-limit stays
                              per process)
  --redis-timeout-ms MS       a Redis slower than this counts as lost: admission goes on against the local
                              limit (default 1000)
  --advertise-url URL         http(s)://host:port the other nodes reach this one at (recordings are proxied
                              there; default: the listening address)
  --workers N|auto            run N gateway workers (auto: one per core) on the one port (node:cluster);
                              the primary replaces dead workers and, without --redis, holds the box's
                              session directory (default 1; docs/scale-out.md#workers)
  --room-handler NAME|PATH    a handler that joins every room as a participant (echo, dsp, asr,
                              voice-loop, or a module); default none (docs/rooms.md)
  --room-handler-input mix|per-speaker
                              what the room handler hears: everyone's mix (default) or one instance per
                              person on that person's own stream (asr: transcripts with speaker ids)
  --room-handler-option KEY=VALUE
                              room handler option, repeatable (as --handler-option)
  --room-max-participants N   most participants in one room (default 50)
  --max-rooms N               most rooms open at once in this process (default 100)
  --room-sample-rate HZ       the rate rooms mix at: 8000, 16000 (default), 24000 or 48000
  --room-moderation           participants may mute, set the gain of and kick others from their socket
  --no-room-barge-in          a person talking does not clear a room handler's queued speech
  --vad silero|webrtc         voice activity detector of the turn-taking handlers (asr, voice-loop);
                              silero needs: npm install onnxruntime-node @ricky0123/vad-web (docs/handlers.md)
`;

function toNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name} expects a number, got ${JSON.stringify(value)}`);
  return n;
}

function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`--workers expects an integer from 1 to 256 or auto, got ${JSON.stringify(value)}`);
  return n;
}

export async function runServe(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8000' },
      handler: { type: 'string', default: 'echo' },
      'handler-option': { type: 'string', multiple: true },
      dsp: { type: 'string' },
      'concurrency-limit': { type: 'string' },
      'time-limit': { type: 'string' },
      'idle-timeout': { type: 'string' },
      redis: { type: 'string' },
      'ice-server': { type: 'string', multiple: true },
      'turn-secret': { type: 'string' },
      'turn-ttl': { type: 'string' },
      'presence-ttl': { type: 'string' },
      'public-url': { type: 'string' },
      'twilio-auth-token': { type: 'string' },
      'record-dir': { type: 'string' },
      record: { type: 'string' },
      'recordings-secret': { type: 'string' },
      'webrtc-ports': { type: 'string' },
      'webrtc-announced-address': { type: 'string', multiple: true },
      'webrtc-gather-timeout': { type: 'string' },
      'webrtc-connect-timeout': { type: 'string' },
      'webrtc-disconnected-grace': { type: 'string' },
      'webrtc-inbound-loss': { type: 'string' },
      'webrtc-loss-seed': { type: 'string' },
      'webrtc-allow-origin': { type: 'string', multiple: true },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      prefix: { type: 'string' },
      'auth-secret': { type: 'string', multiple: true },
      'enforce-exp-live': { type: 'boolean' },
      'metrics-token-required': { type: 'boolean' },
      'telnyx-public-key': { type: 'string' },
      'plivo-auth-token': { type: 'string' },
      'client-requests-per-second': { type: 'string' },
      'client-connections-per-second': { type: 'string' },
      'client-sessions': { type: 'string' },
      'trust-proxy': { type: 'string' },
      'allowed-origin': { type: 'string', multiple: true },
      'refusal-log-per-second': { type: 'string' },
      'session-lease-s': { type: 'string' },
      'cluster-concurrency-limit': { type: 'string' },
      'redis-timeout-ms': { type: 'string' },
      'advertise-url': { type: 'string' },
      workers: { type: 'string' },
      'room-handler': { type: 'string' },
      'room-handler-input': { type: 'string' },
      'room-handler-option': { type: 'string', multiple: true },
      'room-max-participants': { type: 'string' },
      'max-rooms': { type: 'string' },
      'room-sample-rate': { type: 'string' },
      'room-moderation': { type: 'boolean' },
      'no-room-barge-in': { type: 'boolean' },
      vad: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const workers = parseWorkers(values.workers);
  if (workers > 1 && cluster.isPrimary) {
    const limit = toNumber('cluster-concurrency-limit', values['cluster-concurrency-limit']) ?? toNumber('concurrency-limit', values['concurrency-limit']) ?? null;
    return runWorkersPrimary({ workers, boxLimit: limit, redis: values.redis !== undefined, drainTimeoutMs: 30_000 });
  }
  const handler = await loadHandler(values.handler);
  const handlerOptions = parseHandlerOptionFlags(values['handler-option'] ?? []);
  if (values.dsp !== undefined) handlerOptions.dsp = values.dsp;
  if (values.vad !== undefined) {
    if (values.vad !== 'silero' && values.vad !== 'webrtc') throw new Error(`--vad expects silero or webrtc, got ${JSON.stringify(values.vad)}`);
    handlerOptions.vad = values.vad;
  }
  const concurrencyLimit = toNumber('concurrency-limit', values['concurrency-limit']);
  const timeLimitS = toNumber('time-limit', values['time-limit']);
  const idleTimeoutS = toNumber('idle-timeout', values['idle-timeout']);
  const turnCredentialTtlS = toNumber('turn-ttl', values['turn-ttl']);
  const presenceTtlS = toNumber('presence-ttl', values['presence-ttl']);
  const twilioAuthToken = values['twilio-auth-token'] ?? (process.env.TWILIO_AUTH_TOKEN || undefined);
  const recordingsSecret = values['recordings-secret'] ?? (process.env.WAVEGATE_RECORDINGS_SECRET || undefined);
  // Repeatable: the first is current, the others still verify while rotating (docs/security.md).
  const authSecret = values['auth-secret'] ?? (process.env.WAVEGATE_AUTH_SECRET ? [process.env.WAVEGATE_AUTH_SECRET] : undefined);
  const plivoAuthToken = values['plivo-auth-token'] ?? (process.env.PLIVO_AUTH_TOKEN || undefined);
  const clientRequestsPerSecond = toNumber('client-requests-per-second', values['client-requests-per-second']);
  const clientConnectionsPerSecond = toNumber('client-connections-per-second', values['client-connections-per-second']);
  const clientSessions = toNumber('client-sessions', values['client-sessions']);
  const trustProxy = toNumber('trust-proxy', values['trust-proxy']);
  const refusalLogPerSecond = toNumber('refusal-log-per-second', values['refusal-log-per-second']);
  const recordMode = values.record;
  if (recordMode !== undefined && recordMode !== 'input' && recordMode !== 'output' && recordMode !== 'both') {
    throw new Error(`--record expects input, output or both, got ${JSON.stringify(recordMode)}`);
  }
  const webrtcGatherTimeoutMs = toNumber('webrtc-gather-timeout', values['webrtc-gather-timeout']);
  const webrtcConnectTimeoutS = toNumber('webrtc-connect-timeout', values['webrtc-connect-timeout']);
  const webrtcDisconnectedGraceS = toNumber('webrtc-disconnected-grace', values['webrtc-disconnected-grace']);
  const webrtcInboundLossPercent = toNumber('webrtc-inbound-loss', values['webrtc-inbound-loss']);
  const webrtcLossSeed = toNumber('webrtc-loss-seed', values['webrtc-loss-seed']);
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) throw new Error('--tls-cert and --tls-key go together');
  const sessionLeaseS = toNumber('session-lease-s', values['session-lease-s']);
  const clusterConcurrencyLimit = toNumber('cluster-concurrency-limit', values['cluster-concurrency-limit']);
  const redisTimeoutMs = toNumber('redis-timeout-ms', values['redis-timeout-ms']);
  const roomHandlerInput = values['room-handler-input'];
  if (roomHandlerInput !== undefined && roomHandlerInput !== 'mix' && roomHandlerInput !== 'per-speaker') throw new Error(`--room-handler-input expects mix or per-speaker, got ${JSON.stringify(roomHandlerInput)}`);
  const roomMaxParticipants = toNumber('room-max-participants', values['room-max-participants']);
  const maxRooms = toNumber('max-rooms', values['max-rooms']);
  const roomSampleRate = toNumber('room-sample-rate', values['room-sample-rate']);
  const rooms = {
    ...(values['room-handler'] !== undefined && { handler: await loadHandler(values['room-handler']), handlerOptions: parseHandlerOptionFlags(values['room-handler-option'] ?? []) }),
    ...(roomHandlerInput !== undefined && { handlerInput: roomHandlerInput as 'mix' | 'per-speaker' }),
    ...(roomMaxParticipants !== undefined && { maxParticipants: roomMaxParticipants }),
    ...(maxRooms !== undefined && { maxRooms }),
    ...(roomSampleRate !== undefined && { sampleRate: roomSampleRate as 8000 | 16000 | 24000 | 48000 }),
    ...(values['room-moderation'] === true && { clientModeration: true }),
    ...(values['no-room-barge-in'] === true && { bargeIn: false }),
  };
  const gateway = createGateway({
    host: values.host,
    port: toNumber('port', values.port) ?? 8000,
    handler,
    handlerOptions,
    ...(concurrencyLimit !== undefined && { concurrencyLimit }),
    ...(timeLimitS !== undefined && { timeLimitS }),
    ...(idleTimeoutS !== undefined && { idleTimeoutS }),
    ...(values.redis !== undefined && { redisUrl: values.redis }),
    ...(values['ice-server'] !== undefined && { iceServers: values['ice-server'].map(parseIceServer) }),
    ...(values['turn-secret'] !== undefined && { turnSecret: values['turn-secret'] }),
    ...(turnCredentialTtlS !== undefined && { turnCredentialTtlS }),
    ...(presenceTtlS !== undefined && { presenceTtlS }),
    ...(values['public-url'] !== undefined && { publicUrl: values['public-url'] }),
    ...(twilioAuthToken !== undefined && { twilioAuthToken }),
    ...(values['record-dir'] !== undefined && { recordDir: values['record-dir'] }),
    ...(recordMode !== undefined && { recordMode }),
    ...(recordingsSecret !== undefined && { recordingsSecret }),
    ...(values['webrtc-ports'] !== undefined && { webrtcPortRange: parsePortRange(values['webrtc-ports']) }),
    ...(values['webrtc-announced-address'] !== undefined && { webrtcAnnouncedAddresses: values['webrtc-announced-address'] }),
    ...(webrtcGatherTimeoutMs !== undefined && { webrtcGatherTimeoutMs }),
    ...(webrtcConnectTimeoutS !== undefined && { webrtcConnectTimeoutS }),
    ...(webrtcDisconnectedGraceS !== undefined && { webrtcDisconnectedGraceS }),
    ...(webrtcInboundLossPercent !== undefined && { webrtcInboundLossPercent }),
    ...(webrtcLossSeed !== undefined && { webrtcLossSeed }),
    ...(values['webrtc-allow-origin'] !== undefined && { webrtcAllowedOrigins: values['webrtc-allow-origin'] }),
    ...(values['tls-cert'] !== undefined && { tls: { certFile: values['tls-cert'], keyFile: values['tls-key']! } }),
    ...(values.prefix !== undefined && { prefix: values.prefix }),
    ...(authSecret !== undefined && { authSecret }),
    ...(values['enforce-exp-live'] === true && { enforceExpLive: true }),
    ...(values['metrics-token-required'] === true && { metricsTokenRequired: true }),
    ...(values['telnyx-public-key'] !== undefined && { telnyxPublicKey: values['telnyx-public-key'] }),
    ...(plivoAuthToken !== undefined && { plivoAuthToken }),
    ...(clientRequestsPerSecond !== undefined && { clientRequestsPerSecond }),
    ...(clientConnectionsPerSecond !== undefined && { clientConnectionsPerSecond }),
    ...(clientSessions !== undefined && { clientSessions }),
    ...(trustProxy !== undefined && { trustProxy }),
    ...(values['allowed-origin'] !== undefined && { allowedOrigins: values['allowed-origin'] }),
    ...(refusalLogPerSecond !== undefined && { refusalLogPerSecond }),
    ...(sessionLeaseS !== undefined && { sessionLeaseS }),
    ...(clusterConcurrencyLimit !== undefined && { clusterConcurrencyLimit }),
    ...(redisTimeoutMs !== undefined && { redisTimeoutMs }),
    ...(values['advertise-url'] !== undefined && { advertiseUrl: values['advertise-url'] }),
    rooms,
  });
  const { url } = await gateway.listen();
  const worker = isGatewayWorker();
  if (worker) primaryLink().post({ wavegate: 'listening', url });
  else process.stdout.write(`wavegate listening on ${url}\n`);

  return new Promise<number>((resolveExit) => {
    const stop = (signal: NodeJS.Signals) => {
      if (!worker) process.stdout.write(`wavegate: ${signal}, closing sessions\n`);
      gateway.close().then(
        () => {
          // A worker's IPC channel would keep it alive: let go of it once drained.
          if (worker && process.connected) process.disconnect();
          resolveExit(0);
        },
        (err: unknown) => {
          console.error('wavegate: close failed', err);
          resolveExit(1);
        },
      );
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    if (values['tls-cert'] !== undefined) {
      // Certificate renewal: new connections get the new files, live sessions continue (docs/deploy.md).
      process.on('SIGHUP', () => {
        gateway.reloadTls().then(
          () => process.stdout.write('wavegate: SIGHUP, TLS certificate reloaded\n'),
          (err: unknown) => console.error(`wavegate: SIGHUP, TLS certificate not reloaded, the previous one stays: ${err instanceof Error ? err.message : String(err)}`),
        );
      });
    }
    // A worker whose primary is gone drains and exits rather than hold the port alone.
    if (worker) process.once('disconnect', () => stop('SIGTERM'));
  });
}
