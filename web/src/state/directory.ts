/** The room directory's view of a LIST: narrowed by what the person typed, busiest first. */
import type { RoomListing } from '../../../src/client/browser.js';

/** Rooms whose name or topic contains every word of `query` (any case), most members first. */
export function filterRooms(rooms: readonly RoomListing[], query: string): RoomListing[] {
  const words = query
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  return rooms
    .filter((r) => {
      const hay = `${r.name} ${r.topic}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    })
    .sort((a, b) => b.users - a.users || a.name.localeCompare(b.name));
}
