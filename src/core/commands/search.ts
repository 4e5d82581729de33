/**
 * SEARCH: server-side full-text search of the history a user may read, as the
 * `soju.im/search` extension defines it (https://codeberg.org/emersion/soju, doc/ext/search.md):
 *
 *   SEARCH text=deploy;in=#ops;from=alice;after=2024-05-01T00:00:00.000Z;limit=20
 *
 * Attributes are in message-tag format (values escaped as tag values). `text` is required
 * here (tertulia searches by words; see protocol/search-query.ts for what it accepts); `in`
 * (a room or a nick), `from` (a nick), `after`/`before` (inclusive server-time timestamps)
 * and `limit` are optional. The reply is a `soju.im/search` batch of the matching PRIVMSG
 * and NOTICE lines as first sent (same msgid, time and source), in ascending time order:
 * the newest `limit` matches before `before` (or now), or with only `after`, the oldest
 * `limit` from it on, so a client pages back with `before=<oldest time it has>`.
 *
 * Who may see what is CHATHISTORY's rule (chathistory.ts): `in` goes through
 * `conversationFor`, everything else through `readableScope`. No access: an empty batch.
 */
import { foldCase } from '../../protocol/casemapping.js';
import type { IrcMessage } from '../../protocol/message.js';
import { parseSearchQuery } from '../../protocol/search-query.js';
import { parseTags } from '../../protocol/tags.js';
import type { SearchRequest, StoredMessage } from '../../store/store.js';
import type { ChatServer } from '../server.js';
import type { Session } from '../session.js';
import {
  conversationFor,
  parseLimit,
  parseTimestamp,
  readableConversation,
  readableScope,
  sendMessages,
} from './chathistory.js';
import type { CommandGroup } from './table.js';

export const searchCommands: CommandGroup = {
  SEARCH: { minParams: 0, handler: search },
};

/** The batch type of the reply (soju.im/search §Implementation). */
export const SEARCH_BATCH = 'soju.im/search';

/** Hits returned when the client gives no limit. */
const DEFAULT_LIMIT = 50;

function search(s: Session, msg: IrcMessage): void {
  const server = s.server;
  const attrText = msg.params[0];
  if (attrText === undefined || attrText === '') {
    s.sendFail('SEARCH', 'NEED_MORE_PARAMS', 'Missing parameters');
    return;
  }
  const store = server.store;
  if (store === null) {
    s.sendFail('SEARCH', 'INTERNAL_ERROR', 'History is not available on this server');
    return;
  }
  const attrs = parseTags(attrText);
  const invalid = (name: string, why: string): void => s.sendFail('SEARCH', 'INVALID_PARAMS', why, name);
  const text = attrs['text'];
  if (text === undefined || text === '') {
    invalid('text', 'Search needs text=<words>');
    return;
  }
  const query = parseSearchQuery(text);
  if ('error' in query) {
    invalid('text', query.error);
    return;
  }
  const max = server.config.historyLimit;
  const limit = attrs['limit'] === undefined ? Math.min(DEFAULT_LIMIT, max) : parseLimit(attrs['limit'], max);
  if (limit === null) {
    invalid('limit', 'Invalid limit');
    return;
  }
  const bounds: Record<'after' | 'before', number | null> = { after: null, before: null };
  for (const key of ['after', 'before'] as const) {
    const value = attrs[key];
    if (value === undefined) continue;
    const time = parseTimestamp(value);
    if (time === null) {
      invalid(key, 'Invalid timestamp');
      return;
    }
    bounds[key] = time;
  }
  const from = attrs['from'];
  let conversations: string[];
  let identity: string | null;
  if (attrs['in'] !== undefined) {
    const key = conversationFor(s, attrs['in']);
    if (key === null) {
      sendMessages(s, [SEARCH_BATCH], []); // no access: an empty batch, revealing nothing
      return;
    }
    conversations = [key];
    identity = null;
  } else {
    const scope = readableScope(s);
    conversations = scope.rooms;
    identity = scope.identity;
  }
  const request: SearchRequest = {
    query,
    conversations,
    identity,
    fromNick: from === undefined || from === '' ? null : foldCase(from),
    after: bounds.after,
    before: bounds.before,
    // Searched from `after` when only it is given, else back from `before` (or now).
    order: bounds.after !== null && bounds.before === null ? 'oldest' : 'newest',
    limit,
    from: null,
  };
  let rows: StoredMessage[] = [];
  s.deferUntil(
    store.search(request).then((hits) => {
      rows = hits.map((h) => h.message);
      if (request.order === 'newest') rows.reverse();
    }),
    () => sendMessages(s, [SEARCH_BATCH], rows),
    (err) => {
      server.log.error({ event: 'search.failed', err: String(err) }, 'SEARCH failed');
      s.sendFail('SEARCH', 'INTERNAL_ERROR', 'The search could not be run');
    },
  );
}

/**
 * What an account may search over HTTP, where there is no connection of its own: the rooms
 * its connections are in now, and its private conversations. The same rule as SEARCH,
 * applied to every connection logged in to the account.
 */
export function accountReader(
  server: ChatServer,
  folded: string,
): { rooms: string[]; identity: string; conversationFor(target: string): string | null } {
  const sessions = [...server.sessions].filter(
    (s) => s.registered && s.account !== null && foldCase(s.account) === folded,
  );
  const rooms = new Set<string>();
  for (const session of sessions) for (const room of readableScope(session).rooms) rooms.add(room);
  const identity = `a:${folded}`;
  return {
    rooms: [...rooms],
    identity,
    conversationFor: (target) =>
      readableConversation(
        server,
        identity,
        (channel) => sessions.some((s) => channel.members.has(s)),
        target,
      ),
  };
}
