/**
 * Pieces both SQL back ends share: positions in a conversation, the around/between window
 * logic, and the per-batch conversation summaries that append keeps up to date.
 */
import type {
  AccountRecord,
  HistoryBound,
  HistoryCommand,
  PushSubscriptionRecord,
  RegisteredChannel,
  SearchRequest,
  StoredMessage,
  UploadRecord,
} from './store.js';

/**
 * A point in a conversation's order. Messages are ordered by (time, id); `id` is the
 * database's insertion counter (always >= 1), so a bare time maps onto positions with a
 * sentinel id: (T, 0) sits before every message at T, (T, MAX_ID) after all of them.
 */
export interface Position {
  time: number;
  id: number;
}

export const MAX_ID = Number.MAX_SAFE_INTEGER;

/** Most rows one prune statement deletes, so a large prune never holds the writer for long. */
export const PRUNE_CHUNK = 5000;

/** Normalizes a caller's limit: a positive integer, or 0 meaning "return nothing". */
export function clampLimit(limit: number): number {
  if (!Number.isFinite(limit) || limit < 1) return 0;
  return Math.floor(limit);
}

export function isMsgidBound(bound: HistoryBound): bound is { msgid: string } {
  return 'msgid' in bound;
}

/** Lowest and highest positions, standing for "no bound" on that side. */
export const FIRST: Position = { time: -Number.MAX_SAFE_INTEGER, id: 0 };
export const LAST: Position = { time: Number.MAX_SAFE_INTEGER, id: MAX_ID };

/** The position of a bound used to decide which of two bounds is earlier. */
export function comparePositions(a: Position, b: Position): number {
  return a.time !== b.time ? a.time - b.time : a.id - b.id;
}

/**
 * Picks the AROUND window from the newest `limit` messages before the centre (oldest first)
 * and the oldest `limit` at or after it: half before, the rest from the centre on, and
 * when one side runs short the other side fills the page.
 */
export function aroundWindow<T>(before: readonly T[], from: readonly T[], limit: number): T[] {
  let takeBefore = Math.min(before.length, Math.floor(limit / 2));
  const takeAfter = Math.min(from.length, limit - takeBefore);
  takeBefore = Math.min(before.length, limit - takeAfter);
  return [...before.slice(before.length - takeBefore), ...from.slice(0, takeAfter)];
}

/**
 * The chathistory queries (LATEST, BEFORE, AFTER, AROUND, BETWEEN), written once over two
 * primitives each back end provides:
 * - `positionOf`: where a msgid sits in a conversation (null when it is not in it), and
 * - `page`: the messages strictly between two positions, the oldest or the newest `limit`
 *   of them, returned oldest first.
 *
 * Bounds: a msgid bound is that message's own position, and the message itself is excluded
 * (except AROUND, where it is the centre and included); a time bound excludes messages at
 * exactly that millisecond (AROUND: included, as the first messages "after"). A msgid that
 * is not in the conversation gives [].
 */
export abstract class HistoryQueries {
  protected abstract positionOf(conversation: string, msgid: string): Promise<Position | null>;
  protected abstract page(
    conversation: string,
    lo: Position,
    hi: Position,
    limit: number,
    newest: boolean,
  ): Promise<StoredMessage[]>;

  /** Throws when the store can no longer be used; called first by every query. */
  protected abstract check(): void;

  /** Position of a bound used as a lower (exclusive) bound: msgid → itself, time T → after all of T. */
  private async lower(conversation: string, bound: HistoryBound): Promise<Position | null> {
    if (isMsgidBound(bound)) return this.positionOf(conversation, bound.msgid);
    return Number.isFinite(bound.time) ? { time: bound.time, id: MAX_ID } : null;
  }

  /** Position of a bound used as an upper (exclusive) bound: msgid → itself, time T → before all of T. */
  private async upper(conversation: string, bound: HistoryBound): Promise<Position | null> {
    if (isMsgidBound(bound)) return this.positionOf(conversation, bound.msgid);
    return Number.isFinite(bound.time) ? { time: bound.time, id: 0 } : null;
  }

  async latest(conversation: string, limit: number, after?: HistoryBound): Promise<StoredMessage[]> {
    this.check();
    const n = clampLimit(limit);
    if (n === 0) return [];
    const lo = after === undefined ? FIRST : await this.lower(conversation, after);
    if (lo === null) return [];
    return this.page(conversation, lo, LAST, n, true);
  }

