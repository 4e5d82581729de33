/**
 * Messages as lines a person reads: `bob: text`, `alice (you): text`, `[#other] …` for a
 * room not on screen, `[private] …`, actions as `* bob waves`, replies, edits, reactions
 * and deletions said in words (IRCv3 message-tags, draft/react, draft/message-redaction),
 * a draft/multiline batch shown as one message, and a chathistory batch framed and stamped
 * with its times.
 */
import type { IrcMessage } from '../../protocol/message.js';
import { clean, nickOf, sameName, shorten, timeOf } from './format.js';

/** What the message view needs of the translator. */
export interface MessageSession {
  /** The room on screen: its messages need no `[#room]` in front. */
  readonly current: string | null;
  say(text: string): void;
  isMe(nick: string): boolean;
}

export class MessageView {
  /** Open chathistory batches: id → (room, messages shown). */
  private readonly batches = new Map<string, { room: string; count: number }>();
  /** Open multiline batches (IRCv3 draft/multiline): id → the opening line and the lines so far. */
  private readonly multiline = new Map<string, { opening: IrcMessage; lines: IrcMessage[] }>();
  /** Who said what, by msgid, for replies and reactions ("bob reacted 👍 to alice: …"). */
  private readonly said = new Map<string, { from: string; text: string }>();

  constructor(private readonly s: MessageSession) {}

  /** A PRIVMSG or NOTICE: in a room, in private, or part of a batch being gathered. */
  message(m: IrcMessage, from: string): void {
    const target = m.params[0] ?? '';
    let text = m.params[1] ?? '';
    const batchId = m.tags['batch'];
    const open = batchId === undefined ? undefined : this.multiline.get(batchId);
    if (open !== undefined) {
      open.lines.push(m);
      return;
    }
    const batch = batchId === undefined ? undefined : this.batches.get(batchId);
    const stamp = batch === undefined ? '' : timeOf(m);
    if (batch !== undefined) batch.count++;
    // A server notice (no user behind it).
    if (m.source === null || !m.source.includes('!')) {
      this.s.say(`[server] ${clean(text)}`);
      return;
    }
    let action = false;
    if (text.startsWith('\x01')) {
      const inner = text.slice(1).replace(/\x01$/, '');
      if (!inner.toUpperCase().startsWith('ACTION ')) return; // other CTCP means nothing here
      action = true;
      text = inner.slice(7);
    }
    const msgid = m.tags['msgid'];
    if (msgid !== undefined) {
      this.said.set(msgid, { from, text });
      if (this.said.size > 200) this.said.delete(this.said.keys().next().value!);
    }
    // Lines of a multiline message go one under the other; edits and replies say so.
    const repliedTo = m.tags['+draft/reply'] ?? m.tags['+reply'];
    const quoted = repliedTo === undefined ? undefined : this.said.get(repliedTo);
    const body =
      (quoted !== undefined ? `(replying to ${quoted.from}) ` : '') +
      text.split('\n').map(clean).join('\n    ') +
      (m.tags['+draft/edit'] !== undefined ? ' (edited)' : '');
    const mine = this.s.isMe(from);
    const notice = m.command === 'NOTICE' ? '[notice] ' : '';
    if (target.startsWith('#')) {
      const where = this.s.current !== null && sameName(target, this.s.current) ? '' : `[${clean(target)}] `;
      const who = mine ? `${from} (you)` : from;
      this.s.say(`${stamp}${where}${notice}${action ? `* ${who} ${body}` : `${who}: ${body}`}`);
      return;
    }
    if (mine && !this.s.isMe(target)) {
      const to = clean(target);
      this.s.say(
        `${stamp}[private] ${notice}${action ? `* (you) -> ${to}: ${body}` : `(you) -> ${to}: ${body}`}`,
      );
      return;
    }
    this.s.say(`${stamp}[private] ${notice}${action ? `* ${from} ${body}` : `${from}: ${body}`}`);
  }

  /** A reaction (TAGMSG with +draft/react or +draft/unreact); other TAGMSGs mean nothing here. */
  reaction(m: IrcMessage, from: string): void {
    const emoji = m.tags['+draft/react'] || m.tags['+draft/unreact'];
    const to = m.tags['+draft/reply'] ?? m.tags['+reply'];
    if (emoji === undefined || emoji === '' || to === undefined) return;
    const about = this.said.get(to);
    const what =
      about === undefined
        ? 'a message'
        : `${about.from}: "${shorten(clean(about.text.replace(/\s+/g, ' ')))}"`;
    const who = this.s.isMe(from) ? 'You' : from;
    const verb = m.tags['+draft/react'] ? 'reacted' : 'took back';
    this.s.say(`* ${who} ${verb} ${clean(emoji)} ${verb === 'reacted' ? 'to' : 'on'} ${what}`);
  }

  /** A deleted message (IRCv3 draft/message-redaction); its text is not shown again. */
  redact(m: IrcMessage, from: string): void {
    const gone = this.said.get(m.params[1] ?? '');
    if (gone === undefined) return; // a reaction, or something this person never saw
    this.said.delete(m.params[1]!);
    const by = sameName(from, gone.from) ? '' : ` by ${this.s.isMe(from) ? 'you' : from}`;
    const reason = m.params[2] ? `: ${clean(m.params[2])}` : '';
    this.s.say(`* A message from ${this.s.isMe(gone.from) ? 'you' : gone.from} was deleted${by}${reason}`);
  }

  /** BATCH +/-: a multiline message gathered into one, or a history replay framed. */
  batch(p: string[], m: IrcMessage): void {
    const ref = p[0] ?? '';
    if (ref.startsWith('+') && p[1] === 'draft/multiline') {
      this.multiline.set(ref.slice(1), { opening: m, lines: [] });
      return;
    }
    const open = this.multiline.get(ref.slice(1));
    if (ref.startsWith('-') && open !== undefined) {
      this.multiline.delete(ref.slice(1));
      let text = '';
      for (const [i, line] of open.lines.entries()) {
        text +=
          (i === 0 || line.tags['draft/multiline-concat'] !== undefined ? '' : '\n') + (line.params[1] ?? '');
      }
      // The opening line's tags: its msgid, and the history batch it may sit in.
      const combined: IrcMessage = {
        tags: open.opening.tags,
        source: open.opening.source,
        command: 'PRIVMSG',
        params: [open.opening.params[2] ?? '', text],
      };
      this.message(combined, clean(nickOf(combined.source)));
      return;
    }
    if (ref.startsWith('+')) {
      if (p[1] !== 'chathistory') return;
      const room = clean(p[2] ?? '');
      this.batches.set(ref.slice(1), { room, count: 0 });
      this.s.say(`--- Messages in ${room} (times in UTC) ---`);
      return;
    }
    const batch = this.batches.get(ref.slice(1));
    if (batch === undefined) return;
    this.batches.delete(ref.slice(1));
    this.s.say(batch.count === 0 ? `--- No messages in ${batch.room} yet ---` : '--- End of history ---');
  }
}
