import { checkMediaFormat } from '../codecs/codec-factory.js';
import type { MediaFormat } from '../codecs/media-format.js';
import { encoderOptionsOf, sessionOpusSettings, type OpusSettings } from '../codecs/opus-settings.js';
import { WavegateError } from '../errors/wavegate-error.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { GatewayOptions } from '../gateway-options.js';
import type { Handler, HandlerDefinition, PhoneCallInfo } from '../handler/handler.js';
import { GatewayEvents } from '../gateway-events.js';
import { SharedPacer } from '../pacer/shared-pacer.js';
import { Session } from './session.js';
import { SessionRegistry } from './session-registry.js';
import type { SessionSink } from '../media-path/session-sink.js';
import type { SessionTap, SessionTapFactory } from './session-tap.js';
import type { SessionDirectory } from '../cluster/session-directory.js';
import type { RemoteSessions } from './remote-sessions.js';
import type { SessionRequester } from '../auth/session-requester.js';
import { allowsSession } from '../auth/token-claims.js';

/** The cluster this host's sessions are registered in (docs/scale-out.md); set by the gateway. */
export interface HostCluster {
  readonly directory: SessionDirectory;
  /** This node's router channel (where other nodes forward requests for its sessions). */
  readonly channel: string;
  /** This node's advertised base URL, once listening. */
  url: string;
}

export interface OpenSessionRequest {
  readonly id: string;
  readonly carrier: string;
  readonly inputFormat: MediaFormat | undefined;
  readonly outputFormat: MediaFormat | undefined;
  /** The client's Opus encoder settings (start message `outputFormat.opus`). */
  readonly opus?: Partial<OpusSettings> | undefined;
  readonly phone: PhoneCallInfo | undefined;
  readonly handlerOptions?: Readonly<Record<string, unknown>> | undefined;
  readonly carrierConfirmsMarks: boolean;
  readonly sink: SessionSink;
  /** The room the session joins (FastRTC start, WebRTC offer; phones: the `room` custom parameter). */
  readonly room?: string | undefined;
  /** Who asked: the token's grant (its `room` claim), client address and route (refusal log); docs/security.md. */
  readonly requester?: SessionRequester | undefined;
}

/**
 * Rooms (src/rooms/, docs/rooms.md), set by the gateway: a session that names a room gets the room's seat
 * as its handler (its input goes into the room's mix, the mix of the others is its output) instead of an
 * instance of the gateway's handler.
 */
export interface RoomSeating {
  readonly sampleRate: number;
  seat(request: OpenSessionRequest):
    | { ok: true; seat: { readonly handler: Handler; attach(session: Session): void; cancel(): void } }
    | { ok: false; code: ErrorCode; message: string }
    | undefined;
  /** With a cluster directory: the room is claimed for this node, or the join refused with its owner's URL. */
  claim?(request: OpenSessionRequest): Promise<{ ok: true } | { ok: false; code: ErrorCode; message: string }>;
  /** Undefined when the requester's token lets the session join the room it would join (its `room` claim), else why not. */
  tokenRefusal?(request: OpenSessionRequest): string | undefined;
}

export type OpenSessionResult =
  | { ok: true; session: Session }
  | { ok: false; code: ErrorCode; message: string; limit?: number };

/**
 * What every transport (FastRTC, telephony) shares: the registry, the one pacing clock, the
 * handler definition, session taps, and the once-a-second sweep for time limits and idle sessions.
 */
