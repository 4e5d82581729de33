/**
 * Replay: what a connection missed in one target, shown to a client that does not fetch
 * history itself (no draft/chathistory), the first thing after it joins a room.
 *
 * The contract, in three names:
 * - `missedSince(store, target, since, limit)`: the messages of `target` (a conversation
 *   key) after `since` (exclusive; null: from the start), the newest `limit` of them, and
 *   whether older ones were left out;
 * - `sendMissed(s, name, missed)`: sends them to one connection as they were first said —
 *   with `server-time` always, and a visible `[HH:MM]` (or the date, for an older day) in
 *   the text for a client that would not show that time (no server-time and batch) — framed by a line saying it is history and, when
 *   lines were left out, how to read them (CHATHISTORY, /history);
 * - `replaySince(s, folded)`: where a JOIN's replay starts for this connection, so nobody is
 *   shown a line twice: after what this connection was last shown of the room (it was there
 *   until it left), after the account's last presence in the room or its read marker; a
 *   guest that was never in the room gets nothing unless `historyReplayGuests` is on (its
 *   next connection is a stranger to us, so every reconnect would repeat the same lines).
 *
 * What a connection or an account was last shown is kept in memory (`noteLeft`, called when
 * a session leaves a room): a restart forgets presence, and the read marker still holds.
 */
import { foldCase } from '../protocol/casemapping.js';
import { isChannelName } from '../protocol/names.js';
import type { Store, StoredMessage } from '../store/store.js';
import { Cap } from './caps.js';
import { sendMessages } from './commands/chathistory.js';
import { Outgoing } from './outgoing.js';
import type { ChatServer } from './server.js';
import type { Session } from './session.js';

export interface Missed {
  /** Oldest first. */
  rows: StoredMessage[];
  /** Older messages after `since` exist that were not included (the limit cut them). */
  more: boolean;
  /**
   * How many lines the limit left out, when counted (`countUpTo`); at least this many when
   * `leftAtLeast` (counting stopped there).
   */
  left: number;
  leftAtLeast: boolean;
}

export const NOTHING: Missed = { rows: [], more: false, left: 0, leftAtLeast: false };

/**
 * The newest `limit` messages of `target` after `since` (exclusive), and whether more exist.
 * With `countUpTo` (> limit) up to that many are read so the lines left out can be counted.
 */
export async function missedSince(
  store: Store,
  target: string,
  since: number | null,
  limit: number,
  countUpTo = limit,
): Promise<Missed> {
  if (limit <= 0) return NOTHING;
  const read = Math.max(limit, countUpTo) + 1;
  const rows = await store.latest(target, read, since === null ? undefined : { time: since });
  // TAGMSG rows (reactions) ride along with their message; they do not count as lines.
  const lines = rows.filter((r) => r.command !== 'TAGMSG');
  const more = lines.length > limit;
  if (!more) return { rows, more: false, left: 0, leftAtLeast: false };
  const firstKept = lines[lines.length - limit]!;
  // With fewer rows than asked the count is exact; TAGMSG rows may hide a few more lines.
  const full = rows.length === read;
  return {
    rows: rows.slice(rows.indexOf(firstKept)),
    more: true,
    left: lines.length - limit,
    leftAtLeast: full,
  };
}

// What each connection and each account was last shown, per room (folded name → time).
const shownToSession = new WeakMap<Session, Map<string, number>>();
const accountPresence = new WeakMap<ChatServer, Map<string, Map<string, number>>>();

/**
 * Rooms remembered per connection and per account. A client that joins and leaves ever-new
 * rooms would otherwise grow these maps without limit; past the bound the room least
 * recently noted is forgotten, which only means its next JOIN replays its latest lines.
 */
export const ROOMS_REMEMBERED = 1000;

/** The rooms map under `key` (a Map or a WeakMap of them), made on first use. */
function mapOf<K>(
  maps: { get(key: K): Map<string, number> | undefined; set(key: K, rooms: Map<string, number>): unknown },
  key: K,
): Map<string, number> {
  let rooms = maps.get(key);
  if (rooms === undefined) {
    rooms = new Map();
    maps.set(key, rooms);
  }
  return rooms;
}

/** Notes `time` for a room, as the most recent entry, within ROOMS_REMEMBERED. */
function note(rooms: Map<string, number>, folded: string, time: number): void {
  rooms.delete(folded); // re-inserted last: the map's order is least recently noted first
  rooms.set(folded, time);
  if (rooms.size > ROOMS_REMEMBERED) rooms.delete(rooms.keys().next().value!);
}

/** A session left a room (PART, KICK, QUIT): it has seen the room up to now. */
export function noteLeft(s: Session, folded: string, now = Date.now() - 1): void {
  // One millisecond back: bounds are exclusive, and a line said in the very millisecond of
  // leaving is better shown twice than never.
  note(mapOf(shownToSession, s), folded, now);
  if (s.account === null) return;
  let byAccount = accountPresence.get(s.server);
  if (byAccount === undefined) {
    byAccount = new Map();
    accountPresence.set(s.server, byAccount);
  }
  note(mapOf(byAccount, foldCase(s.account)), folded, now);
}

/** A session was shown a room's lines up to `time` (the last line of a replay). */
function noteShown(s: Session, folded: string, time: number): void {
  const mine = mapOf(shownToSession, s);
  note(mine, folded, Math.max(mine.get(folded) ?? 0, time));
}

