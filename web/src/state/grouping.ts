/**
 * How a conversation is laid out: consecutive messages from one person close together in
 * time form a group (one name and avatar, then the texts), events stand alone, and a day
 * separator goes before the first entry of each day. One person is one nick *and* one
 * account (the IRCv3 account tag, none for a guest): two people who used the same nick, a
 * guest and the account, are never merged under one header.
 */
import { isMessage } from './conversations.js';
import type { Entry } from './model.js';

/** Messages further apart than this start a new group even from the same person. */
export const GROUP_GAP_MS = 5 * 60_000;

export type Block =
  | { kind: 'day'; key: string; day: number }
  | {
      kind: 'group';
      key: string;
      from: string;
      /** The speaker's account (from the account tag), or undefined for a guest. */
      account: string | undefined;
      self: boolean;
      entries: Entry[];
    }
  | { kind: 'event'; key: string; entry: Entry };

/** Local midnight of a time (the day it falls on, in the reader's time zone). */
export function dayOf(time: number): number {
  const d = new Date(time);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function groupEntries(entries: readonly Entry[], gapMs = GROUP_GAP_MS): Block[] {
  const blocks: Block[] = [];
  let group: Extract<Block, { kind: 'group' }> | null = null;
  let day: number | null = null;
  for (const e of entries) {
    const d = dayOf(e.time);
    if (d !== day) {
      day = d;
      group = null;
      blocks.push({ kind: 'day', key: `day-${d}`, day: d });
    }
    if (!isMessage(e)) {
      group = null;
      blocks.push({ kind: 'event', key: e.id, entry: e });
      continue;
    }
    const last = group?.entries.at(-1);
    const account = accountOf(e);
    if (
      group !== null &&
      last !== undefined &&
      group.from.toLowerCase() === e.from.toLowerCase() &&
      group.account?.toLowerCase() === account?.toLowerCase() &&
      e.kind !== 'notice' &&
      last.kind !== 'notice' &&
      e.time - last.time <= gapMs
    ) {
      group.entries.push(e);
      continue;
    }
    group = { kind: 'group', key: e.id, from: e.from, account, self: e.self, entries: [e] };
    blocks.push(group);
  }
  return blocks;
}

/** The account a message was sent from (IRCv3 account-tag), undefined for a guest. */
export function accountOf(e: Entry): string | undefined {
  const account = e.tags['account'];
  return account === undefined || account === '' || account === '*' ? undefined : account;
}
