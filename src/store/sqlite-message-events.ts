/**
 * Reactions and redactions on SQLite (schema v5). These writes are rare next to messages and
 * need an answer (was the reaction new? was there anything to redact?), so they run as their
 * own short `BEGIN IMMEDIATE` transactions rather than through the group-committed append
 * path. With a writer thread (every file database) SqliteStore sends the writes there, in
 * order behind the history batches already queued, and keeps the reads on the main
 * connection; WAL with synchronous=FULL makes each durable on return.
 */
import type Database from 'better-sqlite3';
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

const parseTags = (text: string): Record<string, string> => JSON.parse(text) as Record<string, string>;

export class SqliteMessageEvents implements MessageEventStore {
  private readonly insertReaction;
  private readonly messageIn;
  private readonly deleteReaction;
  private readonly reactionsOf;
  private readonly reactionById;
  private readonly deleteMessage;
  private readonly deleteEdits;
  private readonly deleteReactionById;
  private readonly insertRedaction;
  private readonly redactionsIn;
  private readonly pruneRedactions;
  private readonly redactTx;
  private readonly insertTopic;
  private readonly topicsIn;
  private readonly pruneTopics;

  constructor(private readonly db: Database.Database) {
    this.insertReaction = db.prepare(
      `INSERT INTO reactions (${REACTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (reply_to, identity, emoji) DO NOTHING`,
    );
    this.messageIn = db.prepare<[string, string], { n: number }>(
      'SELECT 1 AS n FROM messages WHERE msgid = ? AND conversation = ?',
    );
    this.deleteReaction = db.prepare<[string, string, string, string]>(
      'DELETE FROM reactions WHERE conversation = ? AND reply_to = ? AND identity = ? AND emoji = ?',
    );
    this.reactionsOf = db.prepare<[string, string], ReactionRow<string>>(
      `SELECT ${REACTION_COLUMNS} FROM reactions
       WHERE conversation = ? AND reply_to IN (SELECT value FROM json_each(?)) ORDER BY time, id`,
    );
    this.reactionById = db.prepare<[string], ReactionRow<string>>(
      `SELECT ${REACTION_COLUMNS} FROM reactions WHERE msgid = ?`,
    );
    this.deleteMessage = db.prepare<[string, string]>(
      'DELETE FROM messages WHERE msgid = ? AND conversation = ?',
    );
    // Same expression as the messages_edits index, so the index serves it.
    this.deleteEdits = db.prepare<[string, string]>(
      `DELETE FROM messages WHERE conversation = ? AND client_tags IS NOT NULL
         AND json_extract(client_tags, '$."+draft/edit"') = ?`,
    );
    this.deleteReactionById = db.prepare<[string, string]>(
      'DELETE FROM reactions WHERE msgid = ? AND conversation = ?',
    );
    this.insertRedaction = db.prepare(
      `INSERT INTO redactions (${REDACTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.redactionsIn = db.prepare<[string, number, number, number], RedactionRow>(
      `SELECT ${REDACTION_COLUMNS} FROM redactions WHERE conversation = ? AND time >= ? AND time <= ?
       ORDER BY time, id LIMIT ?`,
    );
    this.pruneRedactions = db.prepare<[number]>('DELETE FROM redactions WHERE time < ?');
    this.insertTopic = db.prepare(
      `INSERT INTO topic_changes (${TOPIC_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.topicsIn = db.prepare<[string, number, number, number], TopicRow>(
      `SELECT ${TOPIC_COLUMNS} FROM topic_changes WHERE conversation = ? AND time >= ? AND time <= ?
       ORDER BY time, id LIMIT ?`,
    );
    this.pruneTopics = db.prepare<[number]>('DELETE FROM topic_changes WHERE time < ?');
    this.redactTx = db.transaction((r: Redaction): boolean => {
      // Reactions go with the message (ON DELETE CASCADE); edits point at it through a tag.
      const removed =
        this.deleteMessage.run(r.redacted, r.conversation).changes > 0 ||
        this.deleteReactionById.run(r.redacted, r.conversation).changes > 0;
      if (!removed) return false;
      this.deleteEdits.run(r.conversation, r.redacted);
      this.insertRedaction.run(...redactionParams(r));
      return true;
    });
  }

  async addReaction(reaction: StoredReaction): Promise<ReactionResult> {
    return this.db
      .transaction((r: StoredReaction): ReactionResult => {
        if (this.messageIn.get(r.to, r.message.conversation) === undefined) return 'unknown';
        return this.insertReaction.run(...reactionParams(r)).changes > 0 ? 'added' : 'duplicate';
      })
      .immediate(reaction);
  }

  async removeReaction(conversation: string, to: string, identity: string, emoji: string): Promise<boolean> {
    return this.deleteReaction.run(conversation, to, identity, emoji).changes > 0;
  }

  async reactionsTo(conversation: string, msgids: readonly string[]): Promise<StoredReaction[]> {
    if (msgids.length === 0) return [];
    return this.reactionsOf.all(conversation, JSON.stringify(msgids)).map((r) => toReaction(r, parseTags));
  }

  async findReaction(msgid: string): Promise<StoredReaction | null> {
    const row = this.reactionById.get(msgid);
    return row === undefined ? null : toReaction(row, parseTags);
  }

  async redact(redaction: Redaction): Promise<boolean> {
    return this.redactTx.immediate(redaction);
  }

  async redactions(conversation: string, from: number, to: number, limit: number): Promise<Redaction[]> {
    if (limit < 1) return [];
    return this.redactionsIn.all(conversation, from, to, Math.floor(limit)).map(toRedaction);
  }

  async addTopicChange(change: TopicChange): Promise<void> {
    this.insertTopic.run(...topicParams(change));
  }

  async topicChanges(conversation: string, from: number, to: number, limit: number): Promise<TopicChange[]> {
    if (limit < 1) return [];
    return this.topicsIn.all(conversation, from, to, Math.floor(limit)).map(toTopicChange);
  }

  /** Tombstones and topic changes older than the time go with the messages around them. */
  prune(olderThan: number): void {
    this.pruneRedactions.run(olderThan);
    this.pruneTopics.run(olderThan);
  }
}
