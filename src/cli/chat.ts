/**
 * `tertulia chat`: the terminal client, built on the client library (src/client).
 * Lines typed go to the current conversation; slash commands do the rest.
 */
import {
  ChatClient,
  type ChatMessage,
  editOf,
  fold,
  isChannel,
  MessageFeatures,
  type Profile,
  replyOf,
} from '../client/index.js';
import { accountMark, MessageLog, parsePointer, quote, reactionLine } from './chat-messages.js';
import { PROFILE_HELP, profileChangeLine, profileCommand, shownName } from './chat-profile.js';
import { ReplyRenderer } from './chat-replies.js';
import { clean, clock, palette, Screen, useColour } from './chat-ui.js';
import { formatHit, parseSearchArgs } from './search-view.js';

export const CHAT_HELP = `Usage: tertulia chat [options]

Options:
  --host HOST       server to connect to (default 127.0.0.1)
  --port PORT       its IRC port (default 6667, or 6697 with --tls)
  --tls             connect with TLS
  --insecure        with --tls: accept any certificate (self-signed test servers)
  --nick NAME       your name (asked for when not given)
  --password        log in to your account (the password is asked for)
  --room ROOM       the room to join first (default #lobby)
`;

const COMMANDS_HELP = [
  'Type a line to talk in the current room or conversation. Commands:',
  '  /join #room        join a room (and switch to it)',
  '  /part [#room]      leave a room',
  '  /msg NICK TEXT     send a private message',
  '  /query NICK|#room  switch the conversation your lines go to',
  "  /rooms             rooms you are in, and the server's list",
  '  /users             who is in this room',
  '  /who [#room]       who is in a room, as a table (default: this one)',
  '  /whois NICK        about someone: address, rooms, idle time, account',
  '  /names             the names in this room (also /users)',
  '  /nick NAME         change your name',
  '  /me TEXT           an action (* you wave)',
  '  /away [TEXT]       mark yourself away (no text: back)',
  '  /topic [TEXT]      show or set the room topic',
  '  /history [N]       the last N messages here (default 20)',
  '  /reply [^N|NICK] TEXT   answer the latest message here (^2: the one before; NICK: theirs)',
  '  /react [^N|NICK] EMOJI  react to it (/unreact takes it back)',
  '  /edit [^N] TEXT    correct your latest message here (^2: the one before)',
  "  /delete [^N|NICK]  delete your latest message (room operators: NICK's latest)",
  '  A line ending in \\ continues on the next: the lines go as one message.',
  '  /search WORDS      search your rooms and private messages ("a phrase", word*, -word,',
  '                     in:#room or in:NICK, from:NICK)',
  '  /send FILE         upload a file and share its link here (needs --password)',
  ...PROFILE_HELP,
  '  //TEXT             say a line that starts with /',
  '  /help              this list',
  '  /quit [REASON]     leave (also /exit, :q, chao, bye or Ctrl+C)',
];

interface ChatArgs {
  host: string;
  port: number | undefined;
  tls: boolean;
  insecure: boolean;
  nick: string | undefined;
  password: boolean;
  room: string;
}

function parseArgs(args: string[]): ChatArgs | string {
  const out: ChatArgs = {
    host: '127.0.0.1',
    port: undefined,
    tls: false,
    insecure: false,
    nick: undefined,
    password: false,
    room: '#lobby',
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--host': {
        const v = value();
        if (!v) return '--host needs a value';
        out.host = v;
        break;
      }
      case '--port': {
        const v = Number(value());
        if (!Number.isInteger(v) || v < 1 || v > 65535) return '--port needs a port number';
        out.port = v;
        break;
      }
      case '--nick': {
        const v = value();
        if (!v) return '--nick needs a value';
        out.nick = v;
        break;
      }
      case '--room': {
        const v = value();
        if (!v) return '--room needs a value';
        out.room = isChannel(v) ? v : `#${v}`;
        break;
      }
      case '--tls':
        out.tls = true;
        break;
      case '--insecure':
        out.insecure = true;
        break;
      case '--password':
        out.password = true;
        break;
      default:
        return `unknown option ${a}`;
    }
  }
  return out;
}

