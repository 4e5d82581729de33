/**
 * What the terminal client remembers of the messages it showed, so commands can point at
 * them without ids: `/reply` answers the latest message here, `/reply ^2` the one before,
 * `/reply ana` ana's latest; `/edit` and `/delete` act on your own latest (`^2`: the one
 * before). Also the short quotes and reaction counters it prints.
 */
import { fold } from '../client/index.js';

export interface LoggedMessage {
  msgid: string;
  from: string;
  text: string;
  time: Date;
  self: boolean;
  /** The conversation's name as the client shows it. */
  conversation: string;
}

/** Messages remembered per conversation (older ones drop off). */
const PER_CONVERSATION = 200;

/** Where a command points: the latest (n=1), the n-th latest, or someone's latest. */
export type MessagePointer = { nth: number } | { nick: string };

/**
 * Reads a pointer at the start of a command's arguments: `^N`, or a nick when `allowNick`
 * and the word names someone who spoke here. Returns the pointer and the rest of the text.
 */
export function parsePointer(
  args: string,
  log: MessageLog,
  conversation: string,
  allowNick: boolean,
): { pointer: MessagePointer; rest: string } {
  const [word = '', ...more] = args.split(' ');
  const caret = /^\^(\d{1,3})$/.exec(word);
  if (caret !== null) return { pointer: { nth: Math.max(1, Number(caret[1])) }, rest: more.join(' ').trim() };
  if (allowNick && word !== '' && log.spokeHere(conversation, word)) {
    return { pointer: { nick: word }, rest: more.join(' ').trim() };
  }
  return { pointer: { nth: 1 }, rest: args.trim() };
}

export class MessageLog {
  private readonly byConversation = new Map<string, LoggedMessage[]>();
  private readonly byMsgid = new Map<string, LoggedMessage>();

  add(m: LoggedMessage): void {
    if (this.byMsgid.has(m.msgid)) return;
    const key = fold(m.conversation);
    let list = this.byConversation.get(key);
    if (list === undefined) {
      list = [];
      this.byConversation.set(key, list);
    }
    list.push(m);
    this.byMsgid.set(m.msgid, m);
    if (list.length > PER_CONVERSATION) this.byMsgid.delete(list.shift()!.msgid);
  }

  get(msgid: string): LoggedMessage | undefined {
    return this.byMsgid.get(msgid);
  }

  remove(msgid: string): void {
    const m = this.byMsgid.get(msgid);
    if (m === undefined) return;
    this.byMsgid.delete(msgid);
    const list = this.byConversation.get(fold(m.conversation));
    const i = list?.indexOf(m) ?? -1;
    if (i !== -1) list!.splice(i, 1);
  }

  spokeHere(conversation: string, nick: string): boolean {
    return (this.byConversation.get(fold(conversation)) ?? []).some((m) => fold(m.from) === fold(nick));
  }

  /** The message a pointer names in a conversation; `own` limits it to one's own messages. */
  find(conversation: string, pointer: MessagePointer, own: boolean): LoggedMessage | undefined {
    const list = this.byConversation.get(fold(conversation)) ?? [];
    let n = 'nth' in pointer ? pointer.nth : 1;
    for (let i = list.length - 1; i >= 0; i--) {
      const m = list[i]!;
      if (own && !m.self) continue;
      if ('nick' in pointer && fold(m.from) !== fold(pointer.nick)) continue;
      if (--n === 0) return m;
    }
    return undefined;
  }
}

/** A short quote of a message for a reply or a reaction: `ana: "¿café o t…"`. */
export function quote(m: { from: string; text: string }, max = 30): string {
  const flat = m.text.replace(/\s+/g, ' ').trim();
  const short = [...flat].length > max ? `${[...flat].slice(0, max - 1).join('')}…` : flat;
  return `${m.from}: "${short}"`;
}

/** Reaction counters in one line: `☕ 2 (ben, ana)  👍 1 (cleo)`. */
export function reactionLine(
  summary: ReadonlyArray<{ emoji: string; count: number; who: string[] }>,
): string {
  return summary.map((r) => `${r.emoji} ${r.count} (${r.who.join(', ')})`).join('  ');
}

/**
 * The mark after a speaker's nick: `✓` when the message came from a logged-in account (the
 * IRCv3 account tag), nothing for a guest, so a guest using a name is told apart from its
 * owner. /whois shows the account itself.
 */
export function accountMark(m: { account: string | undefined }): string {
  return m.account === undefined || m.account === '' || m.account === '*' ? '' : '✓';
}
