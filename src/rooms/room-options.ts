import type { HandlerDefinition, PhoneCallInfo } from '../handler/handler.js';

/** `createGateway({ rooms })` (docs/rooms.md, "Options"). */
export interface RoomsOptions {
  /** Most participants in one room (people and handlers). */
  maxParticipants: number;
  /** Most rooms open at once in this process. */
  maxRooms: number;
  /** The rate rooms mix at; every participant is resampled to it and from it. */
  sampleRate: 8000 | 16000 | 24000 | 48000;
  /** A handler that joins every room as a participant (`--room-handler`); null = people only. */
  handler: HandlerDefinition<any> | null;
  handlerOptions: Record<string, unknown>;
  /**
   * What the room's handler hears: 'mix' = one instance hearing everyone (N−1, like a person);
   * 'per-speaker' = one instance per person, fed that person's own stream, its outputs labelled with
   * the person's id (diarised transcripts).
   */
  handlerInput: 'mix' | 'per-speaker';
  /** A person starting to talk clears the handlers' queued speech. */
  bargeIn: boolean;
  /** Participants may mute, set the gain of, and kick others from their socket (else only themselves; HTTP admin may always). */
  clientModeration: boolean;
  /** In code: the room a session joins when its transport names none (undefined = no room). */
  roomFor: ((session: { readonly id: string; readonly carrier: string; readonly phone: PhoneCallInfo | undefined }) => string | undefined) | null;
}

export const DEFAULT_ROOMS_OPTIONS: RoomsOptions = {
  maxParticipants: 50,
  maxRooms: 100,
  sampleRate: 16_000,
  handler: null,
  handlerOptions: {},
  handlerInput: 'mix',
  bargeIn: true,
  clientModeration: false,
  roomFor: null,
};

export function resolveRoomsOptions(input: Partial<RoomsOptions> | undefined): RoomsOptions {
  const o: RoomsOptions = { ...DEFAULT_ROOMS_OPTIONS, ...input };
  const fail = (name: string, expected: string, value: unknown) => {
    throw new TypeError(`Expected \`rooms.${name}\` to be ${expected}, got \`${String(value)}\``);
  };
  if (!Number.isInteger(o.maxParticipants) || o.maxParticipants < 2 || o.maxParticipants > 1000) fail('maxParticipants', 'an integer from 2 to 1000', o.maxParticipants);
  if (!Number.isInteger(o.maxRooms) || o.maxRooms < 1) fail('maxRooms', 'an integer ≥ 1', o.maxRooms);
  if (![8000, 16000, 24000, 48000].includes(o.sampleRate)) fail('sampleRate', 'one of 8000, 16000, 24000, 48000', o.sampleRate);
  if (o.handler !== null && typeof o.handler?.create !== 'function') fail('handler', 'null or a handler definition', o.handler);
  if (!['mix', 'per-speaker'].includes(o.handlerInput)) fail('handlerInput', "'mix' or 'per-speaker'", o.handlerInput);
  if (typeof o.bargeIn !== 'boolean') fail('bargeIn', 'a boolean', o.bargeIn);
  if (typeof o.clientModeration !== 'boolean') fail('clientModeration', 'a boolean', o.clientModeration);
  if (o.roomFor !== null && typeof o.roomFor !== 'function') fail('roomFor', 'null or a function', o.roomFor);
  return o;
}