export class SessionHost {
  readonly registry: SessionRegistry;
  readonly pacer: SharedPacer;
  readonly options: GatewayOptions;
  private readonly tapFactories: SessionTapFactory[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private closing = false;
  readonly now: () => number = () => performance.now();
  /** Set with a session directory: admission is decided for the whole cluster too. */
  cluster: HostCluster | undefined;
  /** Sessions other nodes hold (POST /input, GET /outputs, candidates on the wrong node). */
  remote: RemoteSessions | undefined;
  /** Rooms of this process (docs/rooms.md); set by the gateway. */
  rooms: RoomSeating | undefined;

  /** session-opened, session-closed, session-refused (docs/embedding.md). */
  readonly events: GatewayEvents;

  constructor(options: GatewayOptions, events: GatewayEvents = new GatewayEvents()) {
    this.options = options;
    this.events = events;
    this.registry = new SessionRegistry(options.concurrencyLimit);
    this.pacer = new SharedPacer(options.frameMs, this.now);
  }

  addTapFactory(factory: SessionTapFactory): void {
    this.tapFactories.push(factory);
  }

  start(): void {
    const { timeLimitS, idleTimeoutS } = this.options;
    const limits = { timeLimitMs: timeLimitS === null ? null : timeLimitS * 1000, idleTimeoutMs: idleTimeoutS * 1000 };
    this.sweepTimer = setInterval(() => this.registry.sweep(this.now(), limits), Math.min(1000, (limits.timeLimitMs ?? 4000) / 4, limits.idleTimeoutMs / 4));
    this.sweepTimer.unref();
  }

  /**
   * Admission first (this process, then the cluster's directory when there is one: then the result is a
   * promise), then the handler instance, then the session (its `startUp` is queued); reported as an event.
   */
  open(request: OpenSessionRequest): OpenSessionResult | Promise<OpenSessionResult> {
    const result = this.admitAndBuild(request);
    if (result instanceof Promise) return result.then((settled) => (this.report(request, settled), settled));
    this.report(request, result);
    return result;
  }

  private report(request: OpenSessionRequest, result: OpenSessionResult): void {
    const { events } = this;
    if (!result.ok) {
      const { client, route } = request.requester ?? {};
      events.report('session-refused', { id: request.id, carrier: request.carrier, code: result.code, message: result.message, ...(client !== undefined && { client }), ...(route !== undefined && { route }) });
      return;
    }
    const { session } = result;
    const startedAt = Date.now();
    events.report('session-opened', { id: session.id, carrier: session.carrier, handler: this.options.handler.name, startedAt });
    // The signal aborts as the close begins (synchronously, inside it: hence the microtask); `close()`
    // is idempotent and returns that close, so the event comes once the handler has shut down and the
    // counters are final.
    const closed = () =>
      void session.close(session.closeReason ?? 'socket_closed').then(() =>
        events.report('session-closed', { id: session.id, carrier: session.carrier, reason: session.closeReason ?? 'socket_closed', durationMs: Date.now() - startedAt, stats: session.stats() }),
      );
    session.signal.addEventListener('abort', () => queueMicrotask(closed), { once: true });
  }

  private admitAndBuild(request: OpenSessionRequest): OpenSessionResult | Promise<OpenSessionResult> {
    if (this.closing) return { ok: false, code: 'WG_ERR_SHUTTING_DOWN', message: 'server is shutting down' };
    // The token's `sub` and `room` (docs/security.md), checked first, for every transport: a token for one
    // session id opens that id only (FastRTC and WebRTC check it earlier too; phone streams here), a token
    // naming a room opens sessions in that room only (docs/rooms.md).
    const grant = request.requester?.grant;
    if (!allowsSession(grant, request.id)) return { ok: false, code: 'WG_ERR_FORBIDDEN', message: `the token is for another session than ${JSON.stringify(request.id)}` };
    const roomRefusal = this.rooms?.tokenRefusal?.(request);
    if (roomRefusal !== undefined) return { ok: false, code: 'WG_ERR_FORBIDDEN', message: roomRefusal };
    const admission = this.registry.admit(request.id);
    if (!admission.ok) {
      return admission.reason === 'duplicate'
        ? { ok: false, code: 'WG_ERR_DUPLICATE_SESSION', message: `a session with id ${JSON.stringify(request.id)} is already open; the new connection is refused` }
        : { ok: false, code: 'WG_ERR_CONCURRENCY_LIMIT', message: `concurrency limit of ${this.registry.limit} reached`, limit: this.registry.limit ?? 0 };
    }
    const definition = this.options.handler;
    const refused = Object.keys(request.handlerOptions ?? {}).filter((key) => !(definition.clientOptions ?? []).includes(key));
    if (refused.length > 0) {
      admission.release();
      const allowed = definition.clientOptions?.length ? `; a client may set ${definition.clientOptions.join(', ')}` : '; clients may set none';
      return { ok: false, code: 'WG_ERR_OPTION_NOT_ALLOWED', message: `handler ${definition.name}: ${refused.map((k) => JSON.stringify(k)).join(', ')}${allowed}` };
    }
    const invalid = invalidOptions(definition, { ...this.options.handlerOptions, ...request.handlerOptions });
    if (invalid !== undefined) {
      admission.release();
      return { ok: false, code: 'WG_ERR_INVALID_OPTION', message: `handler ${definition.name}: ${invalid}` };
    }
    const cluster = this.cluster;
    if (!cluster) return this.build(request, admission.release);
    const entry = {
      id: request.id,
      node: cluster.directory.nodeId,
      channel: cluster.channel,
      url: cluster.url,
      transport: request.carrier === 'webrtc' ? 'webrtc' : 'websocket',
      carrier: request.carrier,
      handler: definition.name,
      started: Date.now(),
      recording: this.options.recordDir !== null,
    } as const;
    return cluster.directory.admit(entry).then(async (result): Promise<OpenSessionResult> => {
      if (!result.ok) {
        admission.release();
        return result.reason === 'duplicate'
          ? { ok: false, code: 'WG_ERR_DUPLICATE_SESSION', message: `a session with id ${JSON.stringify(request.id)} is open on another node; the new connection is refused` }
          : { ok: false, code: 'WG_ERR_CONCURRENCY_LIMIT', message: `cluster concurrency limit of ${result.limit} reached`, limit: result.limit ?? 0 };
      }
      // A room lives on one node (docs/rooms.md, "Scaling"): claimed here, or refused with the owner's URL.
      const claim = await this.rooms?.claim?.(request);
      if (claim && !claim.ok) {
        admission.release();
        cluster.directory.release(request.id);
        return claim;
      }
      const built = this.closing ? ({ ok: false, code: 'WG_ERR_SHUTTING_DOWN', message: 'server is shutting down' } as const) : this.build(request, admission.release);
      if (!built.ok) {
        if (this.closing) admission.release();
        cluster.directory.release(request.id);
      }
      return built;
    });
  }

  /** A session of this node lost its id to an earlier one elsewhere (directory resync): it is told and closed. */
  closeLost(id: string): void {
    void this.registry.get(id)?.close('protocol_error', { code: 'WG_ERR_SESSION_CONFLICT', message: `another node holds ${JSON.stringify(id)} since earlier; this session is closed` });
  }

  private build(request: OpenSessionRequest, release: () => void): OpenSessionResult {
    const { options } = this;
    const definition = options.handler;
    let session: Session;
    // A session in a room gets the room's seat for a handler (docs/rooms.md, "Joining").
    const seated = this.rooms?.seat(request);
    if (seated && !seated.ok) {
      release();
      return seated;
    }
    const seat = seated?.seat;
    let handler: Handler | undefined;
    const taps: SessionTap[] = [];
    try {
      const inputFormat = request.inputFormat ?? options.inputFormat;
      const outputFormat = request.outputFormat ?? options.outputFormat;
      // The formats first (docs/protocol.md, `mediaFormat`): a rate or encoding no codec serves is the
      // client's WG_ERR_UNSUPPORTED_FORMAT before a handler, a recorder or a codec is made for it.
      checkMediaFormat(inputFormat);
      checkMediaFormat(outputFormat);
      // Opus output: the gateway's encoder settings with the client's over them (docs/media.md).
      const encoder = outputFormat.encoding === 'audio/opus' ? encoderOptionsOf(sessionOpusSettings(options.opus, request.opus)) : undefined;
      handler = seat ? seat.handler : definition.create({ ...options.handlerOptions, ...request.handlerOptions });
      const handlerInputRate = seat ? this.rooms!.sampleRate : definition.inputSampleRate;
      for (const factory of this.tapFactories) {
        const tap = factory({ id: request.id, inputSampleRate: handlerInputRate ?? inputFormat.sampleRate, outputSampleRate: outputFormat.sampleRate });
        if (tap) taps.push(tap);
      }
      session = new Session({
        id: request.id,
        carrier: request.carrier,
        handler,
        handlerInputRate,
        inputTiming: seat ? 'realtime' : (definition.inputTiming ?? 'realtime'),
        inputFormat,
        outputFormat,
        encoder,
        phone: request.phone,
        carrierConfirmsMarks: request.carrierConfirmsMarks,
        frameMs: options.frameMs,
        outputLeadMs: options.outputLeadMs,
        outputCapacityFrames: Math.ceil(120_000 / options.frameMs),
        maxPendingFrames: Math.ceil(2000 / options.frameMs),
        maxBufferedBytes: 256 * 1024,
        slowConsumerTimeoutMs: 5000,
        shutdownTimeoutMs: 5000,
        pacer: this.pacer,
        sink: request.sink,
        taps,
        now: this.now,
        inRoom: seat !== undefined,
      });
    } catch (err) {
      // What was made before the failure is released (docs/architecture.md, "The handler runner": shutdown
      // runs exactly once, here the only time, with no startUp before it): the taps
      // (a recorder holds an open file and a flush timer) and a handler of our own (the seat's is the room's).
      for (const tap of taps) void tap.close().catch(() => undefined);
      if (!seat && handler?.shutdown) {
        const made = handler;
        void Promise.resolve()
          .then(() => made.shutdown!('protocol_error'))
          .catch(() => undefined);
      }
      seat?.cancel();
      release();
      const code: ErrorCode = err instanceof WavegateError ? err.code : 'WG_ERR_HANDLER_UNAVAILABLE';
      return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
    }
    seat?.attach(session);
    this.registry.add(session);
    session.signal.addEventListener(
      'abort',
      () =>
        queueMicrotask(() => {
          if (this.registry.get(session.id) === session) this.cluster?.directory.release(session.id);
          this.registry.remove(session);
        }),
      { once: true },
    );
    session.start();
    return { ok: true, session };
  }

  /** Refuses new sessions, ends open ones (handlers' shutdown first, clients get 1001). */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    await this.registry.closeAll('server_shutdown');
    this.pacer.stop();
  }
}

/** What the definition's `validateOptions` says is wrong with a session's options, or undefined (docs/handlers.md). */
function invalidOptions(definition: HandlerDefinition<any>, options: Record<string, unknown>): string | undefined {
  if (definition.validateOptions === undefined) return undefined;
  try {
    definition.validateOptions(options);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
