/**
 * The core's numeric replies as sentences: errors said plainly ("You cannot join #x: it is
 * full."), and the replies that come in several lines (NAMES, LIST, WHO) gathered and shown
 * as one list when their end arrives.
 */
import { clean, nameRules, sameName } from './format.js';
import type { Phase } from './translator.js';

/** What the replies need of the translator. */
export interface ReplySession {
  readonly nick: string;
  readonly phase: Phase;
  readonly nickLen: number;
  say(text: string): void;
  isMe(nick: string): boolean;
  /** The name was refused before the welcome: say why and ask again. */
  retryName(why: string): void;
}

export class Replies {
  private names: { room: string; people: string[] } | null = null;
  private list: Array<{ room: string; count: string; topic: string }> | null = null;
  private who: string[] | null = null;
  private namesRequested = false;

  constructor(private readonly s: ReplySession) {}

  /** The next NAMES reply is shown (the person asked, or just joined). */
  expectNames(): void {
    this.namesRequested = true;
  }

  /** Says what a numeric reply means (RFC 2812 §5), or nothing for replies a person does not need. */
  numeric(code: string, p: string[]): void {
    // p[0] is our own nick (or '*'); the last parameter is usually the server's sentence.
    const a = clean(p[1] ?? '');
    const last = clean(p[p.length - 1] ?? '');
    switch (code) {
      case '301':
        this.s.say(`${a} is away: ${last}`);
        return;
      case '305':
        this.s.say('You are no longer marked as away.');
        return;
      case '306':
        this.s.say('You are now marked as away. /away alone brings you back.');
        return;
      case '331':
        this.s.say(`${a} has no topic. /topic TEXT sets one.`);
        return;
      case '332':
        this.s.say(`Topic of ${a}: ${clean(p[2] ?? '')}`);
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
          this.s.isMe(nick) ? 'you' : '',
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
        if (found.length === 0) this.s.say(`Nobody matches ${a}.`);
        else {
          this.s.say(`Who is ${a.startsWith('#') ? `in ${a}` : a} (${found.length}):`);
          for (const l of found) this.s.say(l);
        }
        return;
      }
      case '372': {
        const text = clean((p[1] ?? '').replace(/^- ?/, ''));
        // The default MOTD's greeting and join hint are already said (and done) here.
        const said =
          text === `Welcome to the best chat in the universe, ${this.s.nick}!` ||
          text.startsWith('Join a room with /join');
        if (text !== '' && !said) this.s.say(text);
        return;
      }
      case '900':
      case '903':
      case '904':
        this.s.say(last);
        return;
      case '401':
        this.s.say(`There is nobody called "${a}" here right now.`);
        return;
      case '403':
        if (/invalid/i.test(last))
          this.s.say(
            `"${a}" is not a valid room name: room names start with # and have no spaces or commas.`,
          );
        else this.s.say(`There is no room called ${a}.`);
        return;
      case '404':
        this.s.say(`Your message was not sent: you cannot speak in ${a} right now (${last}).`);
        return;
      case '405':
        this.s.say(`You cannot join ${a}: you are already in too many rooms.`);
        return;
      case '406':
        this.s.say(`Nobody was called "${a}".`);
        return;
      case '407':
        this.s.say('Too many recipients at once.');
        return;
      case '411':
      case '412':
        this.s.say('There was nothing to send.');
        return;
      case '417':
        this.s.say('That message was too long and was not sent.');
        return;
      case '432':
        if (this.s.phase === 'chat')
          this.s.say(`"${a}" cannot be used as a name (${last}). ${nameRules(this.s.nickLen)}`);
        else
          this.s.retryName(`Sorry, "${a}" cannot be used as a name (${last}). ${nameRules(this.s.nickLen)}`);
        return;
      case '433':
        if (this.s.phase === 'chat') this.s.say(`The name "${a}" is already taken.`);
        else this.s.retryName(`Sorry, the name "${a}" is already taken.`);
        return;
      case '441':
        this.s.say(`${clean(p[1] ?? '')} is not in ${clean(p[2] ?? '')}.`);
        return;
      case '442':
        this.s.say(`You are not in ${a}.`);
        return;
      case '443':
        this.s.say(`${a} is already in ${clean(p[2] ?? '')}.`);
        return;
      case '471':
        this.s.say(`You cannot join ${a}: it is full.`);
        return;
      case '473':
        this.s.say(`You cannot join ${a}: it is invite-only.`);
        return;
      case '474':
        this.s.say(`You cannot join ${a}: you are banned from it.`);
        return;
      case '475':
        this.s.say(`You cannot join ${a}: it needs a key (/join ${a} KEY).`);
        return;
      case '482':
        this.s.say(`You need to be an operator of ${a} to do that.`);
        return;
      case '481':
      case '723':
        this.s.say('Only server operators can do that.');
        return;
      case '464':
        this.s.say('This server needs a password, which plain-text mode cannot send.');
        return;
    }
    // Other errors are still worth a sentence; other replies mean nothing to a person.
    if (code >= '400' && code < '600') this.s.say(last);
  }

  private onNames(room: string, list: string): void {
    if (this.names === null || !sameName(this.names.room, room)) this.names = { room, people: [] };
    for (const entry of list.split(' ')) {
      if (entry === '') continue;
      const nick = entry.replace(/^[@+]+/, '');
      const notes = [this.s.isMe(nick) ? 'you' : '', entry.startsWith('@') ? 'op' : ''].filter(
        (s) => s !== '',
      );
      this.names.people.push(notes.length === 0 ? nick : `${nick} (${notes.join(', ')})`);
    }
  }

  private endNames(room: string): void {
    const names = this.names;
    this.names = null;
    if (!this.namesRequested) return;
    this.namesRequested = false;
    const people = names !== null && sameName(names.room, room) ? names.people : [];
    if (people.length === 0) this.s.say(`Nobody is in ${room}.`);
    else
      this.s.say(
        `${people.length === 1 ? '1 person' : `${people.length} people`} in ${room}: ${people.join(', ')}`,
      );
  }

  private endList(): void {
    const rooms = this.list ?? [];
    this.list = null;
    if (rooms.length === 0) {
      this.s.say('There are no rooms yet. /join #name creates one.');
      return;
    }
    this.s.say(`Rooms (${rooms.length}):`);
    for (const r of rooms) {
      const people = r.count === '1' ? '1 person' : `${r.count} people`;
      this.s.say(`  ${r.room} (${people})${r.topic === '' ? '' : ` — ${r.topic}`}`);
    }
  }
}
