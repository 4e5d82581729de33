/**
 * Versioned schema migrations for both storage back ends.
 *
 * `migrations` is an ordered list; entry N takes the schema from version N-1 to N. Each one
 * has the same meaning in both dialects and runs in its own transaction together with the
 * row that records it in `schema_version`, so a crash leaves the database at a whole
 * version. The schema only ever moves forward: a migration once released is never edited,
 * a change is a new entry at the end.
 *
 *   v1  messages (history) and accounts
 *   v2  account_certs (SASL EXTERNAL), channels (registered rooms) and read_markers
 *   v3  conversation summaries for CHATHISTORY TARGETS (conversations, conversation_members,
 *       filled from the messages already stored) and an index on messages.time for pruning
 *   v4  uploads (file metadata)
 *   v5  reactions and redaction tombstones; stored react TAGMSGs move to reactions
 *       (migrate-message-events.ts)
 *   v6  full-text search over message text (filled from the history already stored) and
 *       Web Push subscriptions
 *   v7  SQLite: the search index is filled after the commit, not by an insert trigger
 *       (search_index_state holds how far it has got); PostgreSQL: nothing
 *   v8  always-on people: per-account switch, nick and rooms
 *   v9  registered rooms' ban exceptions and invite exceptions (channels columns)
 *   v10 topic changes kept in history (topic_changes, draft/event-playback)
 *   v11 metadata (IRCv3 draft/metadata-2) of accounts
 *
 * Opening a store runs every pending migration (`migrateSqlite` / `migratePostgres`); tests
 * stop at an earlier version with the `target` argument to check upgrades with data in place.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { migratePostgresV5, migrateSqliteV5 } from './migrate-message-events.js';

type SqliteDb = BetterSqlite3.Database;

export interface Migration {
  version: number;
  description: string;
  /** Statements for SQLite (run with `exec`), or a function run inside the transaction. */
  sqlite: string | ((db: SqliteDb) => void);
  /** Statements for PostgreSQL (one simple query), or a function run inside the transaction. */
  postgres: string | ((client: pg.ClientBase) => Promise<void>);
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    description: 'messages and accounts',
    sqlite: `
      CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        msgid TEXT NOT NULL UNIQUE,
        time INTEGER NOT NULL,
        command TEXT NOT NULL CHECK (command IN ('PRIVMSG', 'NOTICE', 'TAGMSG')),
        conversation TEXT NOT NULL,
        target TEXT NOT NULL,
        sender TEXT NOT NULL,
        sender_account TEXT,
        text TEXT,
        client_tags TEXT
      ) STRICT;
      CREATE INDEX messages_conversation_time ON messages (conversation, time, id);
      CREATE TABLE accounts (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        scram_salt TEXT,
        scram_iterations INTEGER,
        scram_stored_key TEXT,
        scram_server_key TEXT,
        email TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
    postgres: `
      CREATE TABLE messages (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        msgid TEXT NOT NULL UNIQUE,
        time BIGINT NOT NULL,
        command TEXT NOT NULL CHECK (command IN ('PRIVMSG', 'NOTICE', 'TAGMSG')),
        conversation TEXT NOT NULL,
        target TEXT NOT NULL,
        sender TEXT NOT NULL,
        sender_account TEXT,
        text TEXT,
        client_tags JSONB
      );
      CREATE INDEX messages_conversation_time ON messages (conversation, time, id);
      CREATE TABLE accounts (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        scram_salt TEXT,
        scram_iterations INTEGER,
        scram_stored_key TEXT,
        scram_server_key TEXT,
        email TEXT,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 2,
    description: 'account certificates, registered channels, read markers',
    sqlite: `
      CREATE TABLE account_certs (
        fingerprint TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts (folded) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX account_certs_account ON account_certs (account);
      CREATE TABLE channels (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        founder TEXT NOT NULL,
        registered_at INTEGER NOT NULL,
        topic_text TEXT,
        topic_set_by TEXT,
        topic_set_at INTEGER,
        modes TEXT NOT NULL DEFAULT '[]',
        operators TEXT NOT NULL DEFAULT '[]',
        bans TEXT NOT NULL DEFAULT '[]'
      ) STRICT;
      CREATE TABLE read_markers (
        account TEXT NOT NULL,
        target TEXT NOT NULL,
        time INTEGER NOT NULL,
        PRIMARY KEY (account, target)
      ) STRICT;
    `,
    postgres: `
      CREATE TABLE account_certs (
        fingerprint TEXT PRIMARY KEY,
        account TEXT NOT NULL REFERENCES accounts (folded) ON DELETE CASCADE
      );
      CREATE INDEX account_certs_account ON account_certs (account);
      CREATE TABLE channels (
        folded TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        founder TEXT NOT NULL,
        registered_at BIGINT NOT NULL,
        topic_text TEXT,
        topic_set_by TEXT,
        topic_set_at BIGINT,
        modes JSONB NOT NULL DEFAULT '[]',
        operators JSONB NOT NULL DEFAULT '[]',
        bans JSONB NOT NULL DEFAULT '[]'
      );
      CREATE TABLE read_markers (
        account TEXT NOT NULL,
        target TEXT NOT NULL,
        time BIGINT NOT NULL,
        PRIMARY KEY (account, target)
      );
    `,
  },
  {
    version: 3,
    description: 'conversation summaries for TARGETS; time index for pruning',
    sqlite: `
      CREATE TABLE conversations (
        conversation TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        latest INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX conversations_latest ON conversations (latest);
      CREATE TABLE conversation_members (
        identity TEXT NOT NULL,
        conversation TEXT NOT NULL,
        PRIMARY KEY (identity, conversation)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX messages_time ON messages (time);
      INSERT INTO conversations (conversation, target, latest)
        SELECT conversation, target, time FROM (
          SELECT conversation, target, time,
                 row_number() OVER (PARTITION BY conversation ORDER BY time DESC, id DESC) AS rn
          FROM messages
        ) WHERE rn = 1;
      INSERT OR IGNORE INTO conversation_members (identity, conversation)
        SELECT substr(conversation, 4, instr(conversation, ' ') - 4), conversation
        FROM conversations WHERE substr(conversation, 1, 3) = 'dm:' AND instr(conversation, ' ') > 0
        UNION ALL
        SELECT substr(conversation, instr(conversation, ' ') + 1), conversation
        FROM conversations WHERE substr(conversation, 1, 3) = 'dm:' AND instr(conversation, ' ') > 0;
    `,
    postgres: `
      CREATE TABLE conversations (
        conversation TEXT PRIMARY KEY,
        target TEXT NOT NULL,
        latest BIGINT NOT NULL
      );
      CREATE INDEX conversations_latest ON conversations (latest);
      CREATE TABLE conversation_members (
        identity TEXT NOT NULL,
        conversation TEXT NOT NULL,
        PRIMARY KEY (identity, conversation)
      );
      CREATE INDEX messages_time ON messages (time);
      INSERT INTO conversations (conversation, target, latest)
        SELECT conversation, target, time FROM (
          SELECT conversation, target, time,
                 row_number() OVER (PARTITION BY conversation ORDER BY time DESC, id DESC) AS rn
          FROM messages
        ) AS ranked WHERE rn = 1;
      INSERT INTO conversation_members (identity, conversation)
        SELECT split_part(substr(conversation, 4), ' ', 1), conversation
        FROM conversations WHERE left(conversation, 3) = 'dm:' AND strpos(conversation, ' ') > 0
        UNION
        SELECT substr(conversation, strpos(conversation, ' ') + 1), conversation
        FROM conversations WHERE left(conversation, 3) = 'dm:' AND strpos(conversation, ' ') > 0
        ON CONFLICT DO NOTHING;
    `,
  },
  {
    version: 4,
    description: 'uploaded files (metadata; the bytes live in data-dir/uploads by SHA-256)',
    sqlite: `
      CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        account TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX uploads_account ON uploads (account);
      CREATE INDEX uploads_sha256 ON uploads (sha256);
    `,
    postgres: `
      CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        account TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX uploads_account ON uploads (account);
      CREATE INDEX uploads_sha256 ON uploads (sha256);
    `,
  },
  {
    version: 5,
    description: 'reactions and redactions (replies, reactions, edits, deletion)',
    sqlite: migrateSqliteV5,
    postgres: migratePostgresV5,
  },
  {
    version: 6,
    description: 'full-text search over message text; Web Push subscriptions',
    // SQLite: an FTS5 index over messages.text (external content: the text is not stored
    // twice), kept in step by triggers, so whatever inserts, deletes (prune) or rewrites or
    // blanks text (redaction, edits) keeps the index true. unicode61 with
    // remove_diacritics 2 folds case and accents like protocol/search-query.ts foldText.
    // 'rebuild' indexes the history already stored.
    sqlite: `
      CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.text IS NOT NULL BEGIN
        INSERT INTO messages_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.text IS NOT NULL BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
          SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
        INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
      END;
      INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
      CREATE TABLE webpush_subscriptions (
        endpoint TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        caps INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX webpush_subscriptions_account ON webpush_subscriptions (account);
    `,
    // PostgreSQL: a GIN expression index, no stored column, so the migration builds an index
    // instead of rewriting the whole messages table, and history is not stored twice. The
    // 'simple' configuration (lowercase, no stemming, no stop words) because chats mix
    // languages: stemming for one language mangles the others, and a stop-word list would
    // make "no" or "the" unsearchable. tertulia_search_text folds accents and turns every
    // non-alphanumeric run into a space first, so words split exactly where FTS5 splits them
    // (the default parser would keep alice@example.com or a URL as one token).
    postgres: `
      CREATE FUNCTION tertulia_search_text(t text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        AS $$ SELECT lower(regexp_replace(
          normalize(regexp_replace(normalize(t, NFD), '[\\u0300-\\u036f]+', '', 'g'), NFC),
          '[^[:alnum:]]+', ' ', 'g')) $$;
      CREATE INDEX messages_search ON messages
        USING GIN (to_tsvector('simple'::regconfig, tertulia_search_text(text)));
      CREATE TABLE webpush_subscriptions (
        endpoint TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        p256dh TEXT NOT NULL,
        auth TEXT NOT NULL,
        caps INTEGER NOT NULL,
        created_at BIGINT NOT NULL
      );
      CREATE INDEX webpush_subscriptions_account ON webpush_subscriptions (account);
    `,
  },
  {
    version: 7,
    description: 'search index filled after the commit (SQLite)',
    // SQLite: the FTS5 insert trigger cost more CPU per message than the INSERT itself, on the
    // durable write path. Messages are now indexed in chunks after they are committed
    // (sqlite.ts indexPending); search_index_state.indexed_to is the highest messages.id
    // the index covers, and rows above it are not in the index yet. The delete and update
    // triggers touch the index only for rows at or below it: an FTS5 'delete' for a row that
    // was never indexed corrupts the index, and the chunk that indexes a row later reads its
    // text as it is then. ids only grow (AUTOINCREMENT), so no row ever appears below the
    // mark unindexed. v6's rebuild and insert trigger indexed everything up to now.
    sqlite: `
      DROP TRIGGER messages_fts_insert;
      DROP TRIGGER messages_fts_delete;
      DROP TRIGGER messages_fts_update;
      CREATE TABLE search_index_state (
        one INTEGER PRIMARY KEY CHECK (one = 1),
        indexed_to INTEGER NOT NULL
      ) STRICT;
      INSERT INTO search_index_state (one, indexed_to) SELECT 1, coalesce(max(id), 0) FROM messages;
      CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
        WHEN old.text IS NOT NULL AND old.id <= (SELECT indexed_to FROM search_index_state) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;
      CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
        WHEN old.id <= (SELECT indexed_to FROM search_index_state) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
          SELECT 'delete', old.id, old.text WHERE old.text IS NOT NULL;
        INSERT INTO messages_fts (rowid, text) SELECT new.id, new.text WHERE new.text IS NOT NULL;
      END;
    `,
    // PostgreSQL's GIN index is maintained by the INSERT itself and costs far less; nothing
    // changes there.
    postgres: 'SELECT 1',
  },
  {
    version: 8,
    description: 'always-on people: per-account switch, nick and rooms (memberships)',
    // always_on: one row per account that has been always-on or turned it off (enabled 0);
    // nick is the nick it had when it last joined a room or went offline. always_on_rooms:
    // the rooms an always-on person is in (folded key, and the name as the room spells it),
    // written on JOIN, PART and KICK only, never per message. Both go with the account.
    sqlite: `
      CREATE TABLE always_on (
        account TEXT PRIMARY KEY REFERENCES accounts (folded) ON DELETE CASCADE,
        nick TEXT NOT NULL,
        enabled INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE always_on_rooms (
        account TEXT NOT NULL REFERENCES always_on (account) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (account, channel)
      ) STRICT, WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE always_on (
        account TEXT PRIMARY KEY REFERENCES accounts (folded) ON DELETE CASCADE,
        nick TEXT NOT NULL,
        enabled BOOLEAN NOT NULL
      );
      CREATE TABLE always_on_rooms (
        account TEXT NOT NULL REFERENCES always_on (account) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (account, channel)
      );
    `,
  },
  {
    version: 9,
    description: 'registered rooms keep their ban exceptions (+e) and invite exceptions (+I)',
    // The same shape as bans: a JSON list of { mask, setBy, setAt }, empty for every room
    // registered before (none could have kept any).
    sqlite: `
      ALTER TABLE channels ADD COLUMN exceptions TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE channels ADD COLUMN invite_exceptions TEXT NOT NULL DEFAULT '[]';
    `,
    postgres: `
      ALTER TABLE channels ADD COLUMN exceptions JSONB NOT NULL DEFAULT '[]';
      ALTER TABLE channels ADD COLUMN invite_exceptions JSONB NOT NULL DEFAULT '[]';
    `,
  },
  {
    version: 10,
    description: 'topic changes kept in history (draft/event-playback)',
    // A room's TOPIC lines as sent: who, when, the text and the msgid, replayed among its
    // messages to clients with draft/event-playback. Apart from messages, like redactions,
    // so a page of N messages is N messages, and pruned with them.
    sqlite: `
      CREATE TABLE topic_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        msgid TEXT NOT NULL UNIQUE,
        conversation TEXT NOT NULL,
        target TEXT NOT NULL,
        time INTEGER NOT NULL,
        sender TEXT NOT NULL,
        sender_account TEXT,
        text TEXT NOT NULL
      ) STRICT;
      CREATE INDEX topic_changes_conversation_time ON topic_changes (conversation, time, id);
      CREATE INDEX topic_changes_time ON topic_changes (time);
    `,
    postgres: `
      CREATE TABLE topic_changes (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        msgid TEXT NOT NULL UNIQUE,
        conversation TEXT NOT NULL,
        target TEXT NOT NULL,
        time BIGINT NOT NULL,
        sender TEXT NOT NULL,
        sender_account TEXT,
        text TEXT NOT NULL
      );
      CREATE INDEX topic_changes_conversation_time ON topic_changes (conversation, time, id);
      CREATE INDEX topic_changes_time ON topic_changes (time);
    `,
  },
  {
    version: 11,
    description: 'metadata (draft/metadata-2) of accounts',
    // One row per key of a target: `a:<folded account>` (core/metadata.ts metadataTarget; the
    // `c:` prefix is kept for registered rooms, not stored yet). Keys are lowercase by the spec's
    // grammar, so the primary key needs no folding. Read once per login, written per SET.
    sqlite: `
      CREATE TABLE metadata (
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (target, key)
      ) STRICT, WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE metadata (
        target TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (target, key)
      );
    `,
  },
];

