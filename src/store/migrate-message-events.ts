/**
 * Schema v5: reactions and redactions (docs/MESSAGE-FEATURES.md).
 *
 * - `reactions`: one row per (message, identity, emoji), so a duplicate reaction is refused
 *   by the database itself and an unreact deletes exactly one row. Rows go with the message
 *   they belong to (ON DELETE CASCADE), so pruning and redaction take them along.
 * - `redactions`: tombstones of redacted messages: who removed which msgid, when, and the
 *   reason given; never the text.
 * - an index on the `+draft/edit` client tag, so a redaction finds the message's edits.
 *
 * Up to v4 a reaction was stored as an ordinary TAGMSG in `messages`. The migration replays
 * those react/unreact TAGMSGs in order, moves the reactions still current into `reactions`
 * (dropping those to messages no longer stored), and deletes the TAGMSGs, so history does
 * not return them twice. Guests' identities were not stored then; a legacy guest reaction
 * counts under its sender mask.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { foldCase } from '../protocol/casemapping.js';
import { REACTION_COLUMNS, reactionParams } from './message-event-rows.js';

const SQLITE_TABLES = `
  CREATE TABLE reactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msgid TEXT NOT NULL UNIQUE,
    reply_to TEXT NOT NULL REFERENCES messages (msgid) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    identity TEXT NOT NULL,
    emoji TEXT NOT NULL,
    time INTEGER NOT NULL,
    target TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_account TEXT,
    client_tags TEXT NOT NULL,
    UNIQUE (reply_to, identity, emoji)
  ) STRICT;
  CREATE TABLE redactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    msgid TEXT NOT NULL UNIQUE,
    redacted TEXT NOT NULL,
    conversation TEXT NOT NULL,
    target TEXT NOT NULL,
    time INTEGER NOT NULL,
    sender TEXT NOT NULL,
    sender_account TEXT,
    reason TEXT
  ) STRICT;
  CREATE INDEX redactions_conversation_time ON redactions (conversation, time, id);
  CREATE INDEX redactions_time ON redactions (time);
  CREATE INDEX messages_edits ON messages (conversation, json_extract(client_tags, '$."+draft/edit"'))
    WHERE client_tags IS NOT NULL;
`;

const POSTGRES_TABLES = `
  CREATE TABLE reactions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    msgid TEXT NOT NULL UNIQUE,
    reply_to TEXT NOT NULL REFERENCES messages (msgid) ON DELETE CASCADE,
    conversation TEXT NOT NULL,
    identity TEXT NOT NULL,
    emoji TEXT NOT NULL,
    time BIGINT NOT NULL,
    target TEXT NOT NULL,
    sender TEXT NOT NULL,
    sender_account TEXT,
    client_tags JSONB NOT NULL,
    UNIQUE (reply_to, identity, emoji)
  );
  CREATE TABLE redactions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    msgid TEXT NOT NULL UNIQUE,
    redacted TEXT NOT NULL,
    conversation TEXT NOT NULL,
    target TEXT NOT NULL,
    time BIGINT NOT NULL,
    sender TEXT NOT NULL,
    sender_account TEXT,
    reason TEXT
  );
  CREATE INDEX redactions_conversation_time ON redactions (conversation, time, id);
  CREATE INDEX redactions_time ON redactions (time);
  CREATE INDEX messages_edits ON messages (conversation, (client_tags ->> '+draft/edit'))
    WHERE client_tags ? '+draft/edit';
`;

/** A v4 react/unreact TAGMSG row. */
interface LegacyRow {
  id: number;
  msgid: string;
  time: number;
  conversation: string;
  target: string;
  sender: string;
  sender_account: string | null;
  tags: Record<string, string>;
}

interface LegacyReaction {
  row: LegacyRow;
  to: string;
  identity: string;
  emoji: string;
}

/** Applies react/unreact TAGMSGs in order; what is left is current. */
export function currentLegacyReactions(rows: readonly LegacyRow[]): LegacyReaction[] {
  const current = new Map<string, LegacyReaction>();
  for (const row of rows) {
    const to = row.tags['+draft/reply'] ?? row.tags['+reply'];
    if (to === undefined || to === '') continue;
    const identity = row.sender_account !== null ? 'a:' + foldCase(row.sender_account) : 'g:' + row.sender;
    const react = row.tags['+draft/react'];
    const unreact = row.tags['+draft/unreact'];
    if (react !== undefined && react !== '') {
      const key = JSON.stringify([to, identity, react]);
      if (!current.has(key)) current.set(key, { row, to, identity, emoji: react });
    } else if (unreact !== undefined && unreact !== '') {
      current.delete(JSON.stringify([to, identity, unreact]));
    }
  }
  return [...current.values()];
}

/** A legacy reaction as the parameters of an INSERT INTO reactions (reactionParams). */
function legacyReactionParams(r: LegacyReaction): unknown[] {
  const m = r.row;
  return reactionParams({
    message: {
      msgid: m.msgid,
      time: m.time,
      command: 'TAGMSG',
      conversation: m.conversation,
      target: m.target,
      sender: m.sender,
      senderAccount: m.sender_account,
      text: null,
      clientTags: m.tags,
    },
    to: r.to,
    identity: r.identity,
    emoji: r.emoji,
  });
}

const LEGACY_SELECT = `SELECT id, msgid, time, conversation, target, sender, sender_account, client_tags
  FROM messages WHERE command = 'TAGMSG' AND client_tags IS NOT NULL`;

function isReactionTags(tags: Record<string, string>): boolean {
  return '+draft/react' in tags || '+draft/unreact' in tags;
}

export function migrateSqliteV5(db: BetterSqlite3.Database): void {
  db.exec(SQLITE_TABLES);
  const rows = db
    .prepare<[], Omit<LegacyRow, 'tags'> & { client_tags: string }>(`${LEGACY_SELECT} ORDER BY time, id`)
    .all()
    .map((r) => ({ ...r, tags: JSON.parse(r.client_tags) as Record<string, string> }))
    .filter((r) => isReactionTags(r.tags));
  if (rows.length === 0) return;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO reactions (${REACTION_COLUMNS})
     SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM messages WHERE msgid = ? AND conversation = ?)`,
  );
  for (const r of currentLegacyReactions(rows)) {
    insert.run(...legacyReactionParams(r), r.to, r.row.conversation);
  }
  const remove = db.prepare<[number]>('DELETE FROM messages WHERE id = ?');
  for (const r of rows) remove.run(r.id);
}

export async function migratePostgresV5(client: pg.ClientBase): Promise<void> {
  await client.query(POSTGRES_TABLES);
  const { rows: found } = await client.query<
    Omit<LegacyRow, 'tags' | 'id' | 'time'> & {
      id: string;
      time: string;
      client_tags: Record<string, string>;
    }
  >(
    `${LEGACY_SELECT} AND (client_tags ? '+draft/react' OR client_tags ? '+draft/unreact') ORDER BY time, id`,
  );
  if (found.length === 0) return;
  // This client's pool parses BIGINT as numbers, a bare client may not: normalise.
  const rows: LegacyRow[] = found.map((r) => ({
    ...r,
    id: Number(r.id),
    time: Number(r.time),
    tags: r.client_tags,
  }));
  for (const r of currentLegacyReactions(rows)) {
    await client.query(
      `INSERT INTO reactions (${REACTION_COLUMNS})
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb
       WHERE EXISTS (SELECT 1 FROM messages WHERE msgid = $2 AND conversation = $3)
       ON CONFLICT DO NOTHING`,
      legacyReactionParams(r),
    );
  }
  await client.query('DELETE FROM messages WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
}
