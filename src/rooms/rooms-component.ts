import { readJsonBody } from '../http/read-json-body.js';
import { sendError, sendJson } from '../http/respond.js';
import type { GatewayComponent } from '../http/routes.js';
import type { Room } from './room.js';
import { parseRoomAction } from './room-action.js';
import type { Rooms } from './rooms.js';

const ROOM = /^\/rooms\/([A-Za-z0-9_.:-]{1,128})$/;
const ROOM_ACTION = /^\/rooms\/([A-Za-z0-9_.:-]{1,128})\/(mute|unmute|gain|kick)$/;

function roomSummary(room: Room) {
  return { id: room.id, createdAt: room.createdAt, participants: room.participants().length };
}

function roomDetail(room: Room) {
  const ticks = room.mixer.ticks;
  return {
    id: room.id,
    createdAt: room.createdAt,
    participants: room.participants(),
    mixer: { ticks, meanTickMs: ticks === 0 ? 0 : room.totalTickMs / ticks, maxTickMs: room.maxTickMs },
  };
}

/**
 * Room control over HTTP (docs/rooms.md, "Controls"), admin only (docs/security.md): `GET /rooms`,
 * `GET /rooms/{id}`, `POST /rooms/{id}/mute|unmute|gain|kick` with `{"participant":…,"gain":…}`. The
 * same actions a participant's socket sends as `{"event":"room","action":…}`, with moderator rights.
 */
export function roomsComponent(rooms: Rooms): GatewayComponent {
  return {
    name: 'rooms',
    httpRoutes: [
      {
        method: 'GET',
        path: '/rooms',
        access: 'admin',
        handle: (_req, res) => sendJson(res, 200, { rooms: rooms.list().map(roomSummary) }),
      },
      {
        method: 'GET',
        path: ROOM,
        access: 'admin',
        handle: (_req, res, _url, match) => {
          const room = rooms.get(match![1]!);
          if (!room) return sendError(res, 'WG_ERR_ROOM_NOT_FOUND', match![1]);
          sendJson(res, 200, roomDetail(room));
        },
      },
      {
        method: 'POST',
        path: ROOM_ACTION,
        access: 'admin',
        handle: async (req, res, _url, match) => {
          const body = await readJsonBody(req, res, 16 * 1024);
          if (body === undefined) return;
          const room = rooms.get(match![1]!);
          if (!room) return sendError(res, 'WG_ERR_ROOM_NOT_FOUND', match![1]);
          if (typeof body.participant !== 'string') return sendError(res, 'WG_ERR_MALFORMED_MESSAGE', 'participant must be a participant id');
          const parsed = parseRoomAction({ ...body, action: match![2] });
          if (!parsed.ok) return sendError(res, parsed.code, parsed.message);
          const result = room.act(parsed.action, 'admin', true);
          if (!result.ok) return sendError(res, result.code, result.message);
          sendJson(res, 200, roomDetail(room));
        },
      },
    ],
    close: () => rooms.close(),
  };
}