/** The schema version this build of tertulia writes. */
export const LATEST_VERSION: number = migrations[migrations.length - 1]!.version;

function checkTarget(target: number): void {
  if (!Number.isInteger(target) || target < 0 || target > LATEST_VERSION) {
    throw new RangeError(`migration target ${target} is not between 0 and ${LATEST_VERSION}`);
  }
}

function tooNew(found: number): Error {
  return new Error(
    `the database schema is at version ${found}, newer than this tertulia knows (${LATEST_VERSION}); ` +
      'upgrade tertulia or point it at another database',
  );
}

/**
 * Brings an SQLite database up to `target` (default: the latest version); returns the version
 * it is at afterwards. Each migration runs in a `BEGIN IMMEDIATE` transaction that re-reads the
 * version first, so two processes opening the same file at once do not both apply it.
 */
export function migrateSqlite(db: SqliteDb, target: number = LATEST_VERSION): number {
  checkTarget(target);
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT',
  );
  const current = db.prepare<[], { v: number | null }>('SELECT max(version) AS v FROM schema_version');
  const record = db.prepare<[number, number]>(
    'INSERT INTO schema_version (version, applied_at) VALUES (?, ?)',
  );
  for (const migration of migrations) {
    if (migration.version > target) break;
    const step = db.transaction(() => {
      const at = current.get()?.v ?? 0;
      if (at >= migration.version) return;
      if (at !== migration.version - 1) throw new Error(`schema_version ${at} skips a migration`);
      if (typeof migration.sqlite === 'string') db.exec(migration.sqlite);
      else migration.sqlite(db);
      record.run(migration.version, Date.now());
    });
    step.immediate();
  }
  const found = current.get()?.v ?? 0;
  if (found > LATEST_VERSION) throw tooNew(found);
  return found;
}

