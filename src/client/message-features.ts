/**
 * Replies, reactions, edits, deletions and multiline messages for ChatClient
 * (docs/MESSAGE-FEATURES.md). It rides on a client: it reads every line through the
 * client's `raw` event (live and inside history batches) and sends with `sendTagged`, so it
 * works the same over any transport.
 *
 * It keeps the reactions it has seen per message (from live TAGMSGs and from history, which
 * replays the current reactions right after each message), so a user interface can show
 * counters and who reacted with `reactionsTo(msgid)` after a reload.
 *
 *   const features = new MessageFeatures(client);
 *   features.on('reaction', (r) => redraw(r.to));
 *   features.react('#lobby', msgid, '👍');
 */
import type { IrcMessage } from '../protocol/message.js';
import type { Tags } from '../protocol/tags.js';
import type { ChatClientBase } from './base.js';
import { TypedEmitter } from './emitter.js';
import type { ChatMessage } from './events.js';
import { fold, isChannel, splitText } from './text.js';

/** The msgid a message replies to (`+draft/reply`, or the unprefixed `+reply`), if any. */
export function replyOf(m: { tags: Tags }): string | undefined {
  const value = m.tags['+draft/reply'] ?? m.tags['+reply'];
  return value === '' ? undefined : value;
}

/** The msgid of the message this one corrects (`+draft/edit`), if it is an edit. */
export function editOf(m: { tags: Tags }): string | undefined {
  const value = m.tags['+draft/edit'];
  return value === '' ? undefined : value;
}

export interface ReactionEvent {
  /** The room, or the other person in a private conversation. */
  conversation: string;
  /** msgid of the message reacted to. */
  to: string;
  emoji: string;
  from: string;
  account: string | undefined;
  /** True for a reaction, false when it was taken back (unreact, or its REDACT). */
  added: boolean;
  self: boolean;
  replay: boolean;
}

export interface RedactEvent {
  conversation: string;
  /** msgid of the message (or reaction) removed. */
  msgid: string;
  /** Who removed it. */
  from: string;
  reason: string | undefined;
  replay: boolean;
}

export interface EditEvent {
  conversation: string;
  /** msgid of the message corrected (the original). */
  msgid: string;
  /** The correction itself, a message of its own (its msgid, time, sender). */
  edit: ChatMessage;
  text: string;
}

export interface MessageFeatureEvents {
  reaction: ReactionEvent;
  redact: RedactEvent;
  edit: EditEvent;
}

export interface ReactionSummary {
  emoji: string;
  count: number;
  /** Nicks of who reacted, as they were when they did. */
  who: string[];
  /** Whether this client's user is among them. */
  mine: boolean;
}

interface Reactor {
  nick: string;
  /** msgid of the reaction TAGMSG (a REDACT may name it). */
  msgid: string | undefined;
}

/** Most messages whose reactions are remembered (oldest forgotten first). */
const MAX_TRACKED = 5000;

export class MessageFeatures extends TypedEmitter<MessageFeatureEvents> {
  /** msgid → emoji → person (folded account, else folded nick) → reactor. */
  private readonly reactions = new Map<string, Map<string, Map<string, Reactor>>>();
  /** Reaction msgid → where it is counted, so a REDACT of the reaction can undo it. */
  private readonly reactionIds = new Map<string, { to: string; emoji: string; who: string }>();
  /** Open history batches (their ids), to mark what they carry as replayed. */
  private readonly historyBatches = new Set<string>();

  constructor(readonly client: ChatClientBase) {
    super();
    client.on('raw', (msg) => this.onRaw(msg));
    client.on('message', (m) => this.onMessage(m));
  }

  // ------------------------------------------------------------------ sending

  /** Sends text as a reply to a message (`+draft/reply`). */
  reply(target: string, msgid: string, text: string): void {
    this.say(target, text, { '+draft/reply': msgid });
  }

