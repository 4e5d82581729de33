/**
 * The plain-text mode (seeds 002 and 004) as a pure translator between a person typing
 * lines into `nc` or `telnet` and a normal core session: a name prompt, then plain lines
 * as PRIVMSG to the current room and slash commands (`commands.ts`); the core's IRC lines
 * back as sentences (`messages.ts` for messages, `replies.ts` for numeric replies, the rest
 * here: joins, parts, quits, the welcome and the goodbye). This file is the session's
 * plumbing: its phases (name, registering, chat, closed), the rooms and the current one.
 *
 * No sockets here: the gateway (`../text.ts`) wires it and `line-reader.ts` to a socket
 * and a Session.
 */
import { type IrcMessage, parseLine } from '../../protocol/message.js';
import { isValidNick } from '../../protocol/names.js';
import { type CommandSession, runCommand } from './commands.js';
import { clean, nameRules, nickOf, quitReason, sameName, withReason } from './format.js';
import type { TextInput } from './line-reader.js';
import { type MessageSession, MessageView } from './messages.js';
import { Replies, type ReplySession } from './replies.js';

export interface TranslatorSink {
  /** One IRC line (without CR LF) for the session. */
  toCore(line: string): void;
  /** One line of text for the person (without a line end). */
  toUser(text: string): void;
}

export interface TranslatorOptions {
  nickLen: number;
  /** The room everyone starts in. */
  lobby?: string;
}

export const LOBBY = '#lobby';

const QUIT_WORDS = new Set([':q', 'chao', 'bye']);
/** The PING token that asks whether the core accepted the name typed (before USER). */
const NAME_PROBE = 'tertulia-name-check';

/** Asking for a name, waiting for the core to accept it, chatting, gone. */
export type Phase = 'name' | 'registering' | 'chat' | 'closed';

/**
 * One person's conversation. Feed it the person's lines (`userInput`) and the core's IRC
 * lines (`coreLine`); it answers through the sink.
 */
export class TextTranslator implements CommandSession, ReplySession, MessageSession {
  phase: Phase = 'name';
  nick = '';
  /** Rooms joined, in the order they were joined. */
  readonly rooms: string[] = [];
  current: string | null = null;
  private readonly lobby: string;
  private userSent = false;
  private capsSent = false;
  private wantedName = '';
  /** Lines typed so far of a message continued with a trailing backslash. */
  private continued: string[] = [];
  private batchSeq = 0;
  private readonly replies: Replies = new Replies(this);
  private readonly messages: MessageView = new MessageView(this);

  constructor(
    private readonly sink: TranslatorSink,
    private readonly options: TranslatorOptions,
  ) {
    this.lobby = options.lobby ?? LOBBY;
  }

  get nickLen(): number {
    return this.options.nickLen;
  }

  /** The next NAMES reply is shown (`/users`). */
  expectNames(): void {
    this.replies.expectNames();
  }

  /** The first thing a person sees. */
  start(): void {
    this.say('What is your name?');
  }

  say(text: string): void {
    this.sink.toUser(text);
  }

  send(line: string): void {
    this.sink.toCore(line);
  }

  // ------------------------------------------------------------------ person → core

  input(input: TextInput): void {
    if (this.phase === 'closed') return;
    switch (input.kind) {
      case 'invalid-utf8':
        this.say('That line was not valid UTF-8 text and was not sent. Please set your terminal to UTF-8.');
        return;
      case 'overlong':
        this.say('That line was too long and was not sent.');
        return;
      case 'interrupt':
        this.quit();
        return;
      case 'line':
        this.userLine(input.text);
    }
  }

  userLine(raw: string): void {
    if (this.phase === 'closed') return;
    const line = clean(raw.replace(/\t/g, ' '));
    const trimmed = line.trim();
    if (trimmed === '') return;
    if (QUIT_WORDS.has(trimmed.toLowerCase())) {
      this.quit();
      return;
    }
    if (this.phase !== 'chat') {
      this.chooseName(trimmed);
      return;
    }
    if (line.startsWith('//')) {
      this.talk(line.slice(1));
      return;
    }
    if (line.startsWith('/')) {
      runCommand(this, trimmed);
      return;
    }
    this.talk(line);
  }