/**
 * Brings a PostgreSQL schema (the first on the connection's search_path) up to `target`.
 * Each migration runs in its own transaction under an advisory lock keyed by the schema name,
 * so several tertulia nodes starting together migrate once.
 */
export async function migratePostgres(
  client: pg.ClientBase,
  target: number = LATEST_VERSION,
): Promise<number> {
  checkTarget(target);
  const lock = "SELECT pg_advisory_xact_lock(hashtext('tertulia-migrate:' || current_schema()))";
  const readVersion = async (): Promise<number> => {
    const { rows } = await client.query<{ v: string | null }>(
      'SELECT max(version)::text AS v FROM schema_version',
    );
    return Number(rows[0]?.v ?? 0);
  };
  const inTransaction = async <T>(fn: () => Promise<T>): Promise<T> => {
    await client.query('BEGIN');
    try {
      await client.query(lock);
      const result = await fn();
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  };
  const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  if (rows[0]?.schema == null) throw new Error('no schema on the search_path exists');
  await inTransaction(() =>
    client.query(
      'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
    ),
  );
  for (const migration of migrations) {
    if (migration.version > target) break;
    await inTransaction(async () => {
      const at = await readVersion();
      if (at >= migration.version) return;
      if (at !== migration.version - 1) throw new Error(`schema_version ${at} skips a migration`);
      if (typeof migration.postgres === 'string') await client.query(migration.postgres);
      else await migration.postgres(client);
      await client.query('INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)', [
        migration.version,
        Date.now(),
      ]);
    });
  }
  const found = await readVersion();
  if (found > LATEST_VERSION) throw tooNew(found);
  return found;
}
