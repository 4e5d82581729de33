/**
 * The slash commands a person types in plain-text mode, as the IRC commands they stand for
 * (`/msg` PRIVMSG, `/join` JOIN, `/users` NAMES, `/history` CHATHISTORY LATEST…). What the
 * core answers is turned back into sentences by `replies.ts` and `messages.ts`.
 */
import { sameName } from './format.js';

/** Lines `/history` shows when no number is given. */
export const DEFAULT_HISTORY = 20;

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

/** What the commands need of the translator running them. */
export interface CommandSession {
  /** Rooms joined, in the order they were joined. */
  readonly rooms: readonly string[];
  /** The room plain lines go to. */
  current: string | null;
  say(text: string): void;
  send(line: string): void;
  quit(reason?: string): void;
  /** The current room, or null after telling the person they are in none. */
  needRoom(): string | null;
  /** The next NAMES reply was asked for by the person: show it. */
  expectNames(): void;
}

/** Runs one line starting with `/` (not `//`). */
export function runCommand(s: CommandSession, line: string): void {
  const space = line.indexOf(' ');
  const name = (space === -1 ? line.slice(1) : line.slice(1, space)).toLowerCase();
  const rest = space === -1 ? '' : line.slice(space + 1).trim();
  const [first = '', ...others] = rest.split(/\s+/);
  const after = others.join(' ');
  switch (name) {
    case 'msg':
    case 'query':
      if (first === '' || after === '') s.say('Usage: /msg NAME TEXT');
      else s.send(`PRIVMSG ${first} :${rest.slice(first.length).trimStart()}`);
      return;
    case 'join': {
      if (first === '') {
        s.say('Usage: /join #room');
        return;
      }
      const room = first.startsWith('#') ? first : `#${first}`;
      const known = s.rooms.find((r) => sameName(r, room));
      if (known !== undefined) {
        s.current = known;
        s.say(`You are now talking in ${known}.`);
        return;
      }
      s.send(after === '' ? `JOIN ${room}` : `JOIN ${room} ${others[0]}`);
      return;
    }
    case 'part':
    case 'leave': {
      const room = first.startsWith('#') ? first : s.needRoom();
      if (room === null) return;
      const reason = first.startsWith('#') ? after : rest;
      s.send(reason === '' ? `PART ${room}` : `PART ${room} :${reason}`);
      return;
    }
    case 'users':
    case 'names': {
      const room = first.startsWith('#') ? first : s.needRoom();
      if (room === null) return;
      s.expectNames();
      s.send(`NAMES ${room}`);
      return;
    }
    case 'rooms':
    case 'list':
      s.send('LIST');
      return;
    case 'who': {
      const target = first !== '' ? first : s.needRoom();
      if (target !== null) s.send(`WHO ${target}`);
      return;
    }
    case 'nick':
      if (first === '') s.say('Usage: /nick NEWNAME');
      else s.send(`NICK ${first}`);
      return;
    case 'me': {
      const room = s.needRoom();
      if (room === null) return;
      if (rest === '') s.say('Usage: /me ACTION');
      else s.send(`PRIVMSG ${room} :\x01ACTION ${rest}\x01`);
      return;
    }
    case 'away':
      s.send(rest === '' ? 'AWAY' : `AWAY :${rest}`);
      return;
    case 'topic': {
      const room = s.needRoom();
      if (room === null) return;
      s.send(rest === '' ? `TOPIC ${room}` : `TOPIC ${room} :${rest}`);
      return;
    }
    case 'history': {
      const room = s.needRoom();
      if (room === null) return;
      const n = first === '' ? DEFAULT_HISTORY : Number(first);
      if (!Number.isInteger(n) || n < 1) {
        s.say('Usage: /history [N], where N is a number of messages (1 or more).');
        return;
      }
      s.send(`CHATHISTORY LATEST ${room} * ${n}`);
      return;
    }
    case 'help':
    case '?':
      for (const l of HELP_TEXT) s.say(l);
      return;
    case 'quit':
    case 'exit':
      s.quit(rest);
      return;
    default:
      s.say(`There is no command /${name}. Type /help for the list, or // to start a line with /.`);
  }
}
