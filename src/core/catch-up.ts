/**
 * Catching up (docs/PEOPLE.md): a device that attaches to its account's person and does not
 * fetch history itself (no draft/chathistory) is sent what the person missed, right after its
 * rooms: for each room and each private conversation with news, the lines after the point
 * below, oldest first, framed and stamped as the join replay does (replay.ts: `server-time`,
 * or a visible [HH:MM]), at most `catch-up-lines` each, with a line saying how many more
 * there are and how to read them.
 *
 * Where a conversation's catch-up starts: after the account's read marker there, and, when
 * the person had no connection, after the moment its last one closed (what came before it
 * was shown live; stored, so this holds across restarts). When neither is known (never
 * read, and offline since before migration 12) the latest lines.
 * A person that still has another device attached catches up from the read marker alone: a
 * conversation never marked read is left to /history there. Lines up to the person's own
 * last line in a conversation are never news (it saw what it answered).
 *
 * The read marker then moves to the last line shown (read-marker: the server may set it),
 * so the next device or reconnect does not repeat them, across restarts too; connections
 * with draft/read-marker are told.
 */
import { foldCase } from '../protocol/casemapping.js';
import type { Store } from '../store/store.js';
import { Cap } from './caps.js';
import { formatMarker } from './commands/chathistory.js';
import { Outgoing } from './outgoing.js';
import type { Person } from './person.js';
import { type Missed, missedSince, sendMissed } from './replay.js';
import type { Session } from './session.js';

/** Private conversations looked at, the most recently active first. */
export const CATCH_UP_CONVERSATIONS = 100;
/** Lines left out are counted up to this many times the per-conversation limit. */
const COUNT_FACTOR = 10;

interface Conversation {
  /** The store's key: a room's folded name, or `dm:…`. */
  key: string;
  /** The read marker's key: the room's folded name, or the other person's folded name. */
  markerKey: string;
  /** As the client would name it (the room, or the other person's nick). */
  name: string;
}

interface CaughtUp extends Conversation {
  missed: Missed;
  /** The read marker after this catch-up. */
  marker?: number;
}

/**
 * Sends `s` what its person missed (see above). `wasOffline`/`offlineSince`: the person's
 * state before `s` attached. Nothing for chathistory clients, guests, or without history.
 */
export function catchUp(s: Session, wasOffline: boolean, offlineSince: number | null): void {
  const server = s.server;
  const store = server.store;
  const limit = server.config.catchUpLines;
  if (store === null || server.historyWriter === null || limit <= 0) return;
  if (s.account === null || s.hasCap(Cap.chathistory)) return;
  const account = foldCase(s.account);
  const person = s.person;
  // Without a marker: after the disconnect when the person was offline; the latest lines
  // when that is not known either; nothing when another device was there all along.
  const fallback: number | null | undefined = wasOffline ? offlineSince : undefined;
  let caught: CaughtUp[] = [];
  const work = (async () => {
    const conversations = [...roomsOf(person), ...(await privateConversations(store, person, s, fallback))];
    const found = await Promise.all(
      conversations.map(async (c): Promise<CaughtUp | null> => {
        const marker = await store.getReadMarker(account, c.markerKey);
        const since = startOf(marker, fallback);
        if (since === undefined) return null;
        const missed = afterOwn(await missedSince(store, c.key, since, limit, limit * COUNT_FACTOR), account);
        return missed.rows.some((r) => r.command !== 'TAGMSG') ? { ...c, missed } : null;
      }),
    );
    caught = found.filter((c): c is CaughtUp => c !== null);
    // Shown now: the markers move first, so a reconnect a moment later does not repeat them.
    for (const c of caught) c.marker = await store.setReadMarker(account, c.markerKey, lastTime(c.missed));
  })();
  s.deferUntil(
    work,
    () => {
      for (const c of caught) {
        sendMissed(s, c.name, c.missed, true);
        tellMarker(s, c.name, c.marker ?? lastTime(c.missed));
      }
    },
    (err) => server.log.error({ event: 'history.catch_up_failed', err: String(err) }, 'catch-up failed'),
    true,
  );
}

/** Where a conversation's catch-up starts: a time, null (latest lines) or undefined (none). */
function startOf(marker: number | null, fallback: number | null | undefined): number | null | undefined {
  if (marker !== null && fallback !== undefined && fallback !== null) return Math.max(marker, fallback);
  if (marker !== null) return marker;
  return fallback;
}

function roomsOf(person: Person): Conversation[] {
  return [...person.channels].map((c) => ({ key: c.folded, markerKey: c.folded, name: c.name }));
}

/** The person's private conversations with a message since `from` (or ever), newest first. */
async function privateConversations(
  store: Store,
  person: Person,
  s: Session,
  from: number | null | undefined,
): Promise<Conversation[]> {
  const identity = person.identity;
  // Newest first (from > to), at most CATCH_UP_CONVERSATIONS, returned oldest activity first.
  const found = await store.conversations(identity, [], Date.now() + 1, from ?? 0, CATCH_UP_CONVERSATIONS);
  const out: Conversation[] = [];
  for (const row of found) {
    if (!row.conversation.startsWith('dm:')) continue;
    const [x, y] = row.conversation.slice(3).split(' ') as [string, string];
    const other = x === identity ? y : x;
    // An account peer is named by its account; a guest by the nick it had (the stored
    // target names it when we wrote, else the last sender was the guest).
    let name: string;
    if (other.startsWith('a:')) name = other.slice(2);
    else if (foldCase(row.target) !== person.folded) name = row.target;
    else {
      const last = await store.latest(row.conversation, 1);
      name = last[0]?.sender.split('!')[0] ?? row.target;
    }
    if (foldCase(name) === s.folded) continue;
    out.push({ key: row.conversation, markerKey: foldCase(name), name });
  }
  return out;
}

/**
 * Only what came after the person's own last line there: it saw what it answered (and a
 * restart, which forgets when it left, must not show it its own lines as news).
 */
function afterOwn(missed: Missed, account: string): Missed {
  const rows = missed.rows;
  let i = rows.length - 1;
  while (i >= 0 && (rows[i]!.senderAccount === null || foldCase(rows[i]!.senderAccount!) !== account)) i--;
  if (i < 0) return missed;
  return { rows: rows.slice(i + 1), more: false, left: 0, leftAtLeast: false };
}

function lastTime(missed: Missed): number {
  return missed.rows[missed.rows.length - 1]!.time;
}

/** The person's connections with draft/read-marker learn the marker moved (MARKREAD). */
function tellMarker(s: Session, name: string, time: number): void {
  const out = new Outgoing(s.server.config.serverName, 'MARKREAD', [name, formatMarker(time)]);
  for (const c of s.person.connections) if (c.caps & Cap.readMarker) c.deliver(out);
}
