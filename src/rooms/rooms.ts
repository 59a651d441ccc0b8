import { EventEmitter } from 'node:events';
import type { ErrorCode } from '../errors/error-codes.js';
import type { Handler, PhoneCallInfo } from '../handler/handler.js';
import type { SharedPacer } from '../pacer/shared-pacer.js';
import type { RoomMember } from './room-member.js';
import type { SessionTapFactory } from '../session/session-tap.js';
import type { HostCluster } from '../session/session-host.js';
import { isValidSessionId } from '../transport/message-fields.js';
import { roomRefusal, type AccessGrant } from '../auth/token-claims.js';
import { Room } from './room.js';
import type { RoomEvent } from './room-events.js';
import type { RoomsOptions } from './room-options.js';

export interface RoomSeat {
  readonly room: string;
  readonly handler: Handler;
  attach(session: RoomMember): void;
  cancel(): void;
}

export type SeatResult = { ok: true; seat: RoomSeat } | { ok: false; code: ErrorCode; message: string };

/** What a session asks to join with (a subset of the session host's open request). */
export interface SeatRequest {
  readonly id: string;
  readonly carrier: string;
  readonly room?: string | undefined;
  readonly phone: PhoneCallInfo | undefined;
}

/**
 * Every room of this process (docs/rooms.md): a room is made on its first join and closed when its last
 * person leaves, within `maxRooms` and `maxParticipants`. Events of every room go out on `events`
 * (`'event'`, a RoomEvent). A room lives on one node (docs/rooms.md, "Scaling").
 */
export class Rooms {
  readonly options: RoomsOptions;
  readonly events = new EventEmitter();
  private readonly rooms = new Map<string, Room>();
  private readonly pacer: SharedPacer;
  private readonly frameMs: number;
  private readonly now: () => number;
  private closing = false;

  private readonly tapFactory: SessionTapFactory | undefined;
  private readonly cluster: () => HostCluster | undefined;
  /** Rooms this node holds in the cluster directory (as `room:{id}`). */
  private readonly claims = new Set<string>();

  constructor(options: RoomsOptions, deps: { pacer: SharedPacer; frameMs: number; now: () => number; tapFactory?: SessionTapFactory | undefined; cluster?: () => HostCluster | undefined }) {
    this.cluster = deps.cluster ?? (() => undefined);
    this.options = options;
    this.tapFactory = deps.tapFactory;
    this.pacer = deps.pacer;
    this.frameMs = deps.frameMs;
    this.now = deps.now;
  }

  get sampleRate(): number {
    return this.options.sampleRate;
  }

  get size(): number {
    return this.rooms.size;
  }

