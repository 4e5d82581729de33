/**
 * The embedded back end: one SQLite file through better-sqlite3.
 *
 * Durability: WAL journal with `synchronous=FULL`, so every committed transaction has been
 * fsynced to the WAL before `append` resolves and survives kill -9 or a power cut. Writes use
 * `BEGIN IMMEDIATE`, and `busy_timeout` lets a second process (a backup, the sqlite3 shell)
 * hold the lock briefly without failing our writes.
 *
 * better-sqlite3 is synchronous: each call runs to completion on the event loop. Queries are
 * indexed and short, and group commit (group-commit.ts) makes one fsync per batch, not per
 * message; prune deletes in chunks and yields between them.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { toFts5Query } from '../protocol/search-query.js';
import {
  type AccountRow as CommonAccountRow,
  type ChannelRow as CommonChannelRow,
  type MessageRow as CommonMessageRow,
  clampLimit,
  HistoryQueries,
  MESSAGE_COLUMNS,
  type Position,
  PRUNE_CHUNK,
  type PushRow,
  parseJson,
  roomKeys,
  rowDecoders,
  searchBounds,
  summarizeBatch,
  toPushSubscription,
  toUpload,
  type UploadRow,
} from './common.js';
import { encodeRows, ROW_WIDTH, type RowValue, rowHeads, toRows } from './message-rows.js';
import { LATEST_VERSION, migrateSqlite } from './migrations.js';
import { SqliteAlwaysOn } from './sqlite-always-on.js';
import { SqliteMessageEvents } from './sqlite-message-events.js';
import type {
  AccountRecord,
  AlwaysOnRecord,
  ConversationSummary,
  PushSubscriptionRecord,
  ReactionResult,
  Redaction,
  RegisteredChannel,
  SearchHit,
  SearchOrder,
  SearchRequest,
  Store,
  StoredMessage,
  StoredReaction,
  TopicChange,
  UploadRecord,
} from './store.js';

type MessageRow = CommonMessageRow<string>;
type AccountRow = CommonAccountRow<string>;
type ChannelRow = CommonChannelRow<string>;

const { toMessage, toAccount, toChannel } = rowDecoders<string>(parseJson);

function accountParams(a: AccountRecord): Record<string, string | number | null> {
  return {
    folded: a.folded,
    name: a.name,
    passwordHash: a.passwordHash,
    salt: a.scram?.salt ?? null,
    iterations: a.scram?.iterations ?? null,
    storedKey: a.scram?.storedKey ?? null,
    serverKey: a.scram?.serverKey ?? null,
    email: a.email,
    createdAt: a.createdAt,
  };
}

function channelParams(c: RegisteredChannel): Record<string, string | number | null> {
  return {
    folded: c.folded,
    name: c.name,
    founder: c.founder,
    registeredAt: c.registeredAt,
    topicText: c.topic?.text ?? null,
    topicSetBy: c.topic?.setBy ?? null,
    topicSetAt: c.topic?.setAt ?? null,
    modes: JSON.stringify(c.modes),
    operators: JSON.stringify(c.operators),
    bans: JSON.stringify(c.bans),
    exceptions: JSON.stringify(c.exceptions),
    inviteExceptions: JSON.stringify(c.inviteExceptions),
  };
}

const ACCOUNT_SELECT = `
  SELECT a.*, (SELECT json_group_array(fingerprint) FROM
    (SELECT fingerprint FROM account_certs c WHERE c.account = a.folded ORDER BY fingerprint)) AS certs
  FROM accounts a`;

/**
 * Opens (creating if needed) the database file and applies the connection settings every
 * tertulia connection uses. The file is created readable by its owner only: it holds private
 * messages and password hashes, and SQLite gives the -wal and -shm files the same mode.
 */
