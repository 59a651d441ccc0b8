/** What a room tells its participants (`{"type":"room","data":…}`) and `gateway.rooms.on('event')` (docs/rooms.md, "Events"). */
export type RoomEvent =
  | { readonly event: 'joined'; readonly room: string; readonly participant: string; readonly participants: readonly ParticipantInfo[] }
  | { readonly event: 'participant_joined'; readonly room: string; readonly participant: string; readonly kind: 'person' | 'handler'; readonly carrier: string }
  | { readonly event: 'participant_left'; readonly room: string; readonly participant: string; readonly reason: string }
  | { readonly event: 'muted'; readonly room: string; readonly participant: string; readonly muted: boolean; readonly by: string }
  | { readonly event: 'gain'; readonly room: string; readonly participant: string; readonly gain: number; readonly by: string }
  | { readonly event: 'active_speaker'; readonly room: string; readonly participant: string | null }
  | { readonly event: 'participants'; readonly room: string; readonly participants: readonly ParticipantInfo[] }
  | { readonly event: 'barge_in'; readonly room: string; readonly participant: string; readonly by: string }
  | { readonly event: 'transcript'; readonly room: string; readonly participant: string; readonly speaker: string | null; readonly text: string; readonly final: boolean }
  | { readonly event: 'log'; readonly room: string; readonly participant: string; readonly speaker: string | null; readonly data: unknown }
  | { readonly event: 'room_closed'; readonly room: string };

export interface ParticipantInfo {
  readonly id: string;
  readonly kind: 'person' | 'handler';
  readonly carrier: string;
  readonly muted: boolean;
  readonly gain: number;
  readonly speaking: boolean;
  readonly joinedAt: string;
}
