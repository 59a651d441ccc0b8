import { Gauge, type Registry } from 'prom-client';
import type { Rooms } from './rooms.js';

/** Rooms on `GET /metrics`, read at scrape time (docs/rooms.md, "Cost"). */
export function registerRoomsMetrics(registry: Registry, rooms: Rooms): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('wavegate_rooms_open', 'Rooms open in this process', () => rooms.size);
  gauge('wavegate_room_participants', 'Participants (people and handlers) in the rooms of this process', () => rooms.list().reduce((n, room) => n + room.size, 0));
  gauge('wavegate_room_mixer_tick_max_seconds', 'Longest mixer tick of any open room so far (mixing and handing the mixes to the sessions)', () => Math.max(0, ...rooms.list().map((room) => room.maxTickMs)) / 1000);
}
