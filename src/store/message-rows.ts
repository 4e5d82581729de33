/**
 * History rows in the flat form the SQLite writer thread takes: one array holding the
 * MESSAGE_COLUMNS of every message one after another, sent across threads as one JSON
 * string. Posting an array of message objects to a worker structured-clones every object and
 * string separately, which profiles showed as the main thread's largest single cost under
 * load (postMessage and the garbage it leaves: a third of the thread). One string crosses in
 * one copy, and V8's JSON fast paths for flat arrays of strings and numbers are cheap on
 * both sides.
 */
import type { StoredMessage } from './store.js';

export type RowValue = string | number | null;

/** Values per message, in MESSAGE_COLUMNS order. */
export const ROW_WIDTH = 9;

/** Appends `messages` to `out` as flat rows (MESSAGE_COLUMNS order). */
export function toRows(messages: readonly StoredMessage[], out: RowValue[] = []): RowValue[] {
  for (const m of messages) {
    out.push(
      m.msgid,
      m.time,
      m.command,
      m.conversation,
      m.target,
      m.sender,
      m.senderAccount,
      m.text,
      m.clientTags === null ? null : JSON.stringify(m.clientTags),
    );
  }
  return out;
}

export function encodeRows(messages: readonly StoredMessage[]): string {
  return JSON.stringify(toRows(messages));
}

export function decodeRows(encoded: string): RowValue[] {
  const rows: unknown = JSON.parse(encoded);
  if (!Array.isArray(rows) || rows.length % ROW_WIDTH !== 0) {
    throw new Error('malformed history batch');
  }
  return rows as RowValue[];
}

/** What summarizeBatch needs of each row (conversation, target spelling, time). */
export function rowHeads(
  rows: readonly RowValue[],
): Array<{ conversation: string; target: string; time: number }> {
  const heads: Array<{ conversation: string; target: string; time: number }> = [];
  for (let i = 0; i < rows.length; i += ROW_WIDTH) {
    heads.push({
      time: rows[i + 1] as number,
      conversation: rows[i + 3] as string,
      target: rows[i + 4] as string,
    });
  }
  return heads;
}
