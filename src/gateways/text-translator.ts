/**
 * The plain-text mode (seeds 002 and 004) as a pure translator between a person typing
 * lines into `nc` or `telnet` and a normal core session:
 *
 * - `TextLineReader` turns the raw byte stream into lines: CR, LF or CR LF, telnet IAC
 *   negotiation stripped, NUL dropped, a bound on line length, and a partial last line
 *   delivered when the stream ends;
 * - `TextTranslator` turns those lines into IRC commands for the session (a name prompt,
 *   then PRIVMSG to the current room and slash commands) and the IRC lines the core writes
 *   back into sentences a person can read.
 *
 * No sockets here: the gateway (`text.ts`) wires both to a socket and a Session.
 */
import { isUtf8 } from 'node:buffer';
import { type IrcMessage, parseLine } from '../protocol/message.js';
import { isValidNick } from '../protocol/names.js';

// ------------------------------------------------------------------------------ line reader

export type TextInput =
  | { kind: 'line'; text: string }
  | { kind: 'invalid-utf8' }
  | { kind: 'overlong' }
  /** telnet's Ctrl+C (IAC IP) or Ctrl+D-like abort: the person wants to leave. */
  | { kind: 'interrupt' };

const IAC = 0xff;
const SB = 250;
const SE = 240;
const IP = 244;
const WILL = 251;
const DONT = 254;

/**
 * Splits a byte stream into text lines the way a person at a terminal means them. Telnet
 * commands (IAC …) never reach the line; IAC IAC is a literal 0xFF (which then fails UTF-8).
 */
export class TextLineReader {
  private buf: number[] = [];
  private discarding = false;
  /** Telnet parser state: 0 data, 1 after IAC, 2 option byte, 3 in SB, 4 IAC inside SB. */
  private telnet = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer, emit: (input: TextInput) => void): void {
    for (const b of chunk) {
      switch (this.telnet) {
        case 1:
          if (b === IAC) this.add(b, emit);
          else if (b >= WILL && b <= DONT) {
            this.telnet = 2;
            continue;
          } else if (b === SB) {
            this.telnet = 3;
            continue;
          } else if (b === IP) emit({ kind: 'interrupt' });
          this.telnet = 0;
          continue;
        case 2:
          this.telnet = 0;
          continue;
        case 3:
          if (b === IAC) this.telnet = 4;
          continue;
        case 4:
          this.telnet = b === SE ? 0 : 3;
          continue;
      }
      if (b === IAC) this.telnet = 1;
      else if (b === 10 || b === 13) this.finish(emit);
      else if (b !== 0) this.add(b, emit);
    }
  }

  /** The stream ended: a last line without a line end is still delivered. */
  end(emit: (input: TextInput) => void): void {
    this.finish(emit);
  }

  private add(b: number, emit: (input: TextInput) => void): void {
    if (this.discarding) return;
    if (this.buf.length >= this.maxBytes) {
      this.buf = [];
      this.discarding = true;
      emit({ kind: 'overlong' });
      return;
    }
    this.buf.push(b);
  }

  private finish(emit: (input: TextInput) => void): void {
    if (this.discarding) {
      this.discarding = false;
      return;
    }
    if (this.buf.length === 0) return;
    const bytes = Buffer.from(this.buf);
    this.buf = [];
    if (!isUtf8(bytes)) emit({ kind: 'invalid-utf8' });
    else emit({ kind: 'line', text: bytes.toString('utf8') });
  }
}

// ------------------------------------------------------------------------------ translator

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
export const DEFAULT_HISTORY = 20;

const QUIT_WORDS = new Set([':q', 'chao', 'bye']);
/** The PING token that asks whether the core accepted the name typed (before USER). */
const NAME_PROBE = 'tertulia-name-check';

export const HELP_TEXT = [
  'Type a line and press Enter to talk in your current room. Commands:',
  '  /msg NAME TEXT     a private message to NAME',
  '  /join #room        enter a room (it becomes your current room)',
  '  /part [#room]      leave a room (the current one by default)',
  '  /users             who is in this room',
  '  /rooms             the rooms on this server',
  '  /who [#room|NAME]  details about the people in a room, or one person',
  '  /nick NEWNAME      change your name',
  '  /me ACTION         an action, shown as "* alice waves"',
  '  /away [TEXT]       mark yourself away (no text: back again)',
  '  /topic [TEXT]      show or change the room topic',
  '  /history [N]       the last N messages of this room',
  'End a line with \\ to go on writing on the next: the lines are sent as one message.',
  '  /help              this list',
  '  /quit [REASON]     leave (so do :q, chao and bye)',
  'Start a line with // to send one that begins with /.',
];

