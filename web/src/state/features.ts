/**
 * Replies, reactions, edits and deletions in the web client's state (docs/MESSAGE-FEATURES.md),
 * as pure functions like conversations.ts: the controller feeds them the client library's
 * events (MessageFeatures), the components read them, and test/web/ checks them.
 *
 * Edits are kept as the messages they are (a correction with `+draft/edit`, live or from
 * history) and folded into their original when shown (`foldEdits`), so live delivery and a
 * reload tell the same story without bookkeeping. Deletions remove the message (and its
 * corrections and reactions) and remember its msgid, so a later page cannot bring it back:
 * a deleted message disappears, live and after a reload alike.
 */
import { fold, updateConversation } from './conversations.js';
import type { ComposeMode, Entry, Reaction, State } from './model.js';

/** The emoji the reaction picker offers. */
export const REACTION_EMOJI = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'] as const;

/** The msgid a message replies to (`+draft/reply`, or the unprefixed `+reply`). */
export function replyTo(e: Entry): string | undefined {
  const v = e.tags['+draft/reply'] ?? e.tags['+reply'];
  return v === '' ? undefined : v;
}

/** The msgid of the message this one corrects (`+draft/edit`). */
export function editTo(e: Entry): string | undefined {
  const v = e.tags['+draft/edit'];
  return v === '' ? undefined : v;
}

/**
 * Entries as shown: each original carries the text of its latest correction and
 * `edited: true`; corrections whose original is present are left out. A correction whose
 * original is not loaded (older than the history shown) stands as a message of its own.
 */
export function foldEdits(entries: readonly Entry[]): readonly Entry[] {
  const present = new Set<string>();
  const latest = new Map<string, Entry>();
  for (const e of entries) {
    const original = editTo(e);
    if (original === undefined) {
      if (e.msgid !== undefined) present.add(e.msgid);
    } else latest.set(original, e);
  }
  if (latest.size === 0) return entries;
  const out: Entry[] = [];
  for (const e of entries) {
    const original = editTo(e);
    if (original !== undefined && present.has(original)) continue;
    const edit = e.msgid === undefined || original !== undefined ? undefined : latest.get(e.msgid);
    if (edit !== undefined) out.push({ ...e, text: edit.text, edited: true });
    else if (original !== undefined) out.push({ ...e, edited: true });
    else out.push(e);
  }
  return out;
}

/** A message by msgid among entries as shown (foldEdits' output), for a reply's quote. */
export function findMessage(entries: readonly Entry[], msgid: string): Entry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i]!.msgid === msgid) return entries[i];
  return undefined;
}

/** The first line of a text, cut to `max` characters with an ellipsis (a reply's quote). */
export function firstLine(text: string, max = 80): string {
  const line = text.split('\n', 1)[0]!.trim();
  const chars = [...line];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

/**
 * Our latest message that can be edited (Up in an empty composer): a plain message of ours
 * with a msgid, among entries as shown.
 */
export function lastOwnMessage(entries: readonly Entry[]): Entry | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.self && e.kind === 'message' && e.msgid !== undefined)
      return editTo(e) === undefined ? e : undefined;
  }
  return undefined;
}

/** Replaces what is known of the reactions to one message (from MessageFeatures.reactionsTo). */
export function setReactions(
  state: State,
  conversation: string,
  msgid: string,
  reactions: readonly Reaction[],
): State {
  return updateConversation(state, conversation, (conv) => {
    const had = conv.reactions[msgid];
    if (had === undefined && reactions.length === 0) return conv;
    if (had !== undefined && sameReactions(had, reactions)) return conv;
    const next = { ...conv.reactions };
    if (reactions.length === 0) delete next[msgid];
    else next[msgid] = reactions;
    return { ...conv, reactions: next };
  });
}

function sameReactions(a: readonly Reaction[], b: readonly Reaction[]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (r, i) =>
        r.emoji === b[i]!.emoji &&
        r.count === b[i]!.count &&
        r.mine === b[i]!.mine &&
        r.who.join('\n') === b[i]!.who.join('\n'),
    )
  );
}

/** Whether clicking an emoji adds our reaction (true) or takes it back (false). */
export function togglesOn(reactions: readonly Reaction[] | undefined, emoji: string): boolean {
  return !(reactions?.some((r) => r.emoji === emoji && r.mine) ?? false);
}

