import type { ErrorCode } from '../errors/error-codes.js';

/** The `room` message family (docs/rooms.md, "Controls"): the same shape on a socket and over HTTP. */
export type RoomAction =
  | { readonly action: 'list' }
  | { readonly action: 'mute' | 'unmute' | 'kick'; readonly participant: string | undefined }
  | { readonly action: 'gain'; readonly participant: string | undefined; readonly gain: number };

/** Largest gain (linear; 4 ≈ +12 dB). */
export const MAX_GAIN = 4;

export function parseRoomAction(message: Readonly<Record<string, unknown>>): { ok: true; action: RoomAction } | { ok: false; code: ErrorCode; message: string } {
  const bad = (detail: string) => ({ ok: false as const, code: 'WG_ERR_MALFORMED_MESSAGE' as const, message: `room: ${detail}` });
  const { action, participant, gain } = message;
  if (participant !== undefined && (typeof participant !== 'string' || participant.length === 0 || participant.length > 128)) return bad('participant must be a participant id');
  const target = participant as string | undefined;
  switch (action) {
    case 'list':
      return { ok: true, action: { action } };
    case 'mute':
    case 'unmute':
    case 'kick':
      return { ok: true, action: { action, participant: target } };
    case 'gain':
      if (typeof gain !== 'number' || !Number.isFinite(gain) || gain < 0 || gain > MAX_GAIN) return bad(`gain must be a number from 0 to ${MAX_GAIN}`);
      return { ok: true, action: { action, participant: target, gain } };
    default:
      return bad(`action must be list, mute, unmute, gain or kick, got ${JSON.stringify(action ?? null)}`);
  }
}
