/**
 * The PostgreSQL back end: a `pg` connection pool, parameterized queries only.
 *
 * Durability: every connection starts with `synchronous_commit=on` (whatever the server's
 * default), so `append` resolves only after its transaction is flushed to the server's WAL.
 * A batch is one statement (data-modifying CTEs over unnest()ed arrays): one round trip and
 * one implicit transaction, whatever the batch size.
 *
 * Several tertulia nodes may share one database: ids come from an identity column, the
 * conversation summaries are upserted in key order (no lock-order deadlocks between nodes),
 * and migrations take an advisory lock.
 */
import pg from 'pg';
import { toTsQuery } from '../protocol/search-query.js';
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
  roomKeys,
  rowDecoders,
  searchBounds,
  summarizeBatch,
  toPushSubscription,
  toUpload,
  type UploadRow,
} from './common.js';
import { migratePostgres } from './migrations.js';
import * as alwaysOn from './postgres-always-on.js';
import { PostgresMessageEvents } from './postgres-message-events.js';
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

export interface PostgresStoreOptions {
  /** libpq-style connection string (postgres://user@host:port/db?...), without our `schema` parameter. */
  connectionString: string;
  /** Schema to keep the tables in; created when missing. Null: the server's default search_path. */
  schema: string | null;
  /** More server settings for every connection (libpq `options`, e.g. `-c statement_timeout=5000`). */
  extraOptions?: string | null;
  /** Most pooled connections (default 10). */
  maxConnections?: number;
  /** Stop migrating at this version (tests of upgrades). */
  migrateTo?: number;
  /** Errors of idle pooled connections (the pool replaces them); default: ignored. */
  onError?: (err: Error) => void;
}

/** A schema name we put into a search_path option: plain identifiers only. */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

const INT8_OID = 20;

/**
 * Type parsers for this pool only: BIGINT (times in ms, ids) as JS numbers, which hold them
 * exactly up to 2^53. The global pg.types is left alone.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig; // pg's typing overloads getTypeParser per format

type MessageRow = CommonMessageRow<unknown>;
type AccountRow = CommonAccountRow<unknown>;
type ChannelRow = CommonChannelRow<unknown>;

const { toMessage, toAccount, toChannel } = rowDecoders<unknown>(<T>(value: unknown) => value as T);

function accountParams(a: AccountRecord): unknown[] {
  return [
    a.folded,
    a.name,
    a.passwordHash,
    a.scram?.salt ?? null,
    a.scram?.iterations ?? null,
    a.scram?.storedKey ?? null,
    a.scram?.serverKey ?? null,
    a.email,
    a.createdAt,
  ];
}

function channelParams(c: RegisteredChannel): unknown[] {
  return [
    c.folded,
    c.name,
    c.founder,
    c.registeredAt,
    c.topic?.text ?? null,
    c.topic?.setBy ?? null,
    c.topic?.setAt ?? null,
    JSON.stringify(c.modes),
    JSON.stringify(c.operators),
    JSON.stringify(c.bans),
    JSON.stringify(c.exceptions),
    JSON.stringify(c.inviteExceptions),
  ];
}

/**
 * One search statement per order. The GIN index on the folded text's tsvector finds the
 * matches (the expression must be written exactly as in migration 5 for the planner to use
 * it); ts_rank (a real) scores them; the filters and keyset position apply, then the sort.
 */
function searchSql(order: SearchOrder): string {
  const vector = "to_tsvector('simple'::regconfig, tertulia_search_text(m.text))";
  const score = order === 'relevance' ? `ts_rank(${vector}, q)` : '0::real';
  const keyset =
    order === 'relevance'
      ? '(score, time, id) < ($9::real, $10::bigint, $11::bigint)'
      : order === 'newest'
        ? '(time, id) < ($9::bigint, $10::bigint)'
        : '(time, id) > ($9::bigint, $10::bigint)';
  const sort =
    order === 'relevance'
      ? 'score DESC, time DESC, id DESC'
      : order === 'newest'
        ? 'time DESC, id DESC'
        : 'time, id';
  return `SELECT * FROM (
      SELECT m.id, ${MESSAGE_COLUMNS.split(', ')
        .map((c) => `m.${c}`)
        .join(', ')}, ${score} AS score
      FROM messages m, to_tsquery('simple', $1) AS q
      WHERE ${vector} @@ q
        AND (m.conversation = ANY($2::text[])
             OR m.conversation IN (SELECT conversation FROM conversation_members WHERE identity = $3))
        AND m.time >= $4 AND m.time <= $5
        AND ($6::text IS NULL OR lower(split_part(m.sender, '!', 1)) = $6::text)
    ) AS hits
    WHERE NOT $7::boolean OR ${keyset}
    ORDER BY ${sort} LIMIT $8`;
}