/**
 * A message was deleted (REDACT): it goes, with its corrections and its reactions, and
 * stays gone. A msgid we never had (a reaction's, or a message not loaded) is remembered
 * all the same.
 */
export function redactMessage(state: State, conversation: string, msgid: string): State {
  return updateConversation(state, conversation, (conv) => {
    if (conv.redacted[msgid] !== undefined) return conv;
    const entries = conv.entries.filter((e) => e.msgid !== msgid && editTo(e) !== msgid);
    const reactions = { ...conv.reactions };
    delete reactions[msgid];
    const compose = conv.compose?.msgid === msgid ? null : conv.compose;
    return {
      ...conv,
      entries: entries.length === conv.entries.length ? conv.entries : entries,
      reactions,
      redacted: { ...conv.redacted, [msgid]: true },
      compose,
    };
  });
}

/** Starts (or with null ends) replying to or editing a message in a conversation. */
export function setCompose(state: State, conversation: string, mode: ComposeMode): State {
  return updateConversation(state, conversation, (conv) =>
    conv.compose?.kind === mode?.kind && conv.compose?.msgid === mode?.msgid
      ? conv
      : { ...conv, compose: mode },
  );
}

/**
 * Whether to offer deleting a message: its author, or a logged-in operator of the room it is
 * in. Deleting someone else's needs lasting authority (the room's founder or an operator
 * they named, docs/PERMISSIONS.md), which only accounts hold: a guest's +o never does. The
 * server decides (it refuses an operator the founder did not name).
 */
export function canDelete(state: State, conversation: string, e: Entry): boolean {
  if (e.msgid === undefined) return false;
  if (e.self) return true;
  if (state.account === null) return false;
  const conv = state.conversations[fold(conversation)];
  if (conv === undefined || conv.kind !== 'room') return false;
  const prefixes = conv.members[fold(state.me)]?.prefixes ?? '';
  return /[~&@]/.test(prefixes);
}

/**
 * Whether a text looks like code (shown in a monospace font): a fenced block, or several
 * lines most of which are indented or end like statements.
 */
export function looksLikeCode(text: string): boolean {
  if (/^```/m.test(text)) return true;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2) return false;
  const codeish = lines.filter((l) => /^(\s{2,}|\t)/.test(l) || /[{};)]\s*$/.test(l)).length;
  return codeish * 2 >= lines.length;
}

export type Highlighted = { text: string; mark: boolean };

/**
 * A text cut at search highlight ranges ([start, end) in UTF-16 code units, as the server
 * and the client library give them); ranges out of order, overlapping or out of bounds are
 * tolerated.
 */
export function highlightSegments(
  text: string,
  ranges: ReadonlyArray<readonly [number, number]>,
): Highlighted[] {
  const sorted = ranges
    .map(([s, e]) => [Math.max(0, s), Math.min(text.length, e)] as const)
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
  const out: Highlighted[] = [];
  let pos = 0;
  for (const [s, e] of sorted) {
    if (e <= pos) continue;
    const start = Math.max(s, pos);
    const last = out.at(-1);
    if (start > pos) out.push({ text: text.slice(pos, start), mark: false });
    else if (last?.mark) {
      // Overlapping or touching ranges make one mark.
      last.text += text.slice(start, e);
      pos = e;
      continue;
    }
    out.push({ text: text.slice(start, e), mark: true });
    pos = e;
  }
  if (pos < text.length) out.push({ text: text.slice(pos), mark: false });
  return out;
}

// ------------------------------------------------------------------ jumping to a message

let jumpSeq = 0;

export function startJump(state: State, conversation: string, msgid: string): State {
  return { ...state, jump: { conversation: fold(conversation), msgid, status: 'loading', seq: ++jumpSeq } };
}

/** The jump in progress found its message, or gave up on it. */
export function settleJump(state: State, seq: number, status: 'found' | 'missing'): State {
  if (state.jump === null || state.jump.seq !== seq || state.jump.status === status) return state;
  return { ...state, jump: { ...state.jump, status } };
}

export function clearJump(state: State, seq: number): State {
  return state.jump?.seq === seq ? { ...state, jump: null } : state;
}
