import type { ErrorCode } from '../errors/error-codes.js';
import type { CloseReason } from '../handler/handler.js';

/**
 * What a room needs of a person's session (docs/rooms.md): room events and refused room controls for
 * its client, and a way to end it (kicked, server shutdown). The room holds this, not the session
 * itself: it never reaches into a session's media path, which runs one way on its own
 * (docs/architecture.md, "The data flow, one way").
 */
export interface RoomMember {
  /** A room event for the client (docs/rooms.md, "Events"); carriers without a way to carry it drop it. */
  sendRoomMessage(data: unknown): void;
  /** A refused room control, as a coded warning. */
  sendRoomWarning(code: ErrorCode, detail: string): void;
  close(reason: CloseReason, error?: { code: ErrorCode; message: string }): Promise<void>;
}
