import type { AudioFrame } from '../audio/audio-frame.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { CloseReason, Handler, HandlerContext, HandlerOutput, SessionEvent } from '../handler/handler.js';
import type { Paced, SharedPacer } from '../pacer/shared-pacer.js';
import type { RoomMember } from './room-member.js';
import type { SessionTap, SessionTapFactory } from '../session/session-tap.js';
import { ActiveSpeaker } from './active-speaker.js';
import { dbfsToLevel } from './frame-level.js';
import { HandlerParticipant, type HandlerParticipantHost } from './handler-participant.js';
import { ParticipantInput } from './participant-input.js';
import { parseRoomAction, type RoomAction } from './room-action.js';
import type { ParticipantInfo, RoomEvent } from './room-events.js';
import { RoomMixer, type MixerMember } from './room-mixer.js';
import type { RoomsOptions } from './room-options.js';

export interface RoomDeps {
  readonly options: RoomsOptions;
  readonly frameMs: number;
  readonly pacer: SharedPacer;
  readonly now: () => number;
  /** Every event of this room (also sent to its people). */
  readonly onEvent: (event: RoomEvent) => void;
  /** The last person left: the room is closed. */
  readonly onClosed: (room: Room) => void;
  /** Recordings (`--record-dir`): the room's mix is recorded as `room.{id}` (docs/rooms.md, "Recording a room"). */
  readonly tapFactory?: SessionTapFactory | undefined;
}

/** A person's place in the room: the handler its session gets instead of the gateway's, and its session. */
interface PersonSeat {
  readonly kind: 'person';
  readonly id: string;
  readonly carrier: string;
  readonly member: MixerMember;
  readonly joinedAt: string;
  session: RoomMember | undefined;
  ctx: HandlerContext | undefined;
  /** Per-speaker mode: the room handler's instance that hears only this person. */
  listener: HandlerParticipant | undefined;
  left: boolean;
  /** Its entry in the tick's level list (reused: nothing allocated per tick). */
  readonly level: [string, number];
}

export type RoomActionResult = { ok: true; participants?: readonly ParticipantInfo[] } | { ok: false; code: ErrorCode; message: string };

/** Frames quieter than −60 dBFS are not mixed (level gating; docs/rooms.md, "Mixing rules"). */
const GATE_LEVEL = dbfsToLevel(-60);

/**
 * One room (docs/rooms.md): its people (sessions of any transport, format and rate), its handlers, one
 * mixer ticking on the shared pacer, the active-speaker detector, barge-in, controls and events. People
 * join through `seat()` (their session gets the seat's handler: its input goes into the mix, the mix
 * comes out as its output); the room closes when the last person leaves.
 */
export class Room implements Paced {
  readonly id: string;
  readonly createdAt = new Date().toISOString();
  private readonly deps: RoomDeps;
  readonly mixer: RoomMixer;
  private readonly people = new Map<string, PersonSeat>();
  private readonly handlers = new Map<string, HandlerParticipant>();
  private readonly speaker = new ActiveSpeaker();
  private readonly frameSamples: number;
  private readonly levels: Array<[string, number]> = [];
  /** What a per-speaker handler hears while its person sends nothing (or is muted). */
  private readonly silence: Int16Array;
  private closed = false;
  private readonly tap: SessionTap | undefined;
  private readonly openedAt: number;
  /** Mixer time per tick (ms), the last ticks; for the bench and `GET /rooms/{id}`. */
  lastTickMs = 0;
  maxTickMs = 0;
  totalTickMs = 0;

  constructor(id: string, deps: RoomDeps) {
    this.id = id;
    this.deps = deps;
    this.frameSamples = Math.round((deps.options.sampleRate * deps.frameMs) / 1000);
    this.mixer = new RoomMixer(this.frameSamples, GATE_LEVEL);
    this.silence = new Int16Array(this.frameSamples);
    const { handler } = deps.options;
    if (handler !== null && deps.options.handlerInput === 'mix') this.addHandler(handler.name, null);
    this.openedAt = deps.now();
    const rate = deps.options.sampleRate;
    this.tap = deps.tapFactory?.({ id: `room.${id}`, inputSampleRate: rate, outputSampleRate: rate });
    if (this.tap) {
      const tap = this.tap;
      // The mix, mono, on both of the recorder's sides (a `both` recording holds it twice); silence where nobody talks.
      this.mixer.onMix = (pcm, now) => {
        const frame: AudioFrame = { samples: pcm.slice(), sampleRate: rate, channels: 1, timestamp: now - this.openedAt };
        tap.onInput(frame);
        tap.onOutput(frame);
      };
    }
    deps.pacer.join(this);
  }