  private openRooms(): number {
    let n = 0;
    for (const room of this.rooms.values()) if (!room.isClosed) n++;
    return n;
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  /** The room a session names: its transport's `room`, a phone stream's `room` custom parameter, or `roomFor`. */
  roomOf(request: SeatRequest): string | undefined {
    return request.room ?? request.phone?.customParameters.room ?? this.options.roomFor?.({ id: request.id, carrier: request.carrier, phone: request.phone }) ?? undefined;
  }

  /**
   * Undefined when the token that asked for the session (if any) lets it join the room it would join
   * (`roomOf`: named, a phone's parameter, or `roomFor`), else why not: a token's `room` claim is
   * the one room its sessions may join (docs/security.md, docs/rooms.md).
   */
  tokenRefusal(request: SeatRequest & { readonly requester?: { readonly grant?: AccessGrant | undefined } | undefined }): string | undefined {
    const grant = request.requester?.grant;
    return grant?.room === undefined ? undefined : roomRefusal(grant, this.roomOf(request));
  }

  /** undefined: the session joins no room. Else a seat, or the refusal. */
  seat(request: SeatRequest): SeatResult | undefined {
    const id = this.roomOf(request);
    if (id === undefined) return undefined;
    if (this.closing) return { ok: false, code: 'WG_ERR_SHUTTING_DOWN', message: 'server is shutting down' };
    if (!isValidSessionId(id)) return { ok: false, code: 'WG_ERR_INVALID_ROOM', message: `room ${JSON.stringify(id).slice(0, 80)}: 1–128 of A–Z a–z 0–9 _ - . :` };
    let room = this.rooms.get(id);
    // A room whose last person just left may still be shutting its handlers down: a join opens a new one.
    if (room?.isClosed) room = undefined;
    if (room === undefined) {
      if (this.openRooms() >= this.options.maxRooms) return { ok: false, code: 'WG_ERR_ROOM_LIMIT', message: `${this.options.maxRooms} rooms are open (rooms.maxRooms)` };
      try {
        room = new Room(id, {
        options: this.options,
        frameMs: this.frameMs,
        pacer: this.pacer,
        now: this.now,
        tapFactory: this.tapFactory,
        onEvent: (event: RoomEvent) => this.events.emit('event', event),
          onClosed: (closed) => {
            if (this.rooms.get(closed.id) === closed) this.rooms.delete(closed.id);
            // A new room of the same id (a join while this one shut down) keeps the claim.
            if (!this.rooms.has(closed.id) && this.claims.delete(closed.id)) this.cluster()?.directory.release(roomKey(closed.id));
          },
        });
      } catch (err) {
        // The room handler could not be made (missing engine, bad options): the join is refused, nothing else.
        return { ok: false, code: 'WG_ERR_HANDLER_UNAVAILABLE', message: `room handler: ${err instanceof Error ? err.message : String(err)}` };
      }
      this.rooms.set(id, room);
    }
    const seat = room.seat(request.id, request.carrier);
    if (seat === undefined) return { ok: false, code: 'WG_ERR_ROOM_FULL', message: `room ${JSON.stringify(id)} has ${this.options.maxParticipants} participants (rooms.maxParticipants)` };
    return { ok: true, seat: { room: id, ...seat } };
  }

  /**
   * With a cluster directory (docs/rooms.md, "Scaling"): a room this node does not hold yet is registered
   * as `room:{id}`; one another node holds refuses the join with WG_ERR_ROOM_ELSEWHERE and that node's URL.
   * A directory that cannot be reached lets the room open here (as sessions are admitted locally then).
   */
  async claim(request: SeatRequest): Promise<{ ok: true } | { ok: false; code: ErrorCode; message: string }> {
    const id = this.roomOf(request);
    const cluster = this.cluster();
    if (id === undefined || !isValidSessionId(id) || cluster === undefined || this.rooms.has(id) || this.claims.has(id)) return { ok: true };
    const elsewhere = (url: string | undefined) => ({ ok: false as const, code: 'WG_ERR_ROOM_ELSEWHERE' as const, message: `room ${JSON.stringify(id)} lives on ${url ?? 'another node'}; join it there` });
    const owner = await cluster.directory.remoteOwner(roomKey(id));
    if (owner) return elsewhere(owner.url);
    const admitted = await cluster.directory.admit({ id: roomKey(id), node: cluster.directory.nodeId, channel: cluster.channel, url: cluster.url, transport: 'websocket', carrier: 'room', handler: 'room', started: Date.now(), recording: false });
    if (!admitted.ok) {
      if (admitted.reason === 'limit') return { ok: false, code: 'WG_ERR_CONCURRENCY_LIMIT', message: `cluster concurrency limit of ${admitted.limit} reached (a room counts as one)` };
      if (this.rooms.has(id) || this.claims.has(id)) return { ok: true }; // claimed by another join on this node meanwhile
      return elsewhere((await cluster.directory.remoteOwner(roomKey(id)))?.url);
    }
    this.claims.add(id);
    return { ok: true };
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(this.list().map((room) => room.close()));
  }
}

/** A room's id in the cluster's session directory. */
function roomKey(id: string): string {
  return `room:${id}`;
}