  /** Leaves: the core says goodbye to the room and closes the connection. */
  quit(reason?: string): void {
    if (this.phase === 'closed') return;
    this.send(reason === undefined || reason === '' ? 'QUIT' : `QUIT :${reason}`);
  }

  private chooseName(name: string): void {
    if (this.phase === 'registering') {
      this.say('One moment…');
      return;
    }
    if (name.startsWith('/')) {
      if (/^\/quit\b/i.test(name)) this.quit(name.slice(5).trim());
      else this.say('First, please tell me your name. What is your name?');
      return;
    }
    if (!isValidNick(name, this.options.nickLen)) {
      this.say(`Sorry, "${name}" cannot be used as a name. ${nameRules(this.options.nickLen)}`);
      this.say('What is your name?');
      return;
    }
    this.wantedName = name;
    this.phase = 'registering';
    if (!this.capsSent) {
      this.capsSent = true;
      // echo-message makes one's own lines come back from the core: "(you)" is what was accepted.
      this.send('CAP REQ :echo-message batch server-time');
      // Separate requests: a server without one of these still grants the first set.
      // message-tags shows edits, replies and reactions; multiline keeps a paste together.
      this.send('CAP REQ :message-tags draft/multiline');
      this.send('CAP REQ :draft/message-redaction');
      this.send(`NICK ${name}`);
      // USER (with the name as real name) waits for the core to accept the name: a PING
      // after NICK comes back after any 433, so a refused name never sticks as real name.
      this.send(`PING :${NAME_PROBE}`);
    } else {
      this.send(`NICK ${name}`);
      if (!this.userSent) this.send(`PING :${NAME_PROBE}`);
    }
  }

  private talk(text: string): void {
    // A trailing backslash continues the message on the next line.
    if (text.endsWith('\\')) {
      this.continued.push(text.slice(0, -1));
      return;
    }
    if (this.continued.length > 0) {
      const lines = [...this.continued, text];
      this.continued = [];
      if (this.current !== null && lines.length > 1) {
        const ref = `t${++this.batchSeq}`;
        this.send(`BATCH +${ref} draft/multiline ${this.current}`);
        for (const l of lines) this.send(`@batch=${ref} PRIVMSG ${this.current} :${l}`);
        this.send(`BATCH -${ref}`);
        return;
      }
      text = lines.join(' ');
    }
    if (this.current === null) {
      this.say(
        'You are not in any room. Type /join #room to enter one, or /msg NAME TEXT to talk privately.',
      );
      return;
    }
    this.send(`PRIVMSG ${this.current} :${text}`);
  }

  needRoom(): string | null {
    if (this.current === null) this.say('You are not in any room. Type /join #room to enter one.');
    return this.current;
  }

  // ------------------------------------------------------------------ core → person

  /** One IRC line the core wrote (without CR LF). */
  coreLine(line: string): void {
    const parsed = parseLine(line);
    if (!parsed.ok) return;
    this.render(parsed.message);
  }

  isMe(nick: string): boolean {
    return this.nick !== '' && sameName(nick, this.nick);
  }