  async before(conversation: string, bound: HistoryBound, limit: number): Promise<StoredMessage[]> {
    this.check();
    const n = clampLimit(limit);
    if (n === 0) return [];
    const hi = await this.upper(conversation, bound);
    if (hi === null) return [];
    return this.page(conversation, FIRST, hi, n, true);
  }

  async after(conversation: string, bound: HistoryBound, limit: number): Promise<StoredMessage[]> {
    this.check();
    const n = clampLimit(limit);
    if (n === 0) return [];
    const lo = await this.lower(conversation, bound);
    if (lo === null) return [];
    return this.page(conversation, lo, LAST, n, false);
  }

  async around(conversation: string, bound: HistoryBound, limit: number): Promise<StoredMessage[]> {
    this.check();
    const n = clampLimit(limit);
    if (n === 0) return [];
    const centre = await this.upper(conversation, bound);
    if (centre === null) return [];
    const before = await this.page(conversation, FIRST, centre, n, true);
    const from = await this.page(conversation, { time: centre.time, id: centre.id - 1 }, LAST, n, false);
    return aroundWindow(before, from, n);
  }

  async between(
    conversation: string,
    a: HistoryBound,
    b: HistoryBound,
    limit: number,
  ): Promise<StoredMessage[]> {
    this.check();
    const n = clampLimit(limit);
    if (n === 0) return [];
    const ua = await this.upper(conversation, a);
    const ub = await this.upper(conversation, b);
    if (ua === null || ub === null) return [];
    // Bounds on the same millisecond leave nothing strictly between them whichever comes first.
    const forward = comparePositions(ua, ub) <= 0;
    const [first, hi] = forward ? [a, ub] : [b, ua];
    const lo = await this.lower(conversation, first);
    if (lo === null || comparePositions(lo, hi) >= 0) return [];
    return this.page(conversation, lo, hi, n, !forward);
  }
}

/** The two identities of a DM conversation key (`dm:<idA> <idB>`), or null for a room. */
export function dmParticipants(conversation: string): string[] | null {
  if (!conversation.startsWith('dm:')) return null;
  const rest = conversation.slice(3);
  const space = rest.indexOf(' ');
  if (space < 0) return [rest];
  return [rest.slice(0, space), rest.slice(space + 1)];
}

export interface ConversationUpdate {
  conversation: string;
  target: string;
  latest: number;
}

/**
 * What a batch changes in the conversation summaries: for each conversation the latest
 * message's time and target (the later message in the batch wins a tie), and the DM
 * participant rows. Both lists are sorted by key, so concurrent writers lock rows in the
 * same order.
 */
