/**
 * Reactions and redactions on PostgreSQL (schema v5). Each write is one statement (an
 * implicit transaction, durable with synchronous_commit=on) except redaction, which deletes
 * the message, its edits and records the tombstone in one explicit transaction.
 */
import type pg from 'pg';
import {
  REACTION_COLUMNS,
  REDACTION_COLUMNS,
  type ReactionRow,
  type RedactionRow,
  reactionParams,
  redactionParams,
  TOPIC_COLUMNS,
  type TopicRow,
  topicParams,
  toReaction,
  toRedaction,
  toTopicChange,
} from './message-event-rows.js';
import type { MessageEventStore, ReactionResult, Redaction, StoredReaction, TopicChange } from './store.js';

const asTags = (value: unknown): Record<string, string> => value as Record<string, string>;

const SQL = {
  // One statement: whether the message is there, and the insert if it is.
  addReaction: `
    WITH parent AS (SELECT 1 FROM messages WHERE msgid = $2 AND conversation = $3),
    inserted AS (
      INSERT INTO reactions (${REACTION_COLUMNS})
      SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb FROM parent
      ON CONFLICT (reply_to, identity, emoji) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM parent)::int AS parent, (SELECT count(*) FROM inserted)::int AS inserted`,
  removeReaction: `DELETE FROM reactions
    WHERE conversation = $1 AND reply_to = $2 AND identity = $3 AND emoji = $4`,
  reactionsTo: `SELECT ${REACTION_COLUMNS} FROM reactions
    WHERE conversation = $1 AND reply_to = ANY($2::text[]) ORDER BY time, id`,
  findReaction: `SELECT ${REACTION_COLUMNS} FROM reactions WHERE msgid = $1`,
  deleteMessage: 'DELETE FROM messages WHERE msgid = $1 AND conversation = $2',
  deleteReaction: 'DELETE FROM reactions WHERE msgid = $1 AND conversation = $2',
  // Same expressions as the messages_edits index.
  deleteEdits: `DELETE FROM messages WHERE conversation = $1 AND client_tags ? '+draft/edit'
    AND client_tags ->> '+draft/edit' = $2`,
  insertRedaction: `INSERT INTO redactions (${REDACTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  redactions: `SELECT ${REDACTION_COLUMNS} FROM redactions
    WHERE conversation = $1 AND time >= $2 AND time <= $3 ORDER BY time, id LIMIT $4`,
  pruneRedactions: 'DELETE FROM redactions WHERE time < $1',
  insertTopic: `INSERT INTO topic_changes (${TOPIC_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  topicChanges: `SELECT ${TOPIC_COLUMNS} FROM topic_changes
    WHERE conversation = $1 AND time >= $2 AND time <= $3 ORDER BY time, id LIMIT $4`,
  pruneTopics: 'DELETE FROM topic_changes WHERE time < $1',
} as const;

export class PostgresMessageEvents implements MessageEventStore {
  constructor(
    private readonly pool: pg.Pool,
    /** Throws when the store is closed. */
    private readonly check: () => void,
  ) {}

  private async query<R extends pg.QueryResultRow>(
    name: keyof typeof SQL,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    this.check();
    return this.pool.query<R>({ name: `events.${name}`, text: SQL[name], values });
  }

  async addReaction(reaction: StoredReaction): Promise<ReactionResult> {
    const { rows } = await this.query<{ parent: number; inserted: number }>(
      'addReaction',
      reactionParams(reaction),
    );
    const row = rows[0]!;
    if (row.parent === 0) return 'unknown';
    return row.inserted > 0 ? 'added' : 'duplicate';
  }

  async removeReaction(conversation: string, to: string, identity: string, emoji: string): Promise<boolean> {
    const result = await this.query('removeReaction', [conversation, to, identity, emoji]);
    return (result.rowCount ?? 0) > 0;
  }

  async reactionsTo(conversation: string, msgids: readonly string[]): Promise<StoredReaction[]> {
    if (msgids.length === 0) return [];
    const { rows } = await this.query<ReactionRow<unknown>>('reactionsTo', [conversation, [...msgids]]);
    return rows.map((r) => toReaction(r, asTags));
  }

  async findReaction(msgid: string): Promise<StoredReaction | null> {
    const { rows } = await this.query<ReactionRow<unknown>>('findReaction', [msgid]);
    return rows[0] === undefined ? null : toReaction(rows[0], asTags);
  }

  async redact(r: Redaction): Promise<boolean> {
    this.check();
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const run = (name: keyof typeof SQL, values: unknown[]) =>
        client.query({ name: `events.${name}`, text: SQL[name], values });
      let removed = ((await run('deleteMessage', [r.redacted, r.conversation])).rowCount ?? 0) > 0;
      if (!removed) removed = ((await run('deleteReaction', [r.redacted, r.conversation])).rowCount ?? 0) > 0;
      if (removed) {
        await run('deleteEdits', [r.conversation, r.redacted]);
        await run('insertRedaction', redactionParams(r));
      }
      await client.query('COMMIT');
      return removed;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async redactions(conversation: string, from: number, to: number, limit: number): Promise<Redaction[]> {
    if (limit < 1) return [];
    const { rows } = await this.query<RedactionRow>('redactions', [
      conversation,
      from,
      to,
      Math.floor(limit),
    ]);
    return rows.map(toRedaction);
  }

  async addTopicChange(change: TopicChange): Promise<void> {
    await this.query('insertTopic', topicParams(change));
  }

  async topicChanges(conversation: string, from: number, to: number, limit: number): Promise<TopicChange[]> {
    if (limit < 1) return [];
    const { rows } = await this.query<TopicRow>('topicChanges', [conversation, from, to, Math.floor(limit)]);
    return rows.map(toTopicChange);
  }

  async prune(olderThan: number): Promise<void> {
    await this.query('pruneRedactions', [olderThan]);
    await this.query('pruneTopics', [olderThan]);
  }
}