/** IRC formatting codes and other control characters never reach a terminal. */
const CONTROL = /\x03(\d{1,2}(,\d{1,2})?)?|[\x00-\x08\x0a-\x1f\x7f]/g;

export function clean(text: string): string {
  return text.replace(CONTROL, '');
}

/** A short quote: the first 30 characters. */
function shorten(text: string): string {
  return [...text].length > 30 ? `${[...text].slice(0, 29).join('')}…` : text;
}

function nickOf(source: string | null): string {
  if (source === null) return '';
  const bang = source.indexOf('!');
  return bang === -1 ? source : source.slice(0, bang);
}

function sameName(a: string, b: string): boolean {
  // rfc1459 casemapping is close enough for "is this me?": the core decides the real rules.
  const fold = (s: string): string =>
    s.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c]!);
  return fold(a) === fold(b);
}

function nameRules(nickLen: number): string {
  return (
    `A name has 1 to ${nickLen} characters, starts with a letter or one of _ [ ] \\ \` ^ { } |, ` +
    'and may also use digits and "-"; no spaces.'
  );
}

/** "Quit: bye" → "bye"; "Client Quit" → "". */
function quitReason(reason: string): string {
  if (reason === 'Client Quit' || reason === 'Quit:' || reason === '') return '';
  if (reason.startsWith('Quit: ')) return reason.slice(6);
  return reason;
}

function withReason(text: string, reason: string | undefined): string {
  return reason === undefined || reason === '' ? text : `${text} (${clean(reason)})`;
}

function timeOf(msg: IrcMessage): string {
  const t = msg.tags['time'];
  if (t === undefined) return '';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return '';
  return `[${d.toISOString().slice(11, 16)}] `;
}

type Phase = 'name' | 'registering' | 'chat' | 'closed';

/**
 * One person's conversation. Feed it the person's lines (`userInput`) and the core's IRC
 * lines (`coreLine`); it answers through the sink.
 */
export class TextTranslator {
  phase: Phase = 'name';
  nick = '';
  /** Rooms joined, in the order they were joined. */
  readonly rooms: string[] = [];
  current: string | null = null;
  private readonly lobby: string;
  private userSent = false;
  private capsSent = false;
  private wantedName = '';
  private names: { room: string; people: string[] } | null = null;
  private list: Array<{ room: string; count: string; topic: string }> | null = null;
  private who: string[] | null = null;
  /** Open chathistory batches: id → (room, messages shown). */
  private readonly batches = new Map<string, { room: string; count: number }>();
  /** Open multiline batches (IRCv3 draft/multiline): id → the opening line and the lines so far. */
  private readonly multiline = new Map<string, { opening: IrcMessage; lines: IrcMessage[] }>();
  /** Lines typed so far of a message continued with a trailing backslash. */
  private continued: string[] = [];
  private batchSeq = 0;
  /** Who said what, by msgid, for replies and reactions ("bob reacted 👍 to alice: …"). */
  private readonly said = new Map<string, { from: string; text: string }>();
  private namesRequested = false;

  constructor(
    private readonly sink: TranslatorSink,
    private readonly options: TranslatorOptions,
  ) {
    this.lobby = options.lobby ?? LOBBY;
  }

  /** The first thing a person sees. */
  start(): void {
    this.say('What is your name?');
  }

  private say(text: string): void {
    this.sink.toUser(text);
  }