/**
 * Where this connection's JOIN replay of a room starts: a time (replay what came after it),
 * null (the room's latest lines), or undefined (no replay at all).
 */
export async function replaySince(s: Session, folded: string): Promise<number | null | undefined> {
  const server = s.server;
  const store = server.store;
  if (store === null) return undefined;
  const times: number[] = [];
  const shown = shownToSession.get(s)?.get(folded);
  if (shown !== undefined) times.push(shown);
  if (s.account !== null) {
    const account = foldCase(s.account);
    const present = accountPresence.get(server)?.get(account)?.get(folded);
    if (present !== undefined) times.push(present);
    // Another connection of the same account in the room right now has seen it all live.
    const room = server.directory.findChannel(folded);
    for (const member of room?.members.keys() ?? []) {
      if (member !== s && member.account !== null && foldCase(member.account) === account)
        times.push(Date.now());
    }
    const marker = await store.getReadMarker(account, folded);
    if (marker !== null) times.push(marker);
  }
  if (times.length > 0) return Math.max(...times);
  // A person at `nc` has no scrollback of their own, and the text gateway shows the batch
  // as history: guests there get the room's latest lines.
  const guestReplay = server.config.historyReplayGuests || s.transport.kind === 'text';
  if (s.account === null && !guestReplay) return undefined;
  return null;
}

/** The room history a JOIN replays to this connection (none for chathistory clients). */
export async function joinReplay(s: Session, folded: string): Promise<Missed> {
  const server = s.server;
  if (server.store === null || server.historyWriter === null || s.hasCap(Cap.chathistory)) return NOTHING;
  const limit = server.config.historyReplay;
  if (limit <= 0) return NOTHING;
  const since = await replaySince(s, folded);
  if (since === undefined) return NOTHING;
  return missedSince(server.store, folded, since, limit);
}

/**
 * Sends missed lines to one connection, framed: "History of #room (N messages)", the lines
 * as first said (original time: tag or visible stamp), "End of history".
 */
export function sendMissed(s: Session, name: string, missed: Missed, catchUp = false): void {
  const rows = missed.rows;
  const lines = rows.filter((r) => r.command !== 'TAGMSG');
  if (lines.length === 0) return;
  const server = s.server;
  // A client that takes history batches and server-time shows the original time itself;
  // irssi takes server-time but, by default (show_server_time off), shows the arrival time,
  // so without batch the time goes into the text too.
  const stamped = s.hasCap(Cap.serverTime) && s.hasCap(Cap.batch);
  const first = lines[0]!.time;
  const last = lines[lines.length - 1]!.time;
  const count = lines.length === 1 ? '1 message' : `${lines.length} messages`;
  const opening =
    missed.more && !catchUp
      ? `History of ${name}: the last ${count}; earlier ones with /history or CHATHISTORY`
      : missed.more
        ? `History of ${name}: the last ${count} you have not seen`
        : `History of ${name}: ${count} you have not seen`;
  // A room's notices go to the room; a private conversation's to this person (a NOTICE to
  // the other nick would read as one sent to them).
  const to = isChannelName(name) ? name : s.nick;
  const frame = (text: string, time: number): Outgoing =>
    new Outgoing(server.config.serverName, 'NOTICE', [to, text], new Date(time).toISOString());
  // Catching up says how much was left out and how to read it, to every client (a batch
  // client has no frame otherwise).
  if (catchUp && missed.more) s.deliver(frame(`--- ${leftOut(name, missed, lines[0]!)} ---`, first));
  // A client with batch sees the chathistory batch as the frame (the text gateway prints
  // its own); the others get it as two notices.
  const framed = !s.hasCap(Cap.batch);
  if (framed) s.deliver(frame(`--- ${opening} (since ${dayAndTime(first)}) ---`, first));
  const now = new Date();
  sendMessages(s, ['chathistory', name], stamped ? rows : rows.map((r) => withVisibleTime(r, now)));
  if (framed) s.deliver(frame('--- End of history ---', last));
  noteShown(s, foldCase(name), last);
}

/** "50 earlier messages in #room you have not seen are not shown: …how to read them". */
function leftOut(name: string, missed: Missed, first: StoredMessage): string {
  const n = `${missed.leftAtLeast ? 'over ' : ''}${missed.left}`;
  const what = missed.left === 1 && !missed.leftAtLeast ? 'message' : 'messages';
  // By msgid: several lines may share the first one's millisecond.
  return (
    `${n} earlier ${what} in ${name} you have not seen are not shown; read them with ` +
    `/quote CHATHISTORY BEFORE ${name} msgid=${first.msgid} 100`
  );
}

/** The text with its original time in front, for a client that cannot show the time tag. */
function withVisibleTime(row: StoredMessage, now: Date): StoredMessage {
  if (row.text === null) return row;
  const stamp = `[${stampOf(row.time, now)}]`;
  const action = /^\x01ACTION (.*)\x01?$/s.exec(row.text);
  const text =
    action === null ? `${stamp} ${row.text}` : `\x01ACTION ${stamp} ${action[1]!.replace(/\x01$/, '')}\x01`;
  return { ...row, text };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** "14:05" today, "2026-11-30 14:05" on another day (server's local time). */
export function stampOf(time: number, now: Date = new Date()): string {
  const d = new Date(time);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? hm : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}`;
}

function dayAndTime(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