export function openSqliteDatabase(path: string): Database.Database {
  if (path !== ':memory:') {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, 'a', 0o600));
  }
  const db = new Database(path);
  try {
    db.pragma('busy_timeout = 5000');
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (path !== ':memory:' && String(mode).toLowerCase() !== 'wal') {
      throw new Error(`could not switch to WAL journal mode (got ${String(mode)})`);
    }
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The append transaction (messages, then the conversation summaries) on a connection, over
 * flat rows (message-rows.ts). Used by the writer thread, and directly when the store runs
 * without one. One single-row INSERT per message: measured against 32-row INSERTs, the
 * single-row statement costs less CPU per row (binding hundreds of parameters at once and
 * slicing them out of the batch cost more than the statement runs they save).
 */
export function appendStatements(db: Database.Database): (rows: readonly RowValue[]) => void {
  const insertMessage = db.prepare(
    `INSERT INTO messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const upsertConversation = db.prepare(
    `INSERT INTO conversations (conversation, target, latest) VALUES (?, ?, ?)
     ON CONFLICT (conversation) DO UPDATE SET
       target = CASE WHEN excluded.latest >= conversations.latest THEN excluded.target ELSE conversations.target END,
       latest = max(conversations.latest, excluded.latest)`,
  );
  const insertMember = db.prepare(
    'INSERT OR IGNORE INTO conversation_members (identity, conversation) VALUES (?, ?)',
  );
  return db.transaction((rows: readonly RowValue[]) => {
    // Rows are inserted in order, so ids (the tie-break within a millisecond) follow arrival.
    for (let i = 0; i < rows.length; i += ROW_WIDTH) {
      insertMessage.run(
        rows[i],
        rows[i + 1],
        rows[i + 2],
        rows[i + 3],
        rows[i + 4],
        rows[i + 5],
        rows[i + 6],
        rows[i + 7],
        rows[i + 8],
      );
    }
    const summary = summarizeBatch(rowHeads(rows));
    for (const c of summary.conversations) upsertConversation.run(c.conversation, c.target, c.latest);
    for (const mem of summary.members) insertMember.run(mem.identity, mem.conversation);
  }).immediate;
}

/**
 * Messages indexed per transaction when filling the search index. Measured on this schema:
 * 9 µs per row in chunks of 20, 4.6 in chunks of 64, 2.6 in chunks of 256, 1.9 in chunks of
 * 2,000. 256 keeps nearly all of the saving while a chunk holds the writer thread for well
 * under a millisecond (2,000-row chunks stalled acknowledgements for several).
 */
export const INDEX_CHUNK = 256;

/** Fills the full-text index behind the commits (see indexStatements). */
export interface SearchIndexer {
  /**
   * How many committed messages may be waiting to be indexed (an upper bound: ids deleted
   * since count too); 0 when none are. Two indexed reads.
   */
  backlog(): number;
  /**
   * Indexes the next chunk of waiting messages in one transaction; returns whether more may
   * be waiting.
   */
  chunk(): boolean;
  /** Indexes everything waiting, a chunk per transaction. */
  catchUp(): void;
}

/**
 * The search index is filled after the history commit, not by a trigger inside it (migration
 * v7): the FTS5 insert cost more CPU per message than the INSERT itself, and a message only
 * has to be durable, not searchable, before it is acknowledged. Each chunk indexes the rows
 * above search_index_state.indexed_to and moves the mark in the same transaction, so a crash
 * leaves the two consistent; rows deleted or blanked before their chunk are simply not there
 * or indexed as they are then (the triggers leave rows above the mark alone).
 *
 * The chunk transactions commit with synchronous=NORMAL: losing the last chunks in a power
 * cut only means they are indexed again at the next open, and WAL recovery keeps a prefix of
 * the log, so the mark never survives without the index entries committed with it. The next
 * history commit (synchronous=FULL) makes them durable anyway.
 */
export function indexStatements(db: Database.Database): SearchIndexer {
  const backlog = db
    .prepare<[], number>(
      'SELECT coalesce((SELECT max(id) FROM messages), 0) - indexed_to FROM search_index_state',
    )
    .pluck();
  const mark = db.prepare<[], number>('SELECT indexed_to FROM search_index_state').pluck();
  const chunkEnd = db.prepare<[number, number], { last: number | null; n: number }>(
    'SELECT max(id) AS last, count(*) AS n FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)',
  );
  const fill = db.prepare<[number, number]>(
    `INSERT INTO messages_fts (rowid, text)
     SELECT id, text FROM messages WHERE id > ? AND id <= ? AND text IS NOT NULL`,
  );
  const advance = db.prepare<[number]>('UPDATE search_index_state SET indexed_to = ?');
  const indexChunk = db.transaction((): boolean => {
    const from = mark.get() ?? 0;
    const end = chunkEnd.get(from, INDEX_CHUNK);
    if (end === undefined || end.last === null) return false;
    fill.run(from, end.last);
    advance.run(end.last);
    return end.n === INDEX_CHUNK;
  }).immediate;
  const synchronous = String(db.pragma('synchronous', { simple: true }));
  const chunk = (): boolean => {
    if ((backlog.get() ?? 0) <= 0) return false;
    db.pragma('synchronous = NORMAL');
    try {
      return indexChunk();
    } finally {
      db.pragma(`synchronous = ${synchronous}`);
    }
  };
  return {
    backlog: () => backlog.get() ?? 0,
    chunk,
    catchUp() {
      while (chunk()) {}
    },
  };
}

function prepareStatements(db: Database.Database) {
  const m = MESSAGE_COLUMNS;
  return {
    insertMessage: db.prepare(`INSERT INTO messages (${m}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    upsertConversation: db.prepare(
      `INSERT INTO conversations (conversation, target, latest) VALUES (?, ?, ?)
       ON CONFLICT (conversation) DO UPDATE SET
         target = CASE WHEN excluded.latest >= conversations.latest THEN excluded.target ELSE conversations.target END,
         latest = max(conversations.latest, excluded.latest)`,
    ),
    insertMember: db.prepare(
      'INSERT OR IGNORE INTO conversation_members (identity, conversation) VALUES (?, ?)',
    ),
    position: db.prepare<[string, string], Position>(
      'SELECT time, id FROM messages WHERE conversation = ? AND msgid = ?',
    ),
    oldestBetween: db.prepare<[string, number, number, number, number, number], MessageRow>(
      `SELECT ${m} FROM messages WHERE conversation = ? AND (time, id) > (?, ?) AND (time, id) < (?, ?)
       ORDER BY time, id LIMIT ?`,
    ),
    newestBetween: db.prepare<[string, number, number, number, number, number], MessageRow>(
      `SELECT ${m} FROM messages WHERE conversation = ? AND (time, id) > (?, ?) AND (time, id) < (?, ?)
       ORDER BY time DESC, id DESC LIMIT ?`,
    ),
    conversationsAsc: db.prepare<[string, string | null, number, number, number], ConversationSummary>(
      `SELECT conversation, target, latest FROM conversations
       WHERE (conversation IN (SELECT value FROM json_each(?))
              OR conversation IN (SELECT conversation FROM conversation_members WHERE identity = ?))
         AND latest > ? AND latest < ?
       ORDER BY latest, conversation LIMIT ?`,
    ),
    conversationsDesc: db.prepare<[string, string | null, number, number, number], ConversationSummary>(
      `SELECT conversation, target, latest FROM conversations
       WHERE (conversation IN (SELECT value FROM json_each(?))
              OR conversation IN (SELECT conversation FROM conversation_members WHERE identity = ?))
         AND latest > ? AND latest < ?
       ORDER BY latest DESC, conversation DESC LIMIT ?`,
    ),
    findMessage: db.prepare<[string], MessageRow>(`SELECT ${m} FROM messages WHERE msgid = ?`),
    pruneChunk: db.prepare<[number, number]>(
      'DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE time < ? LIMIT ?)',
    ),
    pruneConversations: db.prepare<[number]>('DELETE FROM conversations WHERE latest < ?'),
    pruneMembers: db.prepare(
      `DELETE FROM conversation_members
       WHERE NOT EXISTS (SELECT 1 FROM conversations c WHERE c.conversation = conversation_members.conversation)`,
    ),
    insertAccount: db.prepare<[Record<string, string | number | null>]>(
      `INSERT INTO accounts (folded, name, password_hash, scram_salt, scram_iterations, scram_stored_key,
         scram_server_key, email, created_at)
       VALUES (@folded, @name, @passwordHash, @salt, @iterations, @storedKey, @serverKey, @email, @createdAt)
       ON CONFLICT (folded) DO NOTHING`,
    ),
    updateAccount: db.prepare<[Record<string, string | number | null>]>(
      `UPDATE accounts SET name = @name, password_hash = @passwordHash, scram_salt = @salt,
         scram_iterations = @iterations, scram_stored_key = @storedKey, scram_server_key = @serverKey,
         email = @email, created_at = @createdAt
       WHERE folded = @folded`,
    ),
    deleteCerts: db.prepare<[string]>('DELETE FROM account_certs WHERE account = ?'),
    insertCert: db.prepare<[string, string]>(
      'INSERT INTO account_certs (fingerprint, account) VALUES (?, ?)',
    ),
    getAccount: db.prepare<[string], AccountRow>(`${ACCOUNT_SELECT} WHERE a.folded = ?`),
    accountByCert: db.prepare<[string], AccountRow>(
      `${ACCOUNT_SELECT} WHERE a.folded = (SELECT account FROM account_certs WHERE fingerprint = ?)`,
    ),
    insertChannel: db.prepare<[Record<string, string | number | null>]>(
      `INSERT INTO channels (folded, name, founder, registered_at, topic_text, topic_set_by, topic_set_at,
         modes, operators, bans, exceptions, invite_exceptions)
       VALUES (@folded, @name, @founder, @registeredAt, @topicText, @topicSetBy, @topicSetAt,
         @modes, @operators, @bans, @exceptions, @inviteExceptions)
       ON CONFLICT (folded) DO NOTHING`,
    ),
    updateChannel: db.prepare<[Record<string, string | number | null>]>(
      `UPDATE channels SET name = @name, founder = @founder, registered_at = @registeredAt,
         topic_text = @topicText, topic_set_by = @topicSetBy, topic_set_at = @topicSetAt,
         modes = @modes, operators = @operators, bans = @bans, exceptions = @exceptions,
         invite_exceptions = @inviteExceptions
       WHERE folded = @folded`,
    ),
    getChannel: db.prepare<[string], ChannelRow>('SELECT * FROM channels WHERE folded = ?'),
    dropChannel: db.prepare<[string]>('DELETE FROM channels WHERE folded = ?'),
    listChannels: db.prepare<[], ChannelRow>('SELECT * FROM channels ORDER BY folded'),
    getMarker: db.prepare<[string, string], { time: number }>(
      'SELECT time FROM read_markers WHERE account = ? AND target = ?',
    ),
    advanceMarker: db.prepare<[string, string, number], { time: number }>(
      `INSERT INTO read_markers (account, target, time) VALUES (?, ?, ?)
       ON CONFLICT (account, target) DO UPDATE SET time = excluded.time WHERE excluded.time > read_markers.time
       RETURNING time`,
    ),
    insertUpload: db.prepare<[Record<string, string | number>]>(
      `INSERT INTO uploads (id, sha256, size, name, content_type, account, created_at)
       VALUES (@id, @sha256, @size, @name, @contentType, @account, @createdAt)`,
    ),
    getUpload: db.prepare<[string], UploadRow>('SELECT * FROM uploads WHERE id = ?'),
    uploadBytes: db.prepare<[string], { n: number }>(
      'SELECT coalesce(sum(size), 0) AS n FROM uploads WHERE account = ?',
    ),
    search: {
      relevance: db.prepare<[SearchParams], SearchRow>(searchSql('relevance')),
      newest: db.prepare<[SearchParams], SearchRow>(searchSql('newest')),
      oldest: db.prepare<[SearchParams], SearchRow>(searchSql('oldest')),
    },
    addPush: db.prepare<[PushSubscriptionRecord]>(
      `INSERT INTO webpush_subscriptions (endpoint, account, p256dh, auth, caps, created_at)
       VALUES (@endpoint, @account, @p256dh, @auth, @caps, @createdAt)
       ON CONFLICT (endpoint) DO UPDATE SET account = excluded.account, p256dh = excluded.p256dh,
         auth = excluded.auth, caps = excluded.caps, created_at = excluded.created_at`,
    ),
    removePush: db.prepare<[{ endpoint: string; account: string | null }]>(
      'DELETE FROM webpush_subscriptions WHERE endpoint = @endpoint AND (@account IS NULL OR account = @account)',
    ),
    pushByAccount: db.prepare<[string], PushRow>(
      'SELECT * FROM webpush_subscriptions WHERE account = ? ORDER BY created_at, endpoint',
    ),
    pushAccounts: db
      .prepare<[], { account: string }>('SELECT DISTINCT account FROM webpush_subscriptions ORDER BY account')
      .pluck(),
  };
}

type SearchParams = Record<string, string | number | null>;
type SearchRow = MessageRow & { id: number; score: number };

/**
 * One search statement per order. The FTS5 index yields the matching rows (and bm25, lower
 * is better, so it is negated into a score); the join applies the reader's conversations,
 * the filters and the keyset position, and sorts.
 */
function searchSql(order: SearchOrder): string {
  const score = order === 'relevance' ? '-bm25(messages_fts)' : '0';
  const keyset =
    order === 'relevance'
      ? '(hits.score, m.time, m.id) < (@score, @time, @id)'
      : order === 'newest'
        ? '(m.time, m.id) < (@time, @id)'
        : '(m.time, m.id) > (@time, @id)';
  const sort =
    order === 'relevance'
      ? 'hits.score DESC, m.time DESC, m.id DESC'
      : order === 'newest'
        ? 'm.time DESC, m.id DESC'
        : 'm.time, m.id';
  return `
    WITH hits AS (SELECT rowid AS id, ${score} AS score FROM messages_fts WHERE messages_fts MATCH @match)
    SELECT m.id AS id, ${MESSAGE_COLUMNS}, hits.score AS score
    FROM hits JOIN messages m ON m.id = hits.id
    WHERE (m.conversation IN (SELECT value FROM json_each(@conversations))
           OR m.conversation IN (SELECT conversation FROM conversation_members WHERE identity = @identity))
      AND m.time >= @after AND m.time <= @before
      AND (@fromNick IS NULL OR lower(substr(m.sender, 1, instr(m.sender, '!') - 1)) = @fromNick)
      AND (@paged = 0 OR ${keyset})
    ORDER BY ${sort} LIMIT @limit`;
}

type Statements = ReturnType<typeof prepareStatements>;

/** The first string after every string that starts with `prefix` (its last character + 1). */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

function prepareMetadata(db: Database.Database) {
  return {
    get: db.prepare<[string], { key: string; value: string }>(
      'SELECT key, value FROM metadata WHERE target = ? ORDER BY key',
    ),
    set: db.prepare<[string, string, string]>(
      'INSERT INTO metadata (target, key, value) VALUES (?, ?, ?) ON CONFLICT (target, key) DO UPDATE SET value = excluded.value',
    ),
    remove: db.prepare<[string, string]>('DELETE FROM metadata WHERE target = ? AND key = ?'),
    clear: db.prepare<[string]>('DELETE FROM metadata WHERE target = ?'),
    // A range on the primary key rather than LIKE (which SQLite would not use the index for).
    withPrefix: db.prepare<[string, string], { target: string; key: string; value: string }>(
      'SELECT target, key, value FROM metadata WHERE target >= ? AND target < ? ORDER BY target, key',
    ),
  };
}

export class SqliteStore extends HistoryQueries implements Store {
  readonly kind = 'sqlite';
  readonly schemaVersion: number;
  readonly path: string;
  private readonly db: Database.Database;
  private statements: Statements | null = null;
  private messageEvents: SqliteMessageEvents | null = null;
  private alwaysOnStatements: SqliteAlwaysOn | null = null;
  private appendTx: ((rows: readonly RowValue[]) => void) | null = null;
  private indexer: SearchIndexer | null = null;
  private closed = false;
  /** The writer thread that commits history batches, or null to commit on this thread. */
  private writer: WriterThread | null = null;

  /**
   * Opens the file, runs pending migrations and prepares statements. `migrateTo` stops at an
   * earlier version (tests of upgrades); such a store can only be closed.
   */
  constructor(path: string, options: { migrateTo?: number; writerThread?: boolean } = {}) {
    super();
    this.path = path;
    this.db = openSqliteDatabase(path);
    try {
      this.schemaVersion = migrateSqlite(this.db, options.migrateTo);
      if (this.schemaVersion === LATEST_VERSION) {
        this.statements = prepareStatements(this.db);
        // Messages committed but not indexed when the last process stopped (or written by
        // anything else): index them all now, before the writer thread starts.
        this.indexer = indexStatements(this.db);
        this.indexer.catchUp();
      }
    } catch (err) {
      this.db.close();
      throw err;
    }
    // An in-memory database is private to its connection, so it cannot have a writer thread.
    if (options.writerThread !== false && path !== ':memory:' && this.statements !== null) {
      this.writer = new WriterThread(path);
    }
  }

  private get s(): Statements {
    if (this.statements === null)
      throw new Error(`schema is at version ${this.schemaVersion}, not the latest`);
    return this.statements;
  }

  /** Always-on memberships (sqlite-always-on.ts). */
  private get alwaysOnSql(): SqliteAlwaysOn {
    this.check();
    this.s; // only on the latest schema
    this.alwaysOnStatements ??= new SqliteAlwaysOn(this.db);
    return this.alwaysOnStatements;
  }

  async addMembership(account: string, nick: string, channel: string, name: string): Promise<void> {
    this.alwaysOnSql.addMembership(account, nick, channel, name);
  }

  async removeMembership(account: string, channel: string): Promise<void> {
    this.alwaysOnSql.removeMembership(account, channel);
  }

  async setAlwaysOn(account: string, nick: string, enabled: boolean): Promise<void> {
    this.alwaysOnSql.setAlwaysOn(account, nick, enabled);
  }

  async nickChanged(account: string, nick: string): Promise<void> {
    this.alwaysOnSql.nickChanged(account, nick);
  }

  async wentOffline(account: string, nick: string, time: number): Promise<void> {
    this.alwaysOnSql.wentOffline(account, nick, time);
  }

  async renameMemberships(channel: string, newChannel: string, newName: string): Promise<void> {
    this.alwaysOnSql.renameMemberships(channel, newChannel, newName);
  }

  async loadAlwaysOn(): Promise<AlwaysOnRecord[]> {
    return this.alwaysOnSql.load();
  }

  // ---- metadata (draft/metadata-2, migration 11) ----

  private metadataStatements: ReturnType<typeof prepareMetadata> | null = null;

  private get metadataSql(): ReturnType<typeof prepareMetadata> {
    this.check();
    this.s; // only on the latest schema
    this.metadataStatements ??= prepareMetadata(this.db);
    return this.metadataStatements;
  }

  async getMetadata(target: string): Promise<Array<[string, string]>> {
    return this.metadataSql.get.all(target).map((r) => [r.key, r.value]);
  }

  async metadataWithPrefix(prefix: string): Promise<Array<[string, string, string]>> {
    return this.metadataSql.withPrefix.all(prefix, prefixEnd(prefix)).map((r) => [r.target, r.key, r.value]);
  }

  async setMetadata(target: string, key: string, value: string | null): Promise<void> {
    if (value === null) this.metadataSql.remove.run(target, key);
    else this.metadataSql.set.run(target, key, value);
  }

  async clearMetadata(target: string): Promise<void> {
    this.metadataSql.clear.run(target);
  }

  /** Reactions and redactions (sqlite-message-events.ts). */
  private get events(): SqliteMessageEvents {
    this.check();
    this.messageEvents ??= new SqliteMessageEvents(this.db);
    return this.messageEvents;
  }

  private appendBatch(messages: readonly StoredMessage[]): void {
    this.appendTx ??= appendStatements(this.db);
    this.appendTx(toRows(messages));
    // Without a writer thread the index is filled at once, after the commit.
    this.searchIndex.catchUp();
  }

  private get searchIndex(): SearchIndexer {
    if (this.indexer === null) throw new Error(`schema is at version ${this.schemaVersion}, not the latest`);
    return this.indexer;
  }

  protected check(): void {
    if (this.closed) throw new Error('store is closed');
  }

  // ---- history ----

  async append(messages: readonly StoredMessage[]): Promise<void> {
    this.check();
    if (messages.length === 0) return;
    if (this.writer !== null) return this.writer.append(messages);
    this.appendBatch(messages);
  }

  protected async positionOf(conversation: string, msgid: string): Promise<Position | null> {
    return this.s.position.get(conversation, msgid) ?? null;
  }

  protected async page(
    conversation: string,
    lo: Position,
    hi: Position,
    limit: number,
    newest: boolean,
  ): Promise<StoredMessage[]> {
    if (newest)
      return this.s.newestBetween
        .all(conversation, lo.time, lo.id, hi.time, hi.id, limit)
        .reverse()
        .map(toMessage);
    return this.s.oldestBetween.all(conversation, lo.time, lo.id, hi.time, hi.id, limit).map(toMessage);
  }

  async conversations(
    identity: string | null,
    rooms: readonly string[],
    from: number,
    to: number,
    limit: number,
  ): Promise<ConversationSummary[]> {
    this.check();
    const n = clampLimit(limit);
    if (n === 0) return [];
    const keys = JSON.stringify(roomKeys(rooms));
    if (from <= to) return this.s.conversationsAsc.all(keys, identity, from, to, n);
    return this.s.conversationsDesc.all(keys, identity, to, from, n).reverse();
  }

  async findMessage(msgid: string): Promise<StoredMessage | null> {
    this.check();
    const row = this.s.findMessage.get(msgid);
    return row === undefined ? null : toMessage(row);
  }

  async prune(olderThan: number): Promise<number> {
    this.check();
    let total = 0;
    for (;;) {
      const { changes } = this.s.pruneChunk.run(olderThan, PRUNE_CHUNK);
      total += changes;
      if (changes < PRUNE_CHUNK) break;
      // Let queued writes and queries run between chunks.
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.check();
    }
    this.db
      .transaction(() => {
        this.s.pruneConversations.run(olderThan);
        this.s.pruneMembers.run();
        this.events.prune(olderThan);
      })
      .immediate();
    return total;
  }

  // ---- reactions and redactions ----

  // Writes go through the writer thread when there is one: a commit there waits for fsync
  // without stalling the event loop, and they queue behind the history batches already sent,
  // so a reaction or deletion is applied after the messages it refers to.

  async addReaction(reaction: StoredReaction): Promise<ReactionResult> {
    this.check();
    if (this.writer !== null) return this.writer.call('addReaction', [reaction]);
    return this.events.addReaction(reaction);
  }

  async removeReaction(conversation: string, to: string, identity: string, emoji: string): Promise<boolean> {
    this.check();
    if (this.writer !== null) return this.writer.call('removeReaction', [conversation, to, identity, emoji]);
    return this.events.removeReaction(conversation, to, identity, emoji);
  }

  async reactionsTo(conversation: string, msgids: readonly string[]): Promise<StoredReaction[]> {
    return this.events.reactionsTo(conversation, msgids);
  }

  async findReaction(msgid: string): Promise<StoredReaction | null> {
    return this.events.findReaction(msgid);
  }

  async redact(redaction: Redaction): Promise<boolean> {
    this.check();
    if (this.writer !== null) return this.writer.call('redact', [redaction]);
    return this.events.redact(redaction);
  }

  async redactions(conversation: string, from: number, to: number, limit: number): Promise<Redaction[]> {
    return this.events.redactions(conversation, from, to, limit);
  }

  async addTopicChange(change: TopicChange): Promise<void> {
    this.check();
    if (this.writer !== null) {
      await this.writer.call('addTopicChange', [change]);
      return;
    }
    return this.events.addTopicChange(change);
  }

  async topicChanges(conversation: string, from: number, to: number, limit: number): Promise<TopicChange[]> {
    return this.events.topicChanges(conversation, from, to, limit);
  }

  // ---- accounts ----

  async createAccount(account: AccountRecord): Promise<boolean> {
    this.check();
    return this.db
      .transaction((a: AccountRecord): boolean => {
        if (this.s.insertAccount.run(accountParams(a)).changes === 0) return false;
        for (const fp of new Set(a.certFingerprints)) this.s.insertCert.run(fp, a.folded);
        return true;
      })
      .immediate(account);
  }

  async getAccount(folded: string): Promise<AccountRecord | null> {
    this.check();
    const row = this.s.getAccount.get(folded);
    return row === undefined ? null : toAccount(row);
  }

  async updateAccount(account: AccountRecord): Promise<void> {
    this.check();
    this.db
      .transaction((a: AccountRecord) => {
        if (this.s.updateAccount.run(accountParams(a)).changes === 0) return;
        this.s.deleteCerts.run(a.folded);
        for (const fp of new Set(a.certFingerprints)) this.s.insertCert.run(fp, a.folded);
      })
      .immediate(account);
  }

  async findAccountByCert(fingerprint: string): Promise<AccountRecord | null> {
    this.check();
    const row = this.s.accountByCert.get(fingerprint);
    return row === undefined ? null : toAccount(row);
  }

  // ---- channels ----

  async registerChannel(channel: RegisteredChannel): Promise<boolean> {
    this.check();
    return this.s.insertChannel.run(channelParams(channel)).changes > 0;
  }

  async getChannel(folded: string): Promise<RegisteredChannel | null> {
    this.check();
    const row = this.s.getChannel.get(folded);
    return row === undefined ? null : toChannel(row);
  }

  async updateChannel(channel: RegisteredChannel): Promise<void> {
    this.check();
    this.s.updateChannel.run(channelParams(channel));
  }

  async dropChannel(folded: string): Promise<void> {
    this.check();
    this.s.dropChannel.run(folded);
  }

  async listChannels(): Promise<RegisteredChannel[]> {
    this.check();
    return this.s.listChannels.all().map(toChannel);
  }

  // ---- read markers ----

  async getReadMarker(account: string, target: string): Promise<number | null> {
    this.check();
    return this.s.getMarker.get(account, target)?.time ?? null;
  }

  async setReadMarker(account: string, target: string, time: number): Promise<number> {
    this.check();
    const moved = this.s.advanceMarker.get(account, target, time);
    if (moved !== undefined) return moved.time;
    return this.s.getMarker.get(account, target)?.time ?? time;
  }

  // ---- uploads ----

  async addUpload(upload: UploadRecord): Promise<void> {
    this.check();
    this.s.insertUpload.run({ ...upload });
  }

  async getUpload(id: string): Promise<UploadRecord | null> {
    this.check();
    const row = this.s.getUpload.get(id);
    return row === undefined ? null : toUpload(row);
  }

  async uploadBytesByAccount(account: string): Promise<number> {
    this.check();
    return this.s.uploadBytes.get(account)?.n ?? 0;
  }

  // ---- search ----

  async search(request: SearchRequest): Promise<SearchHit[]> {
    this.check();
    const b = searchBounds(request);
    // Nothing readable (a guest in no room, say): no need to ask the index.
    if (b.limit === 0 || (request.conversations.length === 0 && request.identity === null)) return [];
    // Every message acknowledged before the search is findable: index what the writer has
    // committed and not indexed yet. Usually nothing is waiting and this is one indexed read.
    if (this.searchIndex.backlog() > 0) {
      if (this.writer !== null) await this.writer.catchUp();
      else this.searchIndex.catchUp();
      this.check();
    }
    const rows = this.s.search[request.order].all({
      match: toFts5Query(request.query),
      conversations: JSON.stringify(request.conversations),
      identity: request.identity,
      fromNick: request.fromNick,
      after: b.after,
      before: b.before,
      paged: b.paged,
      score: b.score,
      time: b.time,
      id: b.id,
      limit: b.limit,
    });
    return rows.map((row) => ({
      message: toMessage(row),
      score: row.score,
      position: { score: row.score, time: row.time, id: row.id },
    }));
  }

  // ---- web push subscriptions ----

  async addPushSubscription(subscription: PushSubscriptionRecord): Promise<void> {
    this.check();
    this.s.addPush.run({ ...subscription });
  }

  async removePushSubscription(endpoint: string, account: string | null): Promise<boolean> {
    this.check();
    return this.s.removePush.run({ endpoint, account }).changes > 0;
  }

  async pushSubscriptions(account: string): Promise<PushSubscriptionRecord[]> {
    this.check();
    return this.s.pushByAccount.all(account).map(toPushSubscription);
  }

  async pushAccounts(): Promise<string[]> {
    this.check();
    return this.s.pushAccounts.all() as unknown as string[]; // pluck() returns the column itself
  }

  /** The connection settings in force (for diagnostics and tests). */
  async settings(): Promise<Record<string, string>> {
    this.check();
    const read = (name: string): string => String(this.db.pragma(name, { simple: true }));
    return {
      journal_mode: read('journal_mode'),
      synchronous: read('synchronous'),
      busy_timeout: read('busy_timeout'),
      foreign_keys: read('foreign_keys'),
      sqlite_version: String(this.db.prepare('SELECT sqlite_version()').pluck().get()),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.writer !== null) await this.writer.close();
    try {
      if (this.statements !== null) this.db.pragma('optimize');
    } finally {
      this.db.close();
    }
  }
}

/** The message-event writes the writer thread runs (the reads stay on the main connection). */
export type WriterCall = 'addReaction' | 'removeReaction' | 'redact' | 'addTopicChange';

/**
 * What the main thread sends the writer: a history batch, one message-event write, or a
 * request to index every message committed so far (before a search).
 */
export type WriterRequest =
  | { id: number; rows: string }
  | { id: number; call: WriterCall; args: unknown[] }
  | { id: number; catchUp: true };

export type WriterReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; error: string };

/**
 * The main thread's side of the writer thread: one request per batch, answered in order.
 * If the thread dies, every pending and later append fails (and so the messages are not
 * delivered), rather than being silently lost.
 */
class WriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (err: Error) => void }
  >();
  private nextId = 1;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(path: string) {
    this.worker = new Worker(new URL('./sqlite-writer-worker.js', import.meta.url), { workerData: { path } });
    this.worker.unref();
    this.worker.on('message', (reply: WriterReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error ?? 'history write failed'));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.exited = new Promise((done) => {
      this.worker.once('exit', (code) => {
        if (this.failure === null && this.pending.size > 0)
          this.fail(new Error(`history writer exited (${code})`));
        done();
      });
    });
  }

  append(messages: readonly StoredMessage[]): Promise<void> {
    return this.request({ rows: encodeRows(messages) }) as Promise<void>;
  }

  /** Resolves once every message committed so far is in the search index. */
  catchUp(): Promise<void> {
    return this.request({ catchUp: true }) as Promise<void>;
  }

  /** Runs one of the message-event writes (sqlite-message-events.ts) on the writer's connection. */
  call<M extends WriterCall>(
    method: M,
    args: Parameters<SqliteMessageEvents[M]>,
  ): Promise<Awaited<ReturnType<SqliteMessageEvents[M]>>> {
    return this.request({ call: method, args }) as Promise<Awaited<ReturnType<SqliteMessageEvents[M]>>>;
  }

  private request(
    body: { rows: string } | { call: WriterCall; args: unknown[] } | { catchUp: true },
  ): Promise<unknown> {
    if (this.failure !== null) return Promise.reject(this.failure);
    const id = this.nextId++;
    // Keep the process alive while a request is being committed.
    if (this.pending.size === 0) this.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        resolve: (value) => {
          this.settled();
          resolve(value);
        },
        reject: (err) => {
          this.settled();
          reject(err);
        },
      });
      this.worker.postMessage({ id, ...body });
    });
  }

  private settled(): void {
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(err: Error): void {
    this.failure = new Error(`history writer thread failed: ${err.message}`);
    for (const waiter of this.pending.values()) waiter.reject(this.failure);
    this.pending.clear();
  }

  /** Lets queued batches finish, then stops the thread. */
  async close(): Promise<void> {
    // Unreferenced while idle so it never keeps a process alive by itself; referenced while
    // closing so the process waits for the last batch to commit.
    this.worker.ref();
    if (this.failure === null) this.worker.postMessage('close');
    await this.exited;
  }
}

export async function openSqliteStore(
  path: string,
  options: { migrateTo?: number } = {},
): Promise<SqliteStore> {
  return new SqliteStore(path, options);
}