const SQL = {
  searchRelevance: searchSql('relevance'),
  searchNewest: searchSql('newest'),
  searchOldest: searchSql('oldest'),
  addPush: `INSERT INTO webpush_subscriptions (endpoint, account, p256dh, auth, caps, created_at)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (endpoint) DO UPDATE SET account = EXCLUDED.account, p256dh = EXCLUDED.p256dh,
      auth = EXCLUDED.auth, caps = EXCLUDED.caps, created_at = EXCLUDED.created_at`,
  removePush:
    'DELETE FROM webpush_subscriptions WHERE endpoint = $1 AND ($2::text IS NULL OR account = $2::text)',
  pushByAccount: 'SELECT * FROM webpush_subscriptions WHERE account = $1 ORDER BY created_at, endpoint',
  pushAccounts: 'SELECT DISTINCT account FROM webpush_subscriptions ORDER BY account',
  // Byte order, as SQLite sorts (keys are ASCII).
  getMetadata: 'SELECT key, value FROM metadata WHERE target = $1 ORDER BY key COLLATE "C"',
  setMetadata: `INSERT INTO metadata (target, key, value) VALUES ($1, $2, $3)
    ON CONFLICT (target, key) DO UPDATE SET value = EXCLUDED.value`,
  removeMetadata: 'DELETE FROM metadata WHERE target = $1 AND key = $2',
  metadataWithPrefix: `SELECT target, key, value FROM metadata
    WHERE starts_with(target, $1) ORDER BY target COLLATE "C", key COLLATE "C"`,
  clearMetadata: 'DELETE FROM metadata WHERE target = $1',
  append: `
    WITH batch AS (
      SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                           $7::text[], $8::text[], $9::text[])
        WITH ORDINALITY AS b(msgid, time, command, conversation, target, sender, sender_account, text,
                             client_tags, ord)
    ),
    inserted AS (
      INSERT INTO messages (${MESSAGE_COLUMNS})
      SELECT msgid, time, command, conversation, target, sender, sender_account, text, client_tags::jsonb
      FROM batch ORDER BY ord
      RETURNING 1
    ),
    summaries AS (
      INSERT INTO conversations (conversation, target, latest)
      SELECT * FROM unnest($10::text[], $11::text[], $12::bigint[]) AS c(conversation, target, latest)
      ORDER BY conversation
      ON CONFLICT (conversation) DO UPDATE SET
        target = CASE WHEN EXCLUDED.latest >= conversations.latest
                      THEN EXCLUDED.target ELSE conversations.target END,
        latest = GREATEST(conversations.latest, EXCLUDED.latest)
      RETURNING 1
    ),
    members AS (
      INSERT INTO conversation_members (identity, conversation)
      SELECT * FROM unnest($13::text[], $14::text[]) AS m(identity, conversation)
      ORDER BY identity, conversation
      ON CONFLICT DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM inserted)::int AS inserted`,
  position: 'SELECT time, id FROM messages WHERE conversation = $1 AND msgid = $2',
  oldestBetween: `SELECT ${MESSAGE_COLUMNS} FROM messages
    WHERE conversation = $1 AND (time, id) > ($2, $3) AND (time, id) < ($4, $5)
    ORDER BY time, id LIMIT $6`,
  newestBetween: `SELECT ${MESSAGE_COLUMNS} FROM messages
    WHERE conversation = $1 AND (time, id) > ($2, $3) AND (time, id) < ($4, $5)
    ORDER BY time DESC, id DESC LIMIT $6`,
  conversationsAsc: `SELECT conversation, target, latest FROM conversations
    WHERE (conversation = ANY($1::text[])
           OR conversation IN (SELECT conversation FROM conversation_members WHERE identity = $2))
      AND latest > $3 AND latest < $4
    ORDER BY latest, conversation LIMIT $5`,
  conversationsDesc: `SELECT conversation, target, latest FROM conversations
    WHERE (conversation = ANY($1::text[])
           OR conversation IN (SELECT conversation FROM conversation_members WHERE identity = $2))
      AND latest > $3 AND latest < $4
    ORDER BY latest DESC, conversation DESC LIMIT $5`,
  findMessage: `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE msgid = $1`,
  pruneChunk: 'DELETE FROM messages WHERE id = ANY (ARRAY(SELECT id FROM messages WHERE time < $1 LIMIT $2))',
  pruneSummaries: `WITH gone AS (DELETE FROM conversations WHERE latest < $1 RETURNING conversation)
    DELETE FROM conversation_members WHERE conversation IN (SELECT conversation FROM gone)`,
  createAccount: `
    WITH account AS (
      INSERT INTO accounts (folded, name, password_hash, scram_salt, scram_iterations, scram_stored_key,
                            scram_server_key, email, created_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
      ON CONFLICT (folded) DO NOTHING
      RETURNING folded
    ),
    certs AS (
      INSERT INTO account_certs (fingerprint, account)
      SELECT DISTINCT f, account.folded FROM account CROSS JOIN unnest($10::text[]) AS f
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM account)::int AS created, (SELECT count(*) FROM certs)::int AS certs`,
  updateAccount: `UPDATE accounts SET name = $2, password_hash = $3, scram_salt = $4, scram_iterations = $5,
      scram_stored_key = $6, scram_server_key = $7, email = $8, created_at = $9
    WHERE folded = $1`,
  deleteCerts: 'DELETE FROM account_certs WHERE account = $1',
  insertCerts: `INSERT INTO account_certs (fingerprint, account)
    SELECT DISTINCT f, $1 FROM unnest($2::text[]) AS f`,
  getAccount: `SELECT a.*, ARRAY(SELECT fingerprint FROM account_certs c WHERE c.account = a.folded
      ORDER BY fingerprint) AS certs
    FROM accounts a WHERE a.folded = $1`,
  accountByCert: `SELECT a.*, ARRAY(SELECT fingerprint FROM account_certs c WHERE c.account = a.folded
      ORDER BY fingerprint) AS certs
    FROM accounts a WHERE a.folded = (SELECT account FROM account_certs WHERE fingerprint = $1)`,
  registerChannel: `INSERT INTO channels (folded, name, founder, registered_at, topic_text, topic_set_by,
      topic_set_at, modes, operators, bans, exceptions, invite_exceptions)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb, $10::jsonb, $11::jsonb, $12::jsonb)
    ON CONFLICT (folded) DO NOTHING`,
  updateChannel: `UPDATE channels SET name = $2, founder = $3, registered_at = $4, topic_text = $5,
      topic_set_by = $6, topic_set_at = $7, modes = $8::jsonb, operators = $9::jsonb, bans = $10::jsonb,
      exceptions = $11::jsonb, invite_exceptions = $12::jsonb
    WHERE folded = $1`,
  getChannel: 'SELECT * FROM channels WHERE folded = $1',
  dropChannel: 'DELETE FROM channels WHERE folded = $1',
  listChannels: 'SELECT * FROM channels ORDER BY folded',
  getMarker: 'SELECT time FROM read_markers WHERE account = $1 AND target = $2',
  advanceMarker: `INSERT INTO read_markers (account, target, time) VALUES ($1, $2, $3)
    ON CONFLICT (account, target) DO UPDATE SET time = EXCLUDED.time WHERE EXCLUDED.time > read_markers.time
    RETURNING time`,
  insertUpload: `INSERT INTO uploads (id, sha256, size, name, content_type, account, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  getUpload: 'SELECT * FROM uploads WHERE id = $1',
  uploadBytes: 'SELECT coalesce(sum(size), 0)::bigint AS n FROM uploads WHERE account = $1',
} as const;

/** Double-quotes an identifier for SQL text (schema names are validated first as well). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * CREATE SCHEMA IF NOT EXISTS is not safe against itself when several nodes start at once
 * (both see it missing, one fails on the catalog's unique index): take a lock first.
 */
async function createSchema(client: pg.ClientBase, schema: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('tertulia-schema:' || $1))", [schema]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

export class PostgresStore extends HistoryQueries implements Store {
  readonly kind = 'postgres';
  readonly schemaVersion: number;
  private readonly pool: pg.Pool;
  private closed = false;
  /** Reactions and redactions (postgres-message-events.ts). */
  private readonly events: PostgresMessageEvents;

  private constructor(pool: pg.Pool, schemaVersion: number) {
    super();
    this.pool = pool;
    this.schemaVersion = schemaVersion;
    this.events = new PostgresMessageEvents(pool, () => this.check());
  }

  /**
   * Connects, creates the schema if it is missing, and runs pending migrations. Errors are
   * the driver's own; openStore wraps them with the database's name.
   */
  static async open(options: PostgresStoreOptions): Promise<PostgresStore> {
    const { schema } = options;
    if (schema !== null && !SCHEMA_NAME.test(schema)) {
      throw new Error(`schema name "${schema}" must be a plain identifier (letters, digits, _)`);
    }
    // Startup options every connection gets: durable commits, and our schema first on the path.
    // Ours come last so they win over the same settings in extraOptions.
    const settings = options.extraOptions ? [options.extraOptions] : [];
    settings.push('-c synchronous_commit=on');
    if (schema !== null) settings.push(`-c search_path=${schema}`);
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      options: settings.join(' '),
      types,
    });
    pool.on('error', (err) => options.onError?.(err));
    try {
      const client = await pool.connect();
      try {
        if (schema !== null) await createSchema(client, schema);
        const version = await migratePostgres(client, options.migrateTo);
        return new PostgresStore(pool, version);
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => {});
      throw err;
    }
  }

  protected check(): void {
    if (this.closed) throw new Error('store is closed');
  }

  private async query<R extends pg.QueryResultRow>(name: keyof typeof SQL, values: unknown[]): Promise<R[]> {
    this.check();
    const result = await this.pool.query<R>({ name, text: SQL[name], values });
    return result.rows;
  }

  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.check();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  // ---- history ----

  async append(messages: readonly StoredMessage[]): Promise<void> {
    this.check();
    if (messages.length === 0) return;
    const summary = summarizeBatch(messages);
    await this.query('append', [
      messages.map((m) => m.msgid),
      messages.map((m) => m.time),
      messages.map((m) => m.command),
      messages.map((m) => m.conversation),
      messages.map((m) => m.target),
      messages.map((m) => m.sender),
      messages.map((m) => m.senderAccount),
      messages.map((m) => m.text),
      messages.map((m) => (m.clientTags === null ? null : JSON.stringify(m.clientTags))),
      summary.conversations.map((c) => c.conversation),
      summary.conversations.map((c) => c.target),
      summary.conversations.map((c) => c.latest),
      summary.members.map((m) => m.identity),
      summary.members.map((m) => m.conversation),
    ]);
  }

  protected async positionOf(conversation: string, msgid: string): Promise<Position | null> {
    const rows = await this.query<Position>('position', [conversation, msgid]);
    return rows[0] ?? null;
  }

  protected async page(
    conversation: string,
    lo: Position,
    hi: Position,
    limit: number,
    newest: boolean,
  ): Promise<StoredMessage[]> {
    const rows = await this.query<MessageRow>(newest ? 'newestBetween' : 'oldestBetween', [
      conversation,
      lo.time,
      lo.id,
      hi.time,
      hi.id,
      limit,
    ]);
    if (newest) rows.reverse();
    return rows.map(toMessage);
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
    const keys = roomKeys(rooms);
    if (from <= to) return this.query<ConversationSummary>('conversationsAsc', [keys, identity, from, to, n]);
    const rows = await this.query<ConversationSummary>('conversationsDesc', [keys, identity, to, from, n]);
    return rows.reverse();
  }

  async findMessage(msgid: string): Promise<StoredMessage | null> {
    const rows = await this.query<MessageRow>('findMessage', [msgid]);
    return rows[0] === undefined ? null : toMessage(rows[0]);
  }

  async prune(olderThan: number): Promise<number> {
    let total = 0;
    for (;;) {
      this.check();
      const result = await this.pool.query({
        name: 'pruneChunk',
        text: SQL.pruneChunk,
        values: [olderThan, PRUNE_CHUNK],
      });
      const deleted = result.rowCount ?? 0;
      total += deleted;
      if (deleted < PRUNE_CHUNK) break;
    }
    await this.query('pruneSummaries', [olderThan]);
    await this.events.prune(olderThan);
    return total;
  }

  // ---- reactions and redactions ----

  addReaction(reaction: StoredReaction): Promise<ReactionResult> {
    return this.events.addReaction(reaction);
  }

  removeReaction(conversation: string, to: string, identity: string, emoji: string): Promise<boolean> {
    return this.events.removeReaction(conversation, to, identity, emoji);
  }

  reactionsTo(conversation: string, msgids: readonly string[]): Promise<StoredReaction[]> {
    return this.events.reactionsTo(conversation, msgids);
  }

  findReaction(msgid: string): Promise<StoredReaction | null> {
    return this.events.findReaction(msgid);
  }

  redact(redaction: Redaction): Promise<boolean> {
    return this.events.redact(redaction);
  }

  redactions(conversation: string, from: number, to: number, limit: number): Promise<Redaction[]> {
    return this.events.redactions(conversation, from, to, limit);
  }

  addTopicChange(change: TopicChange): Promise<void> {
    return this.events.addTopicChange(change);
  }

  topicChanges(conversation: string, from: number, to: number, limit: number): Promise<TopicChange[]> {
    return this.events.topicChanges(conversation, from, to, limit);
  }

  // ---- accounts ----

  async createAccount(account: AccountRecord): Promise<boolean> {
    const rows = await this.query<{ created: number }>('createAccount', [
      ...accountParams(account),
      account.certFingerprints,
    ]);
    return (rows[0]?.created ?? 0) > 0;
  }

  async getAccount(folded: string): Promise<AccountRecord | null> {
    const rows = await this.query<AccountRow>('getAccount', [folded]);
    return rows[0] === undefined ? null : toAccount(rows[0]);
  }

  async updateAccount(account: AccountRecord): Promise<void> {
    await this.transaction(async (client) => {
      const updated = await client.query({
        name: 'updateAccount',
        text: SQL.updateAccount,
        values: accountParams(account),
      });
      if (updated.rowCount === 0) return;
      await client.query({ name: 'deleteCerts', text: SQL.deleteCerts, values: [account.folded] });
      await client.query({
        name: 'insertCerts',
        text: SQL.insertCerts,
        values: [account.folded, account.certFingerprints],
      });
    });
  }

  async findAccountByCert(fingerprint: string): Promise<AccountRecord | null> {
    const rows = await this.query<AccountRow>('accountByCert', [fingerprint]);
    return rows[0] === undefined ? null : toAccount(rows[0]);
  }

  // ---- channels ----

  async registerChannel(channel: RegisteredChannel): Promise<boolean> {
    this.check();
    const result = await this.pool.query({
      name: 'registerChannel',
      text: SQL.registerChannel,
      values: channelParams(channel),
    });
    return (result.rowCount ?? 0) > 0;
  }

  async getChannel(folded: string): Promise<RegisteredChannel | null> {
    const rows = await this.query<ChannelRow>('getChannel', [folded]);
    return rows[0] === undefined ? null : toChannel(rows[0]);
  }

  async updateChannel(channel: RegisteredChannel): Promise<void> {
    await this.query('updateChannel', channelParams(channel));
  }

  async dropChannel(folded: string): Promise<void> {
    await this.query('dropChannel', [folded]);
  }

  async listChannels(): Promise<RegisteredChannel[]> {
    const rows = await this.query<ChannelRow>('listChannels', []);
    return rows.map(toChannel);
  }

  // ---- read markers ----

  async getReadMarker(account: string, target: string): Promise<number | null> {
    const rows = await this.query<{ time: number }>('getMarker', [account, target]);
    return rows[0]?.time ?? null;
  }

  async setReadMarker(account: string, target: string, time: number): Promise<number> {
    const moved = await this.query<{ time: number }>('advanceMarker', [account, target, time]);
    if (moved[0] !== undefined) return moved[0].time;
    const rows = await this.query<{ time: number }>('getMarker', [account, target]);
    return rows[0]?.time ?? time;
  }

  // ---- uploads ----

  async addUpload(u: UploadRecord): Promise<void> {
    await this.query('insertUpload', [u.id, u.sha256, u.size, u.name, u.contentType, u.account, u.createdAt]);
  }

  async getUpload(id: string): Promise<UploadRecord | null> {
    const row = (await this.query<UploadRow>('getUpload', [id]))[0];
    return row === undefined ? null : toUpload(row);
  }

  async uploadBytesByAccount(account: string): Promise<number> {
    const rows = await this.query<{ n: number }>('uploadBytes', [account]);
    return rows[0]?.n ?? 0;
  }

  // ---- search ----

  async search(request: SearchRequest): Promise<SearchHit[]> {
    this.check();
    const b = searchBounds(request);
    // Nothing readable (a guest in no room, say): no need to ask the index.
    if (b.limit === 0 || (request.conversations.length === 0 && request.identity === null)) return [];
    const name =
      request.order === 'relevance'
        ? 'searchRelevance'
        : request.order === 'newest'
          ? 'searchNewest'
          : 'searchOldest';
    const rows = await this.query<MessageRow & { id: number; score: number }>(name, [
      toTsQuery(request.query),
      request.conversations,
      request.identity,
      b.after,
      b.before,
      request.fromNick,
      b.paged === 1,
      b.limit,
      ...(request.order === 'relevance' ? [b.score] : []),
      b.time,
      b.id,
    ]);
    return rows.map((row) => ({
      message: toMessage(row),
      score: row.score,
      position: { score: row.score, time: row.time, id: row.id },
    }));
  }

  // ---- always-on memberships (postgres-always-on.ts) ----

  async addMembership(account: string, nick: string, channel: string, name: string): Promise<void> {
    this.check();
    await alwaysOn.addMembership(this.pool, account, nick, channel, name);
  }

  async removeMembership(account: string, channel: string): Promise<void> {
    this.check();
    await alwaysOn.removeMembership(this.pool, account, channel);
  }

  async setAlwaysOn(account: string, nick: string, enabled: boolean): Promise<void> {
    await this.transaction((client) => alwaysOn.setAlwaysOn(client, account, nick, enabled));
  }

  async nickChanged(account: string, nick: string): Promise<void> {
    this.check();
    await alwaysOn.nickChanged(this.pool, account, nick);
  }

  async wentOffline(account: string, nick: string, time: number): Promise<void> {
    this.check();
    await alwaysOn.wentOffline(this.pool, account, nick, time);
  }

  async renameMemberships(channel: string, newChannel: string, newName: string): Promise<void> {
    await this.transaction((client) => alwaysOn.renameMemberships(client, channel, newChannel, newName));
  }

  async loadAlwaysOn(): Promise<AlwaysOnRecord[]> {
    this.check();
    return alwaysOn.loadAlwaysOn(this.pool);
  }

  // ---- metadata (draft/metadata-2, migration 11) ----

  async getMetadata(target: string): Promise<Array<[string, string]>> {
    const rows = await this.query<{ key: string; value: string }>('getMetadata', [target]);
    return rows.map((r) => [r.key, r.value]);
  }

  async metadataWithPrefix(prefix: string): Promise<Array<[string, string, string]>> {
    const rows = await this.query<{ target: string; key: string; value: string }>('metadataWithPrefix', [
      prefix,
    ]);
    return rows.map((r) => [r.target, r.key, r.value]);
  }

  async setMetadata(target: string, key: string, value: string | null): Promise<void> {
    if (value === null) await this.query('removeMetadata', [target, key]);
    else await this.query('setMetadata', [target, key, value]);
  }

  async clearMetadata(target: string): Promise<void> {
    await this.query('clearMetadata', [target]);
  }

  // ---- web push subscriptions ----

  async addPushSubscription(p: PushSubscriptionRecord): Promise<void> {
    await this.query('addPush', [p.endpoint, p.account, p.p256dh, p.auth, p.caps, p.createdAt]);
  }

  async removePushSubscription(endpoint: string, account: string | null): Promise<boolean> {
    this.check();
    const result = await this.pool.query({
      name: 'removePush',
      text: SQL.removePush,
      values: [endpoint, account],
    });
    return (result.rowCount ?? 0) > 0;
  }

  async pushSubscriptions(account: string): Promise<PushSubscriptionRecord[]> {
    return (await this.query<PushRow>('pushByAccount', [account])).map(toPushSubscription);
  }

  async pushAccounts(): Promise<string[]> {
    const rows = await this.query<{ account: string }>('pushAccounts', []);
    return rows.map((r) => r.account);
  }

  /** The connection settings in force (for diagnostics and tests). */
  async settings(): Promise<Record<string, string>> {
    this.check();
    const { rows } = await this.pool.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings WHERE name = ANY ($1::text[])
       UNION ALL SELECT 'current_schema', current_schema()`,
      [['synchronous_commit', 'search_path', 'server_version']],
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