  /** Seats taken (people, including those still connecting, and handlers). */
  get size(): number {
    return this.people.size + this.handlers.size;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** A seat for a person; undefined when the room is full. */
  seat(id: string, carrier: string): { handler: Handler; attach(session: RoomMember): void; cancel(): void } | undefined {
    if (this.closed || this.size >= this.deps.options.maxParticipants) return undefined;
    const input = new ParticipantInput({ frameSamples: this.frameSamples, primeFrames: 2, maxFrames: 4, capacity: 8 });
    const seat: PersonSeat = {
      kind: 'person',
      id,
      carrier,
      joinedAt: new Date().toISOString(),
      session: undefined,
      ctx: undefined,
      listener: undefined,
      left: false,
      level: [id, 0],
      member: { id, input, muted: false, gain: 1, listener: undefined, always: false, frame: undefined, level: 0, heard: false },
    };
    this.people.set(id, seat);
    const room = this;
    const rate = this.deps.options.sampleRate;
    let streamMs = 0;
    const handler: Handler = {
      startUp(ctx) {
        seat.ctx = ctx;
        (seat.member as { listener: MixerMember['listener'] }).listener = (pcm) => {
          const frame: AudioFrame = { samples: pcm, sampleRate: rate, channels: 1, timestamp: streamMs };
          streamMs += room.deps.frameMs;
          ctx.send({ type: 'audio', frame });
        };
        room.joined(seat);
      },
      receive(frame) {
        input.push(frame.samples);
      },
      onEvent(event: SessionEvent) {
        if (event.type === 'room') room.fromSocket(seat, event.message);
      },
      shutdown(reason: CloseReason) {
        room.left(seat, reason);
      },
    };
    return {
      handler,
      attach: (session) => {
        seat.session = session;
      },
      cancel: () => {
        if (!seat.ctx) {
          this.people.delete(id);
          this.closeIfEmpty();
        }
      },
    };
  }

  /** Shared clock tick: one mix; who speaks; barge-in. */
  onTick(now: number): boolean {
    if (this.closed) return false;
    const started = performance.now();
    this.mixer.tick(now);
    const levels = this.levels;
    levels.length = 0;
    for (const seat of this.people.values()) {
      const m = seat.member;
      seat.level[1] = m.heard ? m.level : 0;
      levels.push(seat.level);
      seat.listener?.hear(m.frame !== undefined && !m.muted ? m.frame : this.silence);
    }
    for (const h of this.handlers.values()) {
      h.level[1] = h.member.heard ? h.member.level : 0;
      levels.push(h.level);
    }
    const { onsets, changed } = this.speaker.update(levels);
    if (changed) this.emit({ event: 'active_speaker', room: this.id, participant: this.speaker.current ?? null });
    if (this.deps.options.bargeIn) {
      for (const id of onsets) {
        if (!this.people.has(id)) continue;
        for (const h of this.allHandlers()) {
          if (!h.speaking) continue;
          h.clear();
          this.emit({ event: 'barge_in', room: this.id, participant: h.id, by: id });
        }
      }
    }
    const took = performance.now() - started;
    this.lastTickMs = took;
    this.totalTickMs += took;
    if (took > this.maxTickMs) this.maxTickMs = took;
    return true;
  }

  /** A control from HTTP (`by` = 'admin') or a participant's socket (`by` = its id). */
  act(action: RoomAction, by: string, moderator: boolean): RoomActionResult {
    if (action.action === 'list') return { ok: true, participants: this.participants() };
    const target = action.participant ?? by;
    if (!moderator && target !== by) return { ok: false, code: 'WG_ERR_ROOM_FORBIDDEN', message: `only ${JSON.stringify(by)} itself (clientModeration is off)` };
    if (!moderator && action.action === 'kick') return { ok: false, code: 'WG_ERR_ROOM_FORBIDDEN', message: 'kick needs a moderator (clientModeration is off)' };
    const person = this.people.get(target);
    const handler = this.handlers.get(target);
    const member = person?.member ?? handler?.member;
    if (member === undefined) return { ok: false, code: 'WG_ERR_PARTICIPANT_NOT_FOUND', message: `no participant ${JSON.stringify(target)} in room ${JSON.stringify(this.id)}` };
    switch (action.action) {
      case 'mute':
      case 'unmute':
        member.muted = action.action === 'mute';
        this.emit({ event: 'muted', room: this.id, participant: target, muted: member.muted, by });
        return { ok: true };
      case 'gain':
        member.gain = action.gain;
        this.emit({ event: 'gain', room: this.id, participant: target, gain: action.gain, by });
        return { ok: true };
      case 'kick':
        if (person) {
          person.session?.sendRoomMessage({ event: 'kicked', room: this.id, participant: target, by });
          void person.session?.close('protocol_error', { code: 'WG_ERR_ROOM_KICKED', message: `removed from room ${JSON.stringify(this.id)} by ${by}` });
          this.left(person, 'kicked');
        } else if (handler) this.removeHandler(handler, 'kicked');
        return { ok: true };
    }
  }

  participants(): ParticipantInfo[] {
    const speaking = this.speaker.speaking;
    const list: ParticipantInfo[] = [];
    for (const seat of this.people.values()) {
      if (!seat.ctx || seat.left) continue;
      list.push({ id: seat.id, kind: 'person', carrier: seat.carrier, muted: seat.member.muted, gain: seat.member.gain, speaking: speaking.has(seat.id), joinedAt: seat.joinedAt });
    }
    for (const h of this.handlers.values()) {
      list.push({ id: h.id, kind: 'handler', carrier: 'handler', muted: h.member.muted, gain: h.member.gain, speaking: speaking.has(h.id), joinedAt: this.createdAt });
    }
    return list;
  }

  /** Ends every person's session and every handler (server shutdown). */
  async close(reason: CloseReason = 'server_shutdown'): Promise<void> {
    const sessions = [...this.people.values()].map((seat) => seat.session?.close(reason));
    await Promise.allSettled(sessions);
    await this.shut();
  }

  private joined(seat: PersonSeat): void {
    this.mixer.add(seat.member);
    const { handler } = this.deps.options;
    if (handler !== null && this.deps.options.handlerInput === 'per-speaker') {
      try {
        seat.listener = this.makeHandler(`${handler.name}:${seat.id}`, seat.id, false);
      } catch (err) {
        seat.session?.sendRoomWarning('WG_ERR_HANDLER_UNAVAILABLE', `room handler for ${seat.id}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    seat.session?.sendRoomMessage({ event: 'joined', room: this.id, participant: seat.id, participants: this.participants() });
    this.emit({ event: 'participant_joined', room: this.id, participant: seat.id, kind: 'person', carrier: seat.carrier });
  }

  private left(seat: PersonSeat, reason: string): void {
    if (seat.left) return;
    seat.left = true;
    this.people.delete(seat.id);
    this.mixer.remove(seat.member);
    this.speaker.forget(seat.id);
    if (seat.listener) {
      this.mixer.remove(seat.listener.member);
      void seat.listener.close();
    }
    if (seat.ctx) this.emit({ event: 'participant_left', room: this.id, participant: seat.id, reason });
    this.closeIfEmpty();
  }

  private fromSocket(seat: PersonSeat, message: Readonly<Record<string, unknown>>): void {
    const parsed = parseRoomAction(message);
    const result = parsed.ok ? this.act(parsed.action, seat.id, this.deps.options.clientModeration) : parsed;
    if (!result.ok) seat.session?.sendRoomWarning(result.code, result.message);
    else if (result.participants) seat.session?.sendRoomMessage({ event: 'participants', room: this.id, participants: result.participants });
  }

  private addHandler(id: string, speaker: string | null): void {
    this.handlers.set(id, this.makeHandler(id, speaker, true));
  }

  private makeHandler(id: string, speaker: string | null, hearsMix: boolean): HandlerParticipant {
    const { options } = this.deps;
    const host: HandlerParticipantHost = {
      roomRate: options.sampleRate,
      frameMs: this.deps.frameMs,
      frameSamples: this.frameSamples,
      said: (p, output) => this.said(p, output),
      ended: (p) => {
        if (p.speaker === null) this.removeHandler(p, 'handler_closed');
        else this.mixer.remove(p.member);
      },
    };
    const participant = new HandlerParticipant(id, speaker, options.handler!, options.handlerOptions, host, hearsMix);
    this.mixer.add(participant.member);
    return participant;
  }

  private removeHandler(h: HandlerParticipant, reason: string): void {
    if (!this.handlers.delete(h.id)) return;
    this.mixer.remove(h.member);
    this.speaker.forget(h.id);
    void h.close();
    this.emit({ event: 'participant_left', room: this.id, participant: h.id, reason });
  }

  private *allHandlers(): Iterable<HandlerParticipant> {
    yield* this.handlers.values();
    for (const seat of this.people.values()) if (seat.listener) yield seat.listener;
  }

  private said(p: HandlerParticipant, output: Exclude<HandlerOutput, { type: 'audio' | 'clear' | 'mark' | 'end_stream' }>): void {
    const participant = this.deps.options.handler?.name ?? p.id;
    if (output.type === 'transcript') this.emit({ event: 'transcript', room: this.id, participant, speaker: p.speaker, text: output.text, final: output.final });
    else if (output.type === 'log') this.emit({ event: 'log', room: this.id, participant, speaker: p.speaker, data: output.data });
    else if (output.type === 'additional_outputs') this.emit({ event: 'log', room: this.id, participant, speaker: p.speaker, data: output.data });
  }

  private emit(event: RoomEvent): void {
    for (const seat of this.people.values()) if (seat.ctx && !seat.left) seat.session?.sendRoomMessage(event);
    this.deps.onEvent(event);
  }

  private closeIfEmpty(): void {
    if (this.people.size === 0 && !this.closed) void this.shut();
  }

  private async shut(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.deps.pacer.leave(this);
    const handlers = [...this.allHandlers()];
    this.handlers.clear();
    await Promise.allSettled(handlers.map((h) => h.close()));
    await this.tap?.close().catch(() => undefined);
    this.deps.onEvent({ event: 'room_closed', room: this.id });
    this.deps.onClosed(this);
  }
}