  private render(m: IrcMessage): void {
    const p = m.params;
    const from = clean(nickOf(m.source));
    switch (m.command) {
      case 'PING':
        this.send(`PONG :${p[0] ?? ''}`);
        return;
      case '001':
        this.nick = p[0] ?? this.wantedName;
        this.phase = 'chat';
        this.say(`Welcome to the best chat in the universe, ${this.nick}!`);
        // The name asked for belongs to an account (nick protection): say why we are someone else.
        if (this.wantedName !== '' && !sameName(this.nick, this.wantedName)) {
          this.say(
            `"${clean(this.wantedName)}" belongs to a registered account, so you are ${clean(this.nick)} for now. ` +
              `If it is yours, type: /msg NickServ IDENTIFY ${clean(this.wantedName)} <password>`,
          );
        }
        this.say('Type a message and press Enter to talk. /help lists the commands; :q leaves.');
        this.send(`JOIN ${this.lobby}`);
        return;
      case 'JOIN':
        this.onJoin(from, p[0] ?? '');
        return;
      case 'PART':
        this.onPart(from, p[0] ?? '', p[1]);
        return;
      case 'KICK':
        this.onKick(from, p[0] ?? '', p[1] ?? '', p[2]);
        return;
      case 'QUIT':
        this.say(withReason(`* ${from} has left the chat`, quitReason(p[0] ?? '')));
        return;
      case 'NICK':
        if (this.isMe(from)) {
          this.nick = p[0] ?? this.nick;
          this.say(`* You are now known as ${clean(this.nick)}.`);
        } else this.say(`* ${from} is now known as ${clean(p[0] ?? '')}.`);
        return;
      case 'TOPIC':
        if ((p[1] ?? '') === '') this.say(`* ${from} cleared the topic of ${clean(p[0] ?? '')}.`);
        else this.say(`* ${from} changed the topic of ${clean(p[0] ?? '')} to: ${clean(p[1]!)}`);
        return;
      case 'INVITE':
        this.say(`* ${from} invites you to ${clean(p[1] ?? '')} (type /join ${clean(p[1] ?? '')}).`);
        return;
      case 'MODE':
        if ((p[0] ?? '').startsWith('#'))
          this.say(`* ${from} set mode ${clean(p.slice(1).join(' '))} on ${clean(p[0]!)}.`);
        return;
      case 'PRIVMSG':
      case 'NOTICE':
        this.messages.message(m, from);
        return;
      case 'BATCH':
        this.messages.batch(p, m);
        return;
      case 'TAGMSG':
        this.messages.reaction(m, from);
        return;
      case 'REDACT':
        this.messages.redact(m, from);
        return;
      case 'ERROR':
        this.onError(p[0] ?? '');
        return;
      case 'FAIL':
        this.say(clean(p[p.length - 1] ?? 'That did not work.'));
        return;
      case 'PONG':
        if (p.at(-1) === NAME_PROBE && this.phase === 'registering' && !this.userSent) {
          this.send(`USER text 0 * :${this.wantedName}`);
          this.send('CAP END');
          this.userSent = true;
        }
        return;
      case 'CAP':
      case 'AWAY':
      case 'MARKREAD':
      case 'ACK':
      case 'WARN':
      case 'NOTE':
        return;
    }
    if (/^\d{3}$/.test(m.command)) this.replies.numeric(m.command, p);
  }

  private onJoin(from: string, room: string): void {
    if (this.isMe(from)) {
      if (!this.rooms.some((r) => sameName(r, room))) this.rooms.push(room);
      this.current = room;
      this.say(`* You joined ${clean(room)}. What you type now goes to ${clean(room)}.`);
      this.replies.expectNames();
      return;
    }
    this.say(`* ${from} has joined ${clean(room)}`);
  }

  private left(room: string): void {
    const i = this.rooms.findIndex((r) => sameName(r, room));
    if (i !== -1) this.rooms.splice(i, 1);
    if (this.current !== null && sameName(this.current, room)) {
      this.current = this.rooms[this.rooms.length - 1] ?? null;
      if (this.current === null) this.say('You are not in any room now. Type /join #room to enter one.');
      else this.say(`You are now talking in ${clean(this.current)}.`);
    }
  }

  private onPart(from: string, room: string, reason: string | undefined): void {
    if (this.isMe(from)) {
      this.say(`* You left ${clean(room)}.`);
      this.left(room);
    } else this.say(withReason(`* ${from} has left ${clean(room)}`, reason));
  }

  private onKick(from: string, room: string, victim: string, reason: string | undefined): void {
    if (this.isMe(victim)) {
      this.say(withReason(`* ${from} removed you from ${clean(room)}`, reason));
      this.left(room);
    } else this.say(withReason(`* ${from} removed ${clean(victim)} from ${clean(room)}`, reason));
  }

  private onError(text: string): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    const reason = /\[(.*)\]$/.exec(text)?.[1] ?? text;
    if (reason === 'Client Quit' || reason.startsWith('Quit:')) {
      this.say(this.nick === '' ? 'Goodbye!' : `Goodbye, ${clean(this.nick)}!`);
    } else if (reason === 'Excess Flood') {
      this.say('You sent too many lines too quickly and were disconnected (Excess Flood).');
    } else if (reason === 'SendQ exceeded') {
      this.say('You were disconnected because you were not reading what the server sent (SendQ exceeded).');
    } else if (reason === 'Registration timed out') {
      this.say('You took too long to choose a name, so the connection was closed.');
    } else {
      this.say(`You were disconnected: ${clean(reason)}`);
    }
  }

  retryName(why: string): void {
    this.phase = 'name';
    this.say(why);
    this.say('What is your name?');
  }
}