export function summarizeBatch(
  messages: ReadonlyArray<Pick<StoredMessage, 'conversation' | 'target' | 'time'>>,
): {
  conversations: ConversationUpdate[];
  members: Array<{ identity: string; conversation: string }>;
} {
  const latest = new Map<string, ConversationUpdate>();
  for (const m of messages) {
    const seen = latest.get(m.conversation);
    if (seen === undefined || m.time >= seen.latest) {
      latest.set(m.conversation, { conversation: m.conversation, target: m.target, latest: m.time });
    }
  }
  const conversations = [...latest.values()].sort((a, b) => compareText(a.conversation, b.conversation));
  const members: Array<{ identity: string; conversation: string }> = [];
  for (const c of conversations) {
    for (const identity of new Set(dmParticipants(c.conversation) ?? [])) {
      members.push({ identity, conversation: c.conversation });
    }
  }
  members.sort((a, b) => compareText(a.identity, b.identity) || compareText(a.conversation, b.conversation));
  return { conversations, members };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Room keys from a TARGETS candidate list: a DM key there is ignored (DMs go by identity). */
export function roomKeys(rooms: readonly string[]): string[] {
  return [...new Set(rooms.filter((r) => !r.startsWith('dm:')))];
}

/**
 * Most hits one search returns, whatever the caller asks: every hit's text is sent back,
 * so a page stays small.
 */
export const MAX_SEARCH_LIMIT = 200;

/** A search request's parameters with their bounds applied (both back ends bind these). */
export function searchBounds(request: SearchRequest): {
  limit: number;
  after: number;
  before: number;
  /** Keyset start: 1 with a position to continue after, 0 for the first page. */
  paged: number;
  score: number;
  time: number;
  id: number;
} {
  const limit = Math.min(clampLimit(request.limit), MAX_SEARCH_LIMIT);
  const from = request.from;
  return {
    limit,
    after: request.after ?? FIRST.time,
    before: request.before ?? LAST.time,
    paged: from === null ? 0 : 1,
    score: from?.score ?? 0,
    time: from?.time ?? 0,
    id: from?.id ?? 0,
  };
}

/** Parses a JSON column that the store itself wrote. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

// ---- rows to records ----
// Both back ends select the same columns; only JSON columns differ (text in SQLite, parsed
// values in PostgreSQL), so the conversion is written once over a JSON decoder.

export const MESSAGE_COLUMNS =
  'msgid, time, command, conversation, target, sender, sender_account, text, client_tags';

export interface MessageRow<J> {
  msgid: string;
  time: number;
  command: string;
  conversation: string;
  target: string;
  sender: string;
  sender_account: string | null;
  text: string | null;
  client_tags: J | null;
}

export interface AccountRow<J> {
  folded: string;
  name: string;
  password_hash: string;
  scram_salt: string | null;
  scram_iterations: number | null;
  scram_stored_key: string | null;
  scram_server_key: string | null;
  email: string | null;
  created_at: number;
  certs: J;
}

export interface ChannelRow<J> {
  folded: string;
  name: string;
  founder: string;
  registered_at: number;
  topic_text: string | null;
  topic_set_by: string | null;
  topic_set_at: number | null;
  modes: J;
  operators: J;
  bans: J;
  exceptions: J;
  invite_exceptions: J;
}

/** Converters from a back end's rows, given how it hands over JSON columns. */
export function rowDecoders<J>(json: <T>(value: J) => T) {
  return {
    toMessage(row: MessageRow<J>): StoredMessage {
      return {
        msgid: row.msgid,
        time: row.time,
        command: row.command as HistoryCommand,
        conversation: row.conversation,
        target: row.target,
        sender: row.sender,
        senderAccount: row.sender_account,
        text: row.text,
        clientTags: row.client_tags === null ? null : json<Record<string, string>>(row.client_tags),
      };
    },
    toAccount(row: AccountRow<J>): AccountRecord {
      return {
        name: row.name,
        folded: row.folded,
        passwordHash: row.password_hash,
        scram:
          row.scram_salt === null
            ? null
            : {
                salt: row.scram_salt,
                iterations: row.scram_iterations ?? 0,
                storedKey: row.scram_stored_key ?? '',
                serverKey: row.scram_server_key ?? '',
              },
        email: row.email,
        createdAt: row.created_at,
        certFingerprints: json<string[]>(row.certs),
      };
    },
    toChannel(row: ChannelRow<J>): RegisteredChannel {
      return {
        folded: row.folded,
        name: row.name,
        founder: row.founder,
        registeredAt: row.registered_at,
        topic:
          row.topic_text === null
            ? null
            : { text: row.topic_text, setBy: row.topic_set_by ?? '', setAt: row.topic_set_at ?? 0 },
        modes: json<string[]>(row.modes),
        operators: json<string[]>(row.operators),
        bans: json<RegisteredChannel['bans']>(row.bans),
        exceptions: json<RegisteredChannel['exceptions']>(row.exceptions),
        inviteExceptions: json<RegisteredChannel['inviteExceptions']>(row.invite_exceptions),
      };
    },
  };
}

// ---- uploads and push subscriptions: the same columns on both back ends ----

export interface UploadRow {
  id: string;
  sha256: string;
  size: number;
  name: string;
  content_type: string;
  account: string;
  created_at: number;
}

export function toUpload(row: UploadRow): UploadRecord {
  return {
    id: row.id,
    sha256: row.sha256,
    size: row.size,
    name: row.name,
    contentType: row.content_type,
    account: row.account,
    createdAt: row.created_at,
  };
}

export interface PushRow {
  endpoint: string;
  account: string;
  p256dh: string;
  auth: string;
  caps: number;
  created_at: number;
}

export function toPushSubscription(row: PushRow): PushSubscriptionRecord {
  return {
    endpoint: row.endpoint,
    account: row.account,
    p256dh: row.p256dh,
    auth: row.auth,
    caps: row.caps,
    createdAt: row.created_at,
  };
}