  private send(line: string): void {
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
      this.command(trimmed);
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

  private needRoom(): string | null {
    if (this.current === null) this.say('You are not in any room. Type /join #room to enter one.');
    return this.current;
  }

  private command(line: string): void {
    const space = line.indexOf(' ');
    const name = (space === -1 ? line.slice(1) : line.slice(1, space)).toLowerCase();
    const rest = space === -1 ? '' : line.slice(space + 1).trim();
    const [first = '', ...others] = rest.split(/\s+/);
    const after = others.join(' ');
    switch (name) {
      case 'msg':
      case 'query':
        if (first === '' || after === '') this.say('Usage: /msg NAME TEXT');
        else this.send(`PRIVMSG ${first} :${rest.slice(first.length).trimStart()}`);
        return;
      case 'join': {
        if (first === '') {
          this.say('Usage: /join #room');
          return;
        }
        const room = first.startsWith('#') ? first : `#${first}`;
        const known = this.rooms.find((r) => sameName(r, room));
        if (known !== undefined) {
          this.current = known;
          this.say(`You are now talking in ${known}.`);
          return;
        }
        this.send(after === '' ? `JOIN ${room}` : `JOIN ${room} ${others[0]}`);
        return;
      }
      case 'part':
      case 'leave': {
        const room = first.startsWith('#') ? first : this.needRoom();
        if (room === null) return;
        const reason = first.startsWith('#') ? after : rest;
        this.send(reason === '' ? `PART ${room}` : `PART ${room} :${reason}`);
        return;
      }
      case 'users':
      case 'names': {
        const room = first.startsWith('#') ? first : this.needRoom();
        if (room === null) return;
        this.namesRequested = true;
        this.send(`NAMES ${room}`);
        return;
      }
      case 'rooms':
      case 'list':
        this.send('LIST');
        return;
      case 'who': {
        const target = first !== '' ? first : this.needRoom();
        if (target !== null) this.send(`WHO ${target}`);
        return;
      }
      case 'nick':
        if (first === '') this.say('Usage: /nick NEWNAME');
        else this.send(`NICK ${first}`);
        return;
      case 'me': {
        const room = this.needRoom();
        if (room === null) return;
        if (rest === '') this.say('Usage: /me ACTION');
        else this.send(`PRIVMSG ${room} :\x01ACTION ${rest}\x01`);
        return;
      }
      case 'away':
        this.send(rest === '' ? 'AWAY' : `AWAY :${rest}`);
        return;
      case 'topic': {
        const room = this.needRoom();
        if (room === null) return;
        this.send(rest === '' ? `TOPIC ${room}` : `TOPIC ${room} :${rest}`);
        return;
      }
      case 'history': {
        const room = this.needRoom();
        if (room === null) return;
        const n = first === '' ? DEFAULT_HISTORY : Number(first);
        if (!Number.isInteger(n) || n < 1) {
          this.say('Usage: /history [N], where N is a number of messages (1 or more).');
          return;
        }
        this.send(`CHATHISTORY LATEST ${room} * ${n}`);
        return;
      }
      case 'help':
      case '?':
        for (const l of HELP_TEXT) this.say(l);
        return;
      case 'quit':
      case 'exit':
        this.quit(rest);
        return;
      default:
        this.say(`There is no command /${name}. Type /help for the list, or // to start a line with /.`);
    }
  }

  // ------------------------------------------------------------------ core → person

  /** One IRC line the core wrote (without CR LF). */
  coreLine(line: string): void {
    const parsed = parseLine(line);
    if (!parsed.ok) return;
    this.render(parsed.message);
  }

  private isMe(nick: string): boolean {
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
        this.onMessage(m, from);
        return;
      case 'BATCH':
        this.onBatch(p, m);
        return;
      case 'TAGMSG':
        this.onReaction(m, from);
        return;
      case 'REDACT':
        this.onRedact(m, from);
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
    if (/^\d{3}$/.test(m.command)) this.numeric(m.command, p);
  }

  private onJoin(from: string, room: string): void {
    if (this.isMe(from)) {
      if (!this.rooms.some((r) => sameName(r, room))) this.rooms.push(room);
      this.current = room;
      this.say(`* You joined ${clean(room)}. What you type now goes to ${clean(room)}.`);
      this.namesRequested = true;
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

  private onMessage(m: IrcMessage, from: string): void {
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
      this.say(`[server] ${clean(text)}`);
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
    const mine = this.isMe(from);
    const notice = m.command === 'NOTICE' ? '[notice] ' : '';
    if (target.startsWith('#')) {
      const where = this.current !== null && sameName(target, this.current) ? '' : `[${clean(target)}] `;
      const who = mine ? `${from} (you)` : from;
      this.say(`${stamp}${where}${notice}${action ? `* ${who} ${body}` : `${who}: ${body}`}`);
      return;
    }
    if (mine && !this.isMe(target)) {
      const to = clean(target);
      this.say(
        `${stamp}[private] ${notice}${action ? `* (you) -> ${to}: ${body}` : `(you) -> ${to}: ${body}`}`,
      );
      return;
    }
    this.say(`${stamp}[private] ${notice}${action ? `* ${from} ${body}` : `${from}: ${body}`}`);
  }

  /** A reaction (TAGMSG with +draft/react or +draft/unreact); other TAGMSGs mean nothing here. */
  private onReaction(m: IrcMessage, from: string): void {
    const emoji = m.tags['+draft/react'] || m.tags['+draft/unreact'];
    const to = m.tags['+draft/reply'] ?? m.tags['+reply'];
    if (emoji === undefined || emoji === '' || to === undefined) return;
    const about = this.said.get(to);
    const what =
      about === undefined
        ? 'a message'
        : `${about.from}: "${shorten(clean(about.text.replace(/\s+/g, ' ')))}"`;
    const who = this.isMe(from) ? 'You' : from;
    const verb = m.tags['+draft/react'] ? 'reacted' : 'took back';
    this.say(`* ${who} ${verb} ${clean(emoji)} ${verb === 'reacted' ? 'to' : 'on'} ${what}`);
  }

  /** A deleted message (IRCv3 draft/message-redaction); its text is not shown again. */
  private onRedact(m: IrcMessage, from: string): void {
    const gone = this.said.get(m.params[1] ?? '');
    if (gone === undefined) return; // a reaction, or something this person never saw
    this.said.delete(m.params[1]!);
    const by = sameName(from, gone.from) ? '' : ` by ${this.isMe(from) ? 'you' : from}`;
    const reason = m.params[2] ? `: ${clean(m.params[2])}` : '';
    this.say(`* A message from ${this.isMe(gone.from) ? 'you' : gone.from} was deleted${by}${reason}`);
  }

  private onBatch(p: string[], m: IrcMessage): void {
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
      this.onMessage(combined, clean(nickOf(combined.source)));
      return;
    }
    if (ref.startsWith('+')) {
      if (p[1] !== 'chathistory') return;
      const room = clean(p[2] ?? '');
      this.batches.set(ref.slice(1), { room, count: 0 });
      this.say(`--- Messages in ${room} (times in UTC) ---`);
      return;
    }
    const batch = this.batches.get(ref.slice(1));
    if (batch === undefined) return;
    this.batches.delete(ref.slice(1));
    this.say(batch.count === 0 ? `--- No messages in ${batch.room} yet ---` : '--- End of history ---');
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

  private numeric(code: string, p: string[]): void {
    // p[0] is our own nick (or '*'); the last parameter is usually the server's sentence.
    const a = clean(p[1] ?? '');
    const last = clean(p[p.length - 1] ?? '');
    switch (code) {
      case '301':
        this.say(`${a} is away: ${last}`);
        return;
      case '305':
        this.say('You are no longer marked as away.');
        return;
      case '306':
        this.say('You are now marked as away. /away alone brings you back.');
        return;
      case '331':
        this.say(`${a} has no topic. /topic TEXT sets one.`);
        return;
      case '332':
        this.say(`Topic of ${a}: ${clean(p[2] ?? '')}`);
        return;
      case '353':
        this.onNames(clean(p[2] ?? ''), p[3] ?? '');
        return;
      case '366':
        this.endNames(a);
        return;
      case '321':
        this.list = [];
        return;
      case '322':
        this.list ??= [];
        this.list.push({
          room: a,
          count: clean(p[2] ?? '0'),
          topic: clean((p[3] ?? '').replace(/^\[\+[A-Za-z]*\] ?/, '')),
        });
        return;
      case '323':
        this.endList();
        return;
      case '352': {
        const nick = clean(p[5] ?? '');
        const flags = p[6] ?? '';
        const realname = clean((p[7] ?? '').replace(/^\d+ /, ''));
        const notes = [
          this.isMe(nick) ? 'you' : '',
          flags.startsWith('G') ? 'away' : '',
          flags.includes('*') ? 'server operator' : '',
          flags.includes('@') ? 'room operator' : '',
        ].filter((s) => s !== '');
        this.who ??= [];
        this.who.push(
          `  ${nick} (${clean(p[2] ?? '')}@${clean(p[3] ?? '')})${realname === '' ? '' : ` "${realname}"`}` +
            (notes.length === 0 ? '' : ` [${notes.join(', ')}]`),
        );
        return;
      }
      case '315': {
        const found = this.who ?? [];
        this.who = null;
        if (found.length === 0) this.say(`Nobody matches ${a}.`);
        else {
          this.say(`Who is ${a.startsWith('#') ? `in ${a}` : a} (${found.length}):`);
          for (const l of found) this.say(l);
        }
        return;
      }
      case '372': {
        const text = clean((p[1] ?? '').replace(/^- ?/, ''));
        // The default MOTD's greeting and join hint are already said (and done) here.
        const said =
          text === `Welcome to the best chat in the universe, ${this.nick}!` ||
          text.startsWith('Join a room with /join');
        if (text !== '' && !said) this.say(text);
        return;
      }
      case '900':
      case '903':
      case '904':
        this.say(last);
        return;
      case '401':
        this.say(`There is nobody called "${a}" here right now.`);
        return;
      case '403':
        if (/invalid/i.test(last))
          this.say(`"${a}" is not a valid room name: room names start with # and have no spaces or commas.`);
        else this.say(`There is no room called ${a}.`);
        return;
      case '404':
        this.say(`Your message was not sent: you cannot speak in ${a} right now (${last}).`);
        return;
      case '405':
        this.say(`You cannot join ${a}: you are already in too many rooms.`);
        return;
      case '406':
        this.say(`Nobody was called "${a}".`);
        return;
      case '407':
        this.say('Too many recipients at once.');
        return;
      case '411':
      case '412':
        this.say('There was nothing to send.');
        return;
      case '417':
        this.say('That message was too long and was not sent.');
        return;
      case '432':
        if (this.phase === 'chat')
          this.say(`"${a}" cannot be used as a name (${last}). ${nameRules(this.options.nickLen)}`);
        else
          this.retryName(
            `Sorry, "${a}" cannot be used as a name (${last}). ${nameRules(this.options.nickLen)}`,
          );
        return;
      case '433':
        if (this.phase === 'chat') this.say(`The name "${a}" is already taken.`);
        else this.retryName(`Sorry, the name "${a}" is already taken.`);
        return;
      case '441':
        this.say(`${clean(p[1] ?? '')} is not in ${clean(p[2] ?? '')}.`);
        return;
      case '442':
        this.say(`You are not in ${a}.`);
        return;
      case '443':
        this.say(`${a} is already in ${clean(p[2] ?? '')}.`);
        return;
      case '471':
        this.say(`You cannot join ${a}: it is full.`);
        return;
      case '473':
        this.say(`You cannot join ${a}: it is invite-only.`);
        return;
      case '474':
        this.say(`You cannot join ${a}: you are banned from it.`);
        return;
      case '475':
        this.say(`You cannot join ${a}: it needs a key (/join ${a} KEY).`);
        return;
      case '482':
        this.say(`You need to be an operator of ${a} to do that.`);
        return;
      case '481':
      case '723':
        this.say('Only server operators can do that.');
        return;
      case '464':
        this.say('This server needs a password, which plain-text mode cannot send.');
        return;
    }
    // Other errors are still worth a sentence; other replies mean nothing to a person.
    if (code >= '400' && code < '600') this.say(last);
  }

  private retryName(why: string): void {
    this.phase = 'name';
    this.say(why);
    this.say('What is your name?');
  }

  private onNames(room: string, list: string): void {
    if (this.names === null || !sameName(this.names.room, room)) this.names = { room, people: [] };
    for (const entry of list.split(' ')) {
      if (entry === '') continue;
      const nick = entry.replace(/^[@+]+/, '');
      const notes = [this.isMe(nick) ? 'you' : '', entry.startsWith('@') ? 'op' : ''].filter((s) => s !== '');
      this.names.people.push(notes.length === 0 ? nick : `${nick} (${notes.join(', ')})`);
    }
  }

  private endNames(room: string): void {
    const names = this.names;
    this.names = null;
    if (!this.namesRequested) return;
    this.namesRequested = false;
    const people = names !== null && sameName(names.room, room) ? names.people : [];
    if (people.length === 0) this.say(`Nobody is in ${room}.`);
    else
      this.say(
        `${people.length === 1 ? '1 person' : `${people.length} people`} in ${room}: ${people.join(', ')}`,
      );
  }

  private endList(): void {
    const rooms = this.list ?? [];
    this.list = null;
    if (rooms.length === 0) {
      this.say('There are no rooms yet. /join #name creates one.');
      return;
    }
    this.say(`Rooms (${rooms.length}):`);
    for (const r of rooms) {
      const people = r.count === '1' ? '1 person' : `${r.count} people`;
      this.say(`  ${r.room} (${people})${r.topic === '' ? '' : ` — ${r.topic}`}`);
    }
  }
}
