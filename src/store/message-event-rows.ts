/**
 * Rows of the v5 tables (reactions, redactions) and of v10's topic_changes as both SQL back
 * ends select them, and their conversion to records; JSON columns differ per back end as in
 * common.ts.
 */
import type { Redaction, StoredReaction, TopicChange } from './store.js';

export const TOPIC_COLUMNS = 'msgid, conversation, target, time, sender, sender_account, text';

export interface TopicRow {
  msgid: string;
  conversation: string;
  target: string;
  time: number | string;
  sender: string;
  sender_account: string | null;
  text: string;
}

export function toTopicChange(row: TopicRow): TopicChange {
  return {
    msgid: row.msgid,
    conversation: row.conversation,
    target: row.target,
    time: Number(row.time),
    sender: row.sender,
    senderAccount: row.sender_account,
    text: row.text,
  };
}

/** The parameters of an INSERT INTO topic_changes (TOPIC_COLUMNS order). */
export function topicParams(t: TopicChange): unknown[] {
  return [t.msgid, t.conversation, t.target, t.time, t.sender, t.senderAccount, t.text];
}

export const REACTION_COLUMNS =
  'msgid, reply_to, conversation, identity, emoji, time, target, sender, sender_account, client_tags';

export const REDACTION_COLUMNS =
  'msgid, redacted, conversation, target, time, sender, sender_account, reason';

export interface ReactionRow<J> {
  msgid: string;
  reply_to: string;
  conversation: string;
  identity: string;
  emoji: string;
  time: number;
  target: string;
  sender: string;
  sender_account: string | null;
  client_tags: J;
}

export interface RedactionRow {
  msgid: string;
  redacted: string;
  conversation: string;
  target: string;
  time: number;
  sender: string;
  sender_account: string | null;
  reason: string | null;
}

export function toReaction<J>(
  row: ReactionRow<J>,
  json: (value: J) => Record<string, string>,
): StoredReaction {
  return {
    message: {
      msgid: row.msgid,
      time: Number(row.time),
      command: 'TAGMSG',
      conversation: row.conversation,
      target: row.target,
      sender: row.sender,
      senderAccount: row.sender_account,
      text: null,
      clientTags: json(row.client_tags),
    },
    to: row.reply_to,
    identity: row.identity,
    emoji: row.emoji,
  };
}

export function toRedaction(row: RedactionRow): Redaction {
  return {
    msgid: row.msgid,
    redacted: row.redacted,
    conversation: row.conversation,
    target: row.target,
    time: Number(row.time),
    sender: row.sender,
    senderAccount: row.sender_account,
    reason: row.reason,
  };
}

/** The parameters of an INSERT INTO reactions (REACTION_COLUMNS order), JSON as text. */
export function reactionParams(r: StoredReaction): unknown[] {
  const m = r.message;
  return [
    m.msgid,
    r.to,
    m.conversation,
    r.identity,
    r.emoji,
    m.time,
    m.target,
    m.sender,
    m.senderAccount,
    JSON.stringify(m.clientTags ?? {}),
  ];
}

/** The parameters of an INSERT INTO redactions (REDACTION_COLUMNS order). */
export function redactionParams(r: Redaction): unknown[] {
  return [r.msgid, r.redacted, r.conversation, r.target, r.time, r.sender, r.senderAccount, r.reason];
}