  /**
   * Sends text, with line breaks kept: one draft/multiline batch when the server offers it
   * (long lines continue with draft/multiline-concat), otherwise one message per line.
   * `tags` (a reply, an edit) go on the batch, or on every line without it.
   */
  say(target: string, text: string, tags: Tags = {}): void {
    const c = this.client;
    const pieces = splitText(text, this.budget(target));
    const multiline = text.includes('\n') || pieces.length > 1;
    if (multiline && c.caps.has('draft/multiline') && c.caps.has('batch')) {
      const ref = `ml${Math.random().toString(36).slice(2, 10)}`;
      c.sendTagged(tags, 'BATCH', `+${ref}`, 'draft/multiline', target);
      for (const line of text.split(/\r\n|\r|\n/)) {
        cutLine(line, this.budget(target)).forEach((piece, i) => {
          c.sendTagged(
            i === 0 ? { batch: ref } : { batch: ref, 'draft/multiline-concat': '' },
            'PRIVMSG',
            target,
            piece,
          );
        });
      }
      c.sendTagged({}, 'BATCH', `-${ref}`);
      return;
    }
    if (Object.keys(tags).length === 0 || !c.caps.has('message-tags')) {
      c.say(target, text);
      return;
    }
    for (const piece of pieces) c.sendTagged(tags, 'PRIVMSG', target, piece);
  }

  /** Replaces the text of one's own message (`+draft/edit`); others see a correction. */
  edit(target: string, msgid: string, text: string): void {
    this.say(target, text, { '+draft/edit': msgid });
  }

  /** Reacts to a message with an emoji (IRCv3 `+draft/react`). */
  react(target: string, msgid: string, emoji: string): void {
    this.client.sendTagged({ '+draft/react': emoji, '+draft/reply': msgid }, 'TAGMSG', target);
  }

  /** Takes a reaction back (`+draft/unreact`). */
  unreact(target: string, msgid: string, emoji: string): void {
    this.client.sendTagged({ '+draft/unreact': emoji, '+draft/reply': msgid }, 'TAGMSG', target);
  }

  /** Deletes a message (IRCv3 `REDACT`): one's own, or any in a room one operates. */
  redact(target: string, msgid: string, reason?: string): void {
    if (reason === undefined || reason === '') this.client.send('REDACT', target, msgid);
    else this.client.send('REDACT', target, msgid, reason);
  }

  /** Whether the server lets this client delete messages (draft/message-redaction). */
  get canRedact(): boolean {
    return this.client.caps.has('draft/message-redaction');
  }

  // ------------------------------------------------------------------ state

  /** Reactions to a message as known so far: per emoji, how many and who, in order of arrival. */
  reactionsTo(msgid: string): ReactionSummary[] {
    const me = fold(this.client.currentNick);
    const out: ReactionSummary[] = [];
    for (const [emoji, people] of this.reactions.get(msgid) ?? []) {
      const who = [...people.values()].map((r) => r.nick);
      out.push({ emoji, count: who.length, who, mine: who.some((n) => fold(n) === me) });
    }
    return out;
  }

  // ------------------------------------------------------------------ receiving

  private budget(target: string): number {
    // Room for `:nick!~user@host PRIVMSG target :` with a long host (as ChatClient.say).
    return 510 - (1 + utf8Bytes(this.client.currentNick) + 77) - 8 - utf8Bytes(target) - 2;
  }

  private conversationOf(msg: IrcMessage, from: string): string {
    const target = msg.params[0] ?? '';
    if (isChannel(target)) return target;
    return fold(from) === fold(this.client.currentNick) ? target : from;
  }

  private onRaw(msg: IrcMessage): void {
    if (msg.command === 'BATCH') {
      const ref = msg.params[0] ?? '';
      const type = msg.params[1];
      if (ref.startsWith('+') && (type === 'chathistory' || type === 'draft/chathistory'))
        this.historyBatches.add(ref.slice(1));
      else if (ref.startsWith('-')) this.historyBatches.delete(ref.slice(1));
      return;
    }
    const replay = msg.tags['batch'] !== undefined && this.historyBatches.has(msg.tags['batch']);
    if (msg.command === 'TAGMSG') this.onTagmsg(msg, replay);
    else if (msg.command === 'REDACT') this.onRedact(msg, replay);
  }

