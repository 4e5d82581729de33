/**
 * `GET /api/search`: full-text search of the history an account may read, as JSON, for the
 * web client and scripts. HTTP Basic with the IRC account (as uploads); guests search over
 * IRC (SEARCH) instead.
 *
 *   GET /api/search?q=deploy+-staging&in=%23ops&from=alice&after=…&before=…&order=relevance&limit=20&cursor=…
 *
 * - `q` (required): words; "a phrase"; word* (prefix); -word (exclude). See
 *   protocol/search-query.ts.
 * - `in`: a room (`#ops`) or a nick (the private conversation with them); otherwise every
 *   room the account's connections are in now and every private conversation of the account.
 * - `from`: sender nick; `after`/`before`: ISO 8601 times, inclusive.
 * - `order`: `relevance` (default), `newest` or `oldest`.
 * - `limit`: 1–100 (default 20); `cursor`: the `cursor` of the previous page.
 *
 * 200 `{"order", "hits": [...], "cursor"}`; each hit has msgid, time, command, target (the
 * room, or the other person in a private conversation), private, from, account, text,
 * highlights ([start, end) ranges in UTF-16 code units of text) and score. `cursor` is null
 * on the last page. 400 for a bad parameter (JSON `{"error"}`), 401 without valid credentials.
 */
import type http from 'node:http';
// The JSON this route returns is the client library's SearchApiHit: one definition of the contract.
import type { SearchApiHit } from '../client/search.js';
import { accountsOf } from '../core/accounts/index.js';
import { accountReader } from '../core/commands/search.js';
import type { ChatServer } from '../core/server.js';
import { foldCase } from '../protocol/casemapping.js';
import { highlightRanges, parseSearchQuery } from '../protocol/search-query.js';
import type { SearchOrder, SearchPosition, StoredMessage } from '../store/store.js';
import { BASIC_CHALLENGE, basicCredentials } from './basic-auth.js';
import type { Send } from './uploads.js';

export const SEARCH_API_PATH = '/api/search';
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const ORDERS: readonly SearchOrder[] = ['relevance', 'newest', 'oldest'];

/** The cursor is opaque to clients: the order and the last hit's keyset position. */
export function encodeCursor(order: SearchOrder, p: SearchPosition): string {
  return Buffer.from(JSON.stringify([order, p.score, p.time, p.id])).toString('base64url');
}

export function decodeCursor(order: SearchOrder, text: string): SearchPosition | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 4 || v[0] !== order) return null;
    const [, score, time, id] = v as unknown[];
    if (![score, time, id].every((n) => typeof n === 'number' && Number.isFinite(n))) return null;
    return { score: score as number, time: time as number, id: id as number };
  } catch {
    return null;
  }
}

export async function handleSearchApi(
  server: ChatServer,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  send: Send,
  clientAddress: string,
  head: boolean,
): Promise<void> {
  const json = (status: number, body: unknown, extra: Record<string, string> = {}): void =>
    send(
      res,
      status,
      { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra },
      `${JSON.stringify(body)}\n`,
      head,
    );
  const store = server.store;
  const accounts = accountsOf(server);
  if (store === null || accounts === undefined) {
    json(404, { error: 'Search is not available on this server' });
    return;
  }
  const credentials = basicCredentials(req);
  if (credentials === null) {
    json(401, { error: 'Log in with your account name and password (HTTP Basic)' }, BASIC_CHALLENGE);
    return;
  }
  const outcome = await accounts.tryPassword(
    { ip: clientAddress, nick: '*' },
    credentials.name,
    credentials.password,
    'HTTP search',
  );
  if (outcome.kind === 'refused') {
    const retry = { 'Retry-After': String(Math.ceil(outcome.retryAfterMs / 1000)) };
    json(429, { error: 'Too many login attempts; try again later' }, retry);
    return;
  }
  if (outcome.kind === 'failed') {
    json(401, { error: 'Wrong account name or password' }, BASIC_CHALLENGE);
    return;
  }
  const record = outcome.record;
  const params = new URL(req.url ?? '/', 'http://x').searchParams;
  const bad = (error: string): void => json(400, { error });

  const query = parseSearchQuery(params.get('q') ?? '');
  if ('error' in query) return bad(query.error);
  const order = (params.get('order') ?? 'relevance') as SearchOrder;
  if (!ORDERS.includes(order)) return bad('order must be relevance, newest or oldest');
  const limitText = params.get('limit');
  const limit = limitText === null ? DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT)
    return bad(`limit must be 1 to ${MAX_LIMIT}`);
  const times: Record<'after' | 'before', number | null> = { after: null, before: null };
  for (const key of ['after', 'before'] as const) {
    const text = params.get(key);
    if (text === null) continue;
    const t = Date.parse(text);
    if (Number.isNaN(t)) return bad(`${key} must be an ISO 8601 time`);
    times[key] = t;
  }
  const cursorText = params.get('cursor');
  const from = cursorText === null ? null : decodeCursor(order, cursorText);
  if (cursorText !== null && from === null) return bad('cursor does not belong to this search');

  const me = record.folded;
  const reader = accountReader(server, me);
  const target = params.get('in');
  let conversations = reader.rooms;
  let identity: string | null = reader.identity;
  if (target !== null) {
    const key = reader.conversationFor(target);
    if (key === null) {
      json(200, { order, hits: [], cursor: null }); // no access: as if nothing matched
      return;
    }
    conversations = [key];
    identity = null;
  }
  const fromNick = params.get('from');
  const hits = await store.search({
    query,
    conversations,
    identity,
    fromNick: fromNick === null || fromNick === '' ? null : foldCase(fromNick),
    after: times.after,
    before: times.before,
    order,
    limit,
    from,
  });
  const body = {
    order,
    hits: hits.map(
      (h): SearchApiHit => ({
        msgid: h.message.msgid,
        time: new Date(h.message.time).toISOString(),
        command: h.message.command as SearchApiHit['command'], // only PRIVMSG and NOTICE text is indexed
        target: shownTarget(h.message, me),
        private: h.message.conversation.startsWith('dm:'),
        from: nickOf(h.message.sender),
        account: h.message.senderAccount,
        text: h.message.text ?? '',
        highlights: highlightRanges(h.message.text ?? '', query),
        score: h.score,
      }),
    ),
    cursor: hits.length === limit ? encodeCursor(order, hits[hits.length - 1]!.position) : null,
  };
  json(200, body);
}

function nickOf(mask: string): string {
  const bang = mask.indexOf('!');
  return bang < 0 ? mask : mask.slice(0, bang);
}

/** The room, or in a private conversation the other person (as CHATHISTORY TARGETS names them). */
function shownTarget(m: StoredMessage, me: string): string {
  if (!m.conversation.startsWith('dm:')) return m.target;
  const [x = '', y = ''] = m.conversation.slice(3).split(' ');
  const other = x === `a:${me}` ? y : x;
  if (other.startsWith('a:')) return other.slice(2);
  // A guest peer: the stored target when we sent it, else the sender's nick.
  return m.senderAccount !== null && foldCase(m.senderAccount) === me ? m.target : nickOf(m.sender);
}