const LEAVE_WORDS = new Set([':q', 'chao', 'bye']);

export async function runChat(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`tertulia chat: ${args}\n\n${CHAT_HELP}`);
    return 2;
  }
  const colour = useColour(process.stdout);
  const c = palette(colour);
  const screen = new Screen(process.stdin, process.stdout);
  const print = (line: string) => screen.print(line);
  const info = (line: string) => print(c.notice(`* ${line}`));

  let nick = args.nick;
  while (nick === undefined || nick === '') {
    const answer = await screen.ask("What's your name? ");
    if (answer === null) {
      screen.close();
      return 0;
    }
    nick = answer.replace(/\s+/g, '_');
  }
  let password: string | undefined;
  if (args.password) password = (await screen.askHidden('Password: ')) ?? undefined;

  const client = new ChatClient({
    host: args.host,
    port: args.port,
    tls: args.tls ? (args.insecure ? { rejectUnauthorized: false } : true) : false,
    nick,
    // User name and real name: the client derives them from the nick finally accepted.
    password,
  });
  let current = args.room;
  const updatePrompt = () => screen.setPrompt(`${current}> `);

  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let leaving = false;
  const leave = async (reason = 'bye'): Promise<void> => {
    if (leaving) return;
    leaving = true;
    print(`Goodbye, ${client.currentNick}!`);
    await client.quit(reason);
    screen.close();
    finish(0);
  };

  const features = new MessageFeatures(client);
  const log = new MessageLog();
  /** Continuation lines of a multiline message line up under its first line's text. */
  const indent = (text: string, width: number) => text.split('\n').join(`\n${' '.repeat(width)}`);
  const show = (m: ChatMessage, kind: 'message' | 'notice') => {
    const time = c.dim(`[${clock(m.time)}]`);
    const edited = editOf(m);
    const original = edited === undefined ? undefined : log.get(edited);
    if (original !== undefined) original.text = m.text;
    else if (m.msgid !== undefined && kind === 'message' && !m.action) {
      log.add({
        msgid: m.msgid,
        from: m.from,
        text: m.text,
        time: m.time,
        self: m.self,
        conversation: m.conversation,
      });
    }
    const repliedTo = replyOf(m);
    const answered = repliedTo === undefined ? undefined : log.get(repliedTo);
    const prefix =
      answered !== undefined ? c.dim(`↪ ${quote(answered)} `) : repliedTo !== undefined ? c.dim('↪ ') : '';
    const suffix = edited !== undefined ? c.dim(' (edited)') : '';
    const text = prefix + clean(m.text) /* keeps line breaks */ + suffix;
    const where =
      !m.private && m.conversation.toLowerCase() !== current.toLowerCase() ? `${m.conversation} ` : '';
    const mark = accountMark(m);
    // Someone with a display name (draft/metadata-2) shows as `Display Name (nick)`.
    const name = m.from === '' ? 'server' : shownName(m.from, client.profileOf(m.from));
    const who = m.self ? `${c.me(m.from)}${mark} (you)` : c.nick(name) + mark;
    const plainWho = m.self ? `${m.from}${mark} (you)` : name + mark;
    if (kind === 'notice') {
      print(`${time} ${where}${c.notice(`-${m.from || 'server'}- ${text}`)}`);
    } else if (m.action) {
      print(`${time} ${where}* ${m.self ? `${c.me(m.from)} (you)` : c.nick(m.from)} ${text}`);
    } else if (m.private) {
      const head = m.self ? `${time} ${who} → ${c.nick(m.target)}: ` : `${time} ${who} (private): `;
      print(head + indent(text, 8 + plainWho.length + 2));
    } else print(`${time} ${where}${who}: ${indent(text, 8 + where.length + plainWho.length + 2)}`);
  };

  features.on('reaction', (r) => {
    if (r.replay) return;
    const target = log.get(r.to);
    const about = target === undefined ? 'a message' : quote(target);
    const counts = reactionLine(features.reactionsTo(r.to));
    const who = r.self ? 'you' : r.from;
    print(
      c.dim(
        `* ${who} ${r.added ? 'reacted' : 'took back'} ${r.emoji} ${r.added ? 'to' : 'on'} ${about}${counts ? ` · ${counts}` : ''}`,
      ),
    );
  });
  features.on('redact', (e) => {
    if (e.replay) return;
    const gone = log.get(e.msgid);
    log.remove(e.msgid);
    if (gone === undefined) return; // a reaction, or a message this client never showed
    const by = fold(e.from) === fold(gone.from) ? '' : ` by ${e.from}`;
    print(
      c.notice(
        `* message deleted${by} (${gone.from}, ${clock(gone.time)})${e.reason ? `: ${clean(e.reason)}` : ''}`,
      ),
    );
  });
  /** The message a command points at here, or a message saying there is none. */
  const pick = (args: string, own: boolean, allowNick: boolean) => {
    const { pointer, rest } = parsePointer(args, log, current, allowNick);
    const m = log.find(current, pointer, own);
    if (m === undefined)
      print(c.error(own ? '! No message of yours here to do that to' : '! No such message here'));
    return { m, rest };
  };

  // Profiles (draft/metadata-2): someone else's change is told as it is made (not those
  // learnt on joining a room).
  const profiles = new Map<string, Profile>();
  client.on('profile', (e) => {
    const before = profiles.get(fold(e.nick));
    profiles.set(fold(e.nick), { ...e.profile });
    if (!e.live || fold(e.nick) === fold(client.currentNick)) return;
    const line = profileChangeLine(e.nick, before, e.profile);
    if (line !== null) info(line);
  });
  client.on('message', (m) => show(m, 'message'));
  client.on('notice', (m) => show(m, 'notice'));
  const replies = new ReplyRenderer();
  client.on('info', (e) => {
    if (e.command === '322') {
      print(`  ${e.params[1]} (${e.params[2]}) ${clean(e.params[3] ?? '')}`);
      return;
    }
    const lines = replies.render(e.command, e.params);
    for (const l of lines ?? [e.text]) print(c.dim(clean(l)));
  });
  client.on('join', (e) => {
    if (e.self) {
      current = e.channel;
      updatePrompt();
      info(`You joined ${e.channel}`);
    } else info(`${e.nick} has joined ${e.channel}`);
  });
  client.on('part', (e) => {
    const reason = e.reason ? ` (${clean(e.reason)})` : '';
    if (e.kickedBy)
      info(`${e.self ? 'You were' : `${e.nick} was`} removed from ${e.channel} by ${e.kickedBy}${reason}`);
    else info(e.self ? `You left ${e.channel}` : `${e.nick} has left ${e.channel}${reason}`);
    if (e.self && e.channel.toLowerCase() === current.toLowerCase()) {
      current = client.rooms[0] ?? current;
      updatePrompt();
    }
  });
  client.on('quit', (e) => {
    const reason = e.reason && !/^(Quit: )?bye$/i.test(e.reason) ? ` (${clean(e.reason)})` : '';
    info(`${e.nick} has left the chat${reason}`);
  });
  client.on('nick', (e) => {
    info(e.self ? `You are now known as ${e.newNick}` : `${e.oldNick} is now known as ${e.newNick}`);
    if (!e.self && current.toLowerCase() === e.oldNick.toLowerCase()) {
      current = e.newNick;
      updatePrompt();
    }
  });
  client.on('topic', (e) => {
    if (e.initial) info(e.topic ? `Topic of ${e.channel}: ${clean(e.topic)}` : `${e.channel} has no topic`);
    else info(`${e.setBy} set the topic of ${e.channel} to: ${clean(e.topic)}`);
  });
  client.on('away', (e) => {
    if (e.nick.toLowerCase() === client.currentNick.toLowerCase())
      info(e.away ? 'You are marked as away' : 'You are back');
    else if (e.message) info(`${e.nick} is away: ${clean(e.message)}`);
  });
  client.on('error', (e) => {
    if (!leaving) print(c.error(`! ${clean(e.message)}`));
  });
  client.on('disconnected', (e) => {
    if (leaving) return;
    info(`Connection lost (${e.reason})`);
    if (!e.willReconnect && client.registered === false) {
      screen.close();
      finish(1);
    }
  });
  client.on('reconnecting', (e) =>
    info(`reconnecting… (attempt ${e.attempt}, in ${(e.delayMs / 1000).toFixed(1)} s)`),
  );
  client.on('reconnected', () => info('reconnected'));
  client.on('nickInUse', async (e) => {
    const why = e.reason === 'invalid' ? 'is not a valid name' : 'is taken';
    if (e.registered) {
      print(c.error(`! The name ${e.nick} ${why}`));
      return;
    }
    let next = '';
    while (next === '') {
      const answer = await screen.ask(`The name ${e.nick} ${why}. Choose another: `);
      if (answer === null) {
        void leave();
        return;
      }
      next = answer.replace(/\s+/g, '_');
    }
    client.nick(next);
  });

  const onSignal = () => void leave('bye');
  process.on('SIGTERM', onSignal);
  // Ctrl+C normally reaches readline as a key; a SIGINT from outside leaves cleanly too.
  process.on('SIGINT', onSignal);
  try {
    await client.connect();
  } catch (err) {
    screen.close();
    process.stderr.write(`tertulia chat: ${(err as Error).message}\n`);
    return 1;
  }
  client.join(args.room);
  updatePrompt();
  info('Type /help for commands; :q to leave.');

  screen.rl.on('SIGINT', () => void leave('bye'));
  screen.rl.on('close', () => void leave('bye'));
  /** Lines typed so far of a message continued with a trailing backslash. */
  let continued: string[] = [];
  screen.rl.on('line', (raw: string) => {
    if (raw.endsWith('\\')) {
      continued.push(raw.slice(0, -1));
      screen.setPrompt('... ');
      return;
    }
    if (continued.length > 0) {
      const text = [...continued, raw].join('\n');
      continued = [];
      updatePrompt();
      if (text.trim() !== '') features.say(current, text);
      screen.prompt();
      return;
    }
    const line = raw.trim();
    if (line === '') {
      screen.prompt();
      return;
    }
    if (LEAVE_WORDS.has(line.toLowerCase())) {
      void leave('bye');
      return;
    }
    if (!line.startsWith('/') || line.startsWith('//')) {
      client.say(current, line.startsWith('//') ? line.slice(1) : line);
      screen.prompt();
      return;
    }
    const space = line.indexOf(' ');
    const cmd = (space === -1 ? line : line.slice(0, space)).toLowerCase();
    const rest = space === -1 ? '' : line.slice(space + 1).trim();
    const [first = '', ...more] = rest.split(/\s+/);
    const tail = more.join(' ');
    switch (cmd) {
      case '/quit':
      case '/exit':
        void leave(rest || 'bye');
        return;
      case '/help':
        for (const l of COMMANDS_HELP) print(l);
        break;
      case '/join':
        if (first === '') print(c.error('! Usage: /join #room'));
        else client.join(isChannel(first) ? first : `#${first}`);
        break;
      case '/part':
        client.part(first || current, tail || undefined);
        break;
      case '/msg':
        if (first === '' || tail === '') print(c.error('! Usage: /msg NICK TEXT'));
        else client.say(first, tail);
        break;
      case '/query':
        if (first === '') info(`Talking in ${current}`);
        else {
          current = first;
          updatePrompt();
          info(`Your lines now go to ${current}`);
        }
        break;
      case '/rooms':
        info(`You are in: ${client.rooms.join(', ') || '(no room)'}`);
        client.send('LIST');
        break;
      case '/users':
      case '/names':
        if (!isChannel(current)) info(`Talking privately with ${current}`);
        else
          client
            .names(current)
            .then((users) => info(`In ${current}: ${users.map((u) => u.prefixes + u.nick).join(', ')}`))
            .catch(() => undefined);
        break;
      case '/who':
      case '/whois':
        // A room (or nothing: this one) lists who is there; a name asks about that person.
        if (first === '' || (cmd === '/who' && /^[#&]/.test(first))) client.send('WHO', first || current);
        else client.send('WHOIS', first);
        break;
      case '/nick':
        if (first === '') info(`You are ${client.currentNick}`);
        else client.nick(first);
        break;
      case '/me':
        if (rest !== '') client.action(current, rest);
        break;
      case '/away':
        client.away(rest || undefined);
        break;
      case '/topic':
        client.topic(current, rest === '' ? undefined : rest);
        break;
      case '/history': {
        const n = Number.parseInt(first || '20', 10);
        client
          .history(current, { limit: Number.isFinite(n) && n > 0 ? n : 20 })
          .then((msgs) => {
            info(`Last ${msgs.length} messages in ${current}:`);
            for (const m of msgs) show(m, 'message');
          })
          .catch((err: Error) => print(c.error(`! ${err.message}`)));
        break;
      }
      case '/reply': {
        const { m, rest: text } = pick(rest, false, true);
        if (m !== undefined && text === '') print(c.error('! Usage: /reply [^N|NICK] TEXT'));
        else if (m !== undefined) features.reply(current, m.msgid, text);
        break;
      }
      case '/react':
      case '/unreact': {
        const { m, rest: emoji } = pick(rest, false, true);
        if (m !== undefined && emoji === '') print(c.error(`! Usage: ${cmd} [^N|NICK] EMOJI`));
        else if (m !== undefined && cmd === '/react') features.react(current, m.msgid, emoji);
        else if (m !== undefined) features.unreact(current, m.msgid, emoji);
        break;
      }
      case '/edit': {
        const { m, rest: text } = pick(rest, true, false);
        if (m !== undefined && text === '') print(c.error('! Usage: /edit [^N] TEXT'));
        else if (m !== undefined) features.edit(current, m.msgid, text);
        break;
      }
      case '/delete': {
        const { pointer } = parsePointer(rest, log, current, true);
        const m = log.find(current, pointer, !('nick' in pointer));
        if (m === undefined) print(c.error('! No such message here to delete'));
        else if (!features.canRedact) print(c.error('! This server does not let messages be deleted'));
        else features.redact(current, m.msgid);
        break;
      }
      case '/search': {
        const args = parseSearchArgs(rest);
        if (args.text === '') {
          info('Usage: /search WORDS (also "a phrase", word*, -word, in:#room, in:NICK, from:NICK)');
          break;
        }
        const { text, ...where } = args;
        client
          .search(text, { ...where, limit: 20 })
          .then((hits) => {
            if (hits.length === 0) info(`No messages match "${text}".`);
            else
              info(
                `${hits.length === 1 ? '1 message matches' : `${hits.length} messages match`} "${text}"${hits.length === 20 ? ' (the newest 20)' : ''}:`,
              );
            for (const hit of hits) print(formatHit(hit, c, colour));
            screen.prompt();
          })
          .catch((err: Error) => {
            print(c.error(`! ${err.message}`));
            screen.prompt();
          });
        break;
      }
      case '/send': {
        const file = rest.trim();
        if (file === '') {
          info('Usage: /send FILE');
          break;
        }
        info(`Uploading ${file}…`);
        client
          .upload(file, contentTypeOf(file))
          .then((url) => {
            client.say(current, url);
          })
          .catch((err: unknown) => {
            print(c.error(`! Could not send ${file}: ${err instanceof Error ? err.message : String(err)}`));
            screen.prompt();
          });
        break;
      }
      case '/profile':
        profileCommand(client, rest, (file) => client.upload(file, contentTypeOf(file)))
          .then((lines) => {
            for (const l of lines) print(l.startsWith('!') ? c.error(l) : l);
            screen.prompt();
          })
          .catch((err: Error) => {
            print(c.error(`! ${err.message}`));
            screen.prompt();
          });
        break;
      default:
        print(
          c.error(
            `! There is no command ${cmd}. /help lists the commands (//text says a line starting with /).`,
          ),
        );
    }
    screen.prompt();
  });

  const code = await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  return code;
}

/** A content type from the file name, for the file host to show images and text inline. */
function contentTypeOf(file: string): string {
  const ext = file.toLowerCase().split('.').pop() ?? '';
  const types: Record<string, string> = {
    png: 'image/png',
    jpg: 'image/jpeg',
    jpeg: 'image/jpeg',
    gif: 'image/gif',
    webp: 'image/webp',
    txt: 'text/plain',
    pdf: 'application/pdf',
    zip: 'application/zip',
  };
  return types[ext] ?? 'application/octet-stream';
}