  private onTagmsg(msg: IrcMessage, replay: boolean): void {
    const to = msg.tags['+draft/reply'] ?? msg.tags['+reply'];
    const react = msg.tags['+draft/react'];
    const unreact = msg.tags['+draft/unreact'];
    const emoji = react || unreact;
    if (to === undefined || to === '' || emoji === undefined || emoji === '') return;
    const from = nickOf(msg.source);
    const account = msg.tags['account'];
    const who = account !== undefined ? `a:${fold(account)}` : `n:${fold(from)}`;
    const added = react !== undefined && react !== '';
    const changed = added
      ? this.add(to, emoji, who, { nick: from, msgid: msg.tags['msgid'] })
      : this.remove(to, emoji, who);
    if (!changed) return;
    this.emit('reaction', {
      conversation: this.conversationOf(msg, from),
      to,
      emoji,
      from,
      account,
      added,
      self: fold(from) === fold(this.client.currentNick),
      replay,
    });
  }

  private add(to: string, emoji: string, who: string, reactor: Reactor): boolean {
    let byEmoji = this.reactions.get(to);
    if (byEmoji === undefined) {
      byEmoji = new Map();
      this.reactions.set(to, byEmoji);
      if (this.reactions.size > MAX_TRACKED) this.forget(this.reactions.keys().next().value!);
    }
    let people = byEmoji.get(emoji);
    if (people === undefined) {
      people = new Map();
      byEmoji.set(emoji, people);
    }
    if (people.has(who)) return false;
    people.set(who, reactor);
    if (reactor.msgid !== undefined) this.reactionIds.set(reactor.msgid, { to, emoji, who });
    return true;
  }

  private remove(to: string, emoji: string, who: string): boolean {
    const byEmoji = this.reactions.get(to);
    const people = byEmoji?.get(emoji);
    const reactor = people?.get(who);
    if (people === undefined || reactor === undefined) return false;
    people.delete(who);
    if (reactor.msgid !== undefined) this.reactionIds.delete(reactor.msgid);
    if (people.size === 0) byEmoji!.delete(emoji);
    if (byEmoji!.size === 0) this.reactions.delete(to);
    return true;
  }

  private forget(msgid: string): void {
    for (const people of this.reactions.get(msgid)?.values() ?? []) {
      for (const r of people.values()) if (r.msgid !== undefined) this.reactionIds.delete(r.msgid);
    }
    this.reactions.delete(msgid);
  }

  private onRedact(msg: IrcMessage, replay: boolean): void {
    const msgid = msg.params[1];
    if (msgid === undefined) return;
    const from = nickOf(msg.source);
    const conversation = this.conversationOf(msg, from);
    const reaction = this.reactionIds.get(msgid);
    if (reaction !== undefined) {
      const reactor = this.reactions.get(reaction.to)?.get(reaction.emoji)?.get(reaction.who);
      this.remove(reaction.to, reaction.emoji, reaction.who);
      this.emit('reaction', {
        conversation,
        to: reaction.to,
        emoji: reaction.emoji,
        from: reactor?.nick ?? from,
        account: undefined,
        added: false,
        self: fold(reactor?.nick ?? '') === fold(this.client.currentNick),
        replay,
      });
    } else this.forget(msgid);
    this.emit('redact', { conversation, msgid, from, reason: msg.params[2], replay });
  }

  private onMessage(m: ChatMessage): void {
    const original = editOf(m);
    if (original !== undefined)
      this.emit('edit', { conversation: m.conversation, msgid: original, edit: m, text: m.text });
  }
}

const encoder = new TextEncoder();

/** UTF-8 length of a string, without Node's Buffer (this module also runs in browsers). */
function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * Cuts one line into pieces of at most `maxBytes`, after a space where there is one in the
 * second half (the space stays at the end of the piece, multiline §Splitting long lines),
 * never inside a character; the pieces joined give the line back exactly.
 */
export function cutLine(line: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = line;
  while (utf8Bytes(rest) > maxBytes) {
    let bytes = 0;
    let end = 0;
    for (const ch of rest) {
      const size = utf8Bytes(ch);
      if (bytes + size > maxBytes) break;
      bytes += size;
      end += ch.length;
    }
    const space = rest.lastIndexOf(' ', end - 1);
    if (space >= end / 2) end = space + 1;
    pieces.push(rest.slice(0, end));
    rest = rest.slice(end);
  }
  pieces.push(rest);
  return pieces;
}

function nickOf(source: string | null): string {
  if (source === null) return '';
  const bang = source.indexOf('!');
  return bang === -1 ? source : source.slice(0, bang);
}
