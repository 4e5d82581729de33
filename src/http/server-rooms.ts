/**
 * `GET /api/server-rooms`: the rooms that belong to the server (`server-rooms`, #lobby by
 * default), as `{"rooms":["#lobby"]}`. The web client joins them on a person's first visit,
 * as the text mode and the terminal client put a newcomer in the lobby. Public: the same
 * rooms are in LIST for anyone connected, and there is nothing per person in it.
 */
export const SERVER_ROOMS_PATH = '/api/server-rooms';

export function serverRoomsBody(rooms: readonly string[]): string {
  return `${JSON.stringify({ rooms })}\n`;
}
