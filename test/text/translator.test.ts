/**
 * Unit tests of the plain-text translator and line reader: no sockets, no server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clean } from '../../src/gateways/text-mode/format.js';
import { type TextInput, TextLineReader } from '../../src/gateways/text-mode/line-reader.js';
import { TextTranslator } from '../../src/gateways/text-mode/translator.js';

function harness() {
  const core: string[] = [];
  const user: string[] = [];
  const t = new TextTranslator({ toCore: (l) => core.push(l), toUser: (l) => user.push(l) }, { nickLen: 30 });
  /** Puts the translator in the chat phase as alice, in #lobby. */
  const registered = (): void => {
    t.userLine('alice');
    t.coreLine(':srv 001 alice :Welcome');
    t.coreLine(':alice!~text@h JOIN #lobby');
    core.length = 0;
    user.length = 0;
  };
  return { t, core, user, registered };
}

function read(chunks: Array<Buffer | string>, max = 100, end = false): TextInput[] {
  const out: TextInput[] = [];
  const r = new TextLineReader(max);
  for (const c of chunks) r.push(Buffer.from(c), (i) => out.push(i));
  if (end) r.end((i) => out.push(i));
  return out;
}

const lines = (inputs: TextInput[]): string[] =>
  inputs.map((i) => (i.kind === 'line' ? i.text : `<${i.kind}>`));

describe('TextLineReader', () => {
  test('CRLF, LF, CR and empty lines', () => {
    assert.deepEqual(lines(read(['a\r\nb\nc\rd\n\n\r\n'])), ['a', 'b', 'c', 'd']);
  });
  test('lines split across chunks; a partial last line only at end', () => {
    assert.deepEqual(lines(read(['he', 'llo\nwor', 'ld'])), ['hello']);
    assert.deepEqual(lines(read(['he', 'llo\nwor', 'ld'], 100, true)), ['hello', 'world']);
  });
  test('telnet IAC commands are stripped, IAC IP is an interrupt, NUL dropped', () => {
    const negotiation = Buffer.from([255, 253, 1, 255, 251, 31, 255, 250, 31, 0, 80, 0, 24, 255, 240]);
    const out = read([Buffer.concat([negotiation, Buffer.from('hi\r\0'), Buffer.from([255, 244])])]);
    assert.deepEqual(lines(out), ['hi', '<interrupt>']);
  });
  test('invalid UTF-8 and overlong lines are reported, then reading goes on', () => {
    const out = read([Buffer.from([0xc3, 0x28, 10]), 'x'.repeat(20), 'y'.repeat(20), '\nok\n'], 30);
    assert.deepEqual(lines(out), ['<invalid-utf8>', '<overlong>', 'ok']);
  });
});

describe('TextTranslator: the name', () => {
  test('asks, checks the rules locally, registers with echo-message', () => {
    const { t, core, user } = harness();
    t.start();
    assert.deepEqual(user, ['What is your name?']);
    t.userLine('two words');
    assert.equal(core.length, 0);
    assert.match(user[1]!, /^Sorry, "two words" cannot be used as a name\./);
    assert.equal(user[2], 'What is your name?');
    t.userLine('alice');
    assert.deepEqual(core, [
      'CAP REQ :echo-message batch server-time',
      'CAP REQ :message-tags draft/multiline',
      'CAP REQ :draft/message-redaction',
      'NICK alice',
      'PING :tertulia-name-check',
    ]);
    // USER follows only once the core has taken the name (no 433 before the PONG).
    core.length = 0;
    t.coreLine(':srv PONG srv :tertulia-name-check');
    assert.deepEqual(core, ['USER text 0 * :alice', 'CAP END']);
  });

  test('a taken name asks again; the real name is the name finally chosen, not the refused one', () => {
    const { t, core, user } = harness();
    t.userLine('alice');
    t.coreLine(':srv 433 * alice :Nickname is already in use');
    t.coreLine(':srv PONG srv :tertulia-name-check');
    assert.deepEqual(user.slice(-2), ['Sorry, the name "alice" is already taken.', 'What is your name?']);
    assert.ok(!core.some((l) => l.startsWith('USER')), 'no USER with the refused name');
    core.length = 0;
    t.userLine('alicia');
    assert.deepEqual(core, ['NICK alicia', 'PING :tertulia-name-check']);
    t.coreLine(':srv PONG srv :tertulia-name-check');
    assert.deepEqual(core.slice(-2), ['USER text 0 * :alicia', 'CAP END']);
    t.coreLine(':srv 001 alicia :Welcome to the tertulia IRC Network');
    assert.ok(user.includes('Welcome to the best chat in the universe, alicia!'));
    assert.deepEqual(core.slice(-1), ['JOIN #lobby']);
  });

  test(':q, chao and bye leave, even before a name', () => {
    for (const word of [':q', 'CHAO', ' Bye ']) {
      const { t, core } = harness();
      t.userLine(word);
      assert.deepEqual(core, ['QUIT']);
    }
  });

  test('the welcome burst is quiet apart from the MOTD; PING is answered', () => {
    const { t, core, user } = harness();
    t.userLine('alice');
    core.length = 0;
    for (const l of [
      ':srv CAP * ACK :echo-message batch server-time',
      ':srv 001 alice :Welcome',
      ':srv 002 alice :Your host',
      ':srv 005 alice CHANTYPES=# :are supported',
      ':srv 251 alice :There are 1 users',
      ':srv 375 alice :- srv Message of the day -',
      ':srv 372 alice :- Welcome to the best chat in the universe, alice!',
      ':srv 372 alice :- Be nice.',
      ':srv 376 alice :End of /MOTD command.',
      'PING :srv',
    ])
      t.coreLine(l);
    assert.deepEqual(user, [
      'Welcome to the best chat in the universe, alice!',
      'Type a message and press Enter to talk. /help lists the commands; :q leaves.',
      'Be nice.',
    ]);
    assert.deepEqual(core, ['JOIN #lobby', 'PONG :srv']);
  });
});

describe('TextTranslator: typing', () => {
  test('plain lines go to the current room; // escapes a slash', () => {
    const { t, core, registered } = harness();
    registered();
    t.userLine('hola');
    t.userLine('//not a command');
    t.userLine('   ');
    assert.deepEqual(core, ['PRIVMSG #lobby :hola', 'PRIVMSG #lobby :/not a command']);
  });

  test('slash commands become IRC commands', () => {
    const { t, core, registered } = harness();
    registered();
    const cases: Array<[string, string]> = [
      ['/msg bob hi there', 'PRIVMSG bob :hi there'],
      ['/join #kitchen', 'JOIN #kitchen'],
      ['/join kitchen', 'JOIN #kitchen'],
      ['/part', 'PART #lobby'],
      ['/part #other see you', 'PART #other :see you'],
      ['/users', 'NAMES #lobby'],
      ['/rooms', 'LIST'],
      ['/who', 'WHO #lobby'],
      ['/who bob', 'WHO bob'],
      ['/nick alicia', 'NICK alicia'],
      ['/me waves', 'PRIVMSG #lobby :\x01ACTION waves\x01'],
      ['/away lunch', 'AWAY :lunch'],
      ['/away', 'AWAY'],
      ['/topic', 'TOPIC #lobby'],
      ['/topic New topic', 'TOPIC #lobby :New topic'],
      ['/history', 'CHATHISTORY LATEST #lobby * 20'],
      ['/history 5', 'CHATHISTORY LATEST #lobby * 5'],
      ['/quit', 'QUIT'],
      ['/quit see you', 'QUIT :see you'],
    ];
    for (const [typed, sent] of cases) {
      core.length = 0;
      t.userLine(typed);
      assert.deepEqual(core, [sent], typed);
    }
  });

  test('usage and unknown commands are answered locally', () => {
    const { t, core, user, registered } = harness();
    registered();
    t.userLine('/msg bob');
    t.userLine('/history zero');
    t.userLine('/bogus');
    t.userLine('/help');
    assert.equal(core.length, 0);
    assert.equal(user[0], 'Usage: /msg NAME TEXT');
    assert.match(user[1]!, /^Usage: \/history/);
    assert.match(user[2]!, /^There is no command \/bogus/);
    assert.ok(user.some((l) => l.includes('/quit [REASON]')));
  });

  test('control characters typed are dropped', () => {
    const { t, core, registered } = harness();
    registered();
    t.userLine('a\x1b[31mb\x07c');
    assert.deepEqual(core, ['PRIVMSG #lobby :a[31mbc']);
  });
});

describe('TextTranslator: reading', () => {
  test('messages, own echo, actions, private messages', () => {
    const { t, user, registered } = harness();
    registered();
    for (const l of [
      ':bob!~b@h PRIVMSG #lobby :hi',
      ':alice!~text@h PRIVMSG #lobby :hello',
      ':bob!~b@h PRIVMSG #lobby :\x01ACTION waves\x01',
      ':bob!~b@h PRIVMSG #other :elsewhere',
      ':bob!~b@h PRIVMSG alice :psst',
      ':alice!~text@h PRIVMSG bob :psst back',
      ':bob!~b@h PRIVMSG alice :\x01VERSION\x01',
      ':bob!~b@h NOTICE #lobby :heads up',
      ':srv NOTICE alice :Server restarting soon',
      ':NickServ!NickServ@services. NOTICE alice :This nick is registered',
    ])
      t.coreLine(l);
    assert.deepEqual(user, [
      'bob: hi',
      'alice (you): hello',
      '* bob waves',
      '[#other] bob: elsewhere',
      '[private] bob: psst',
      '[private] (you) -> bob: psst back',
      '[notice] bob: heads up',
      '[server] Server restarting soon',
      '[private] [notice] NickServ: This nick is registered',
    ]);
  });

  test('joins, parts, quits, nick changes, topics, kicks', () => {
    const { t, user, registered } = harness();
    registered();
    for (const l of [
      ':bob!~b@h JOIN #lobby',
      ':bob!~b@h PART #lobby :later',
      ':bob!~b@h QUIT :Quit: bye',
      ':carl!~c@h QUIT :Client Quit',
      ':dan!~d@h QUIT :Ping timeout: 120 seconds',
      ':eve!~e@h NICK eva',
      ':eva!~e@h TOPIC #lobby :Welcome all',
      ':alice!~text@h NICK alicia',
      ':eva!~e@h KICK #lobby alicia :behave',
    ])
      t.coreLine(l);
    assert.deepEqual(user, [
      '* bob has joined #lobby',
      '* bob has left #lobby (later)',
      '* bob has left the chat (bye)',
      '* carl has left the chat',
      '* dan has left the chat (Ping timeout: 120 seconds)',
      '* eve is now known as eva.',
      '* eva changed the topic of #lobby to: Welcome all',
      '* You are now known as alicia.',
      '* eva removed you from #lobby (behave)',
      'You are not in any room now. Type /join #room to enter one.',
    ]);
    assert.equal(t.current, null);
  });

  test('names, list and who are gathered into readable answers', () => {
    const { t, user, registered } = harness();
    registered();
    t.userLine('/users');
    t.coreLine(':srv 353 alice = #lobby :@bob alice');
    t.coreLine(':srv 353 alice = #lobby :+carl');
    t.coreLine(':srv 366 alice #lobby :End of /NAMES list');
    t.userLine('/rooms');
    t.coreLine(':srv 321 alice Channel :Users  Name');
    t.coreLine(':srv 322 alice #lobby 3 :[+nt] chat');
    t.coreLine(':srv 322 alice #x 1 :');
    t.coreLine(':srv 323 alice :End of /LIST');
    t.userLine('/who');
    t.coreLine(':srv 352 alice #lobby ~b h srv bob G@ :0 Bob B');
    t.coreLine(':srv 315 alice #lobby :End of /WHO list');
    assert.deepEqual(user, [
      '3 people in #lobby: bob (op), alice (you), carl',
      'Rooms (2):',
      '  #lobby (3 people) — chat',
      '  #x (1 person)',
      'Who is in #lobby (1):',
      '  bob (~b@h) "Bob B" [away, room operator]',
    ]);
  });

  test('history batches have a header, times and a footer', () => {
    const { t, user, registered } = harness();
    registered();
    t.coreLine(':srv BATCH +b1 chathistory #lobby');
    t.coreLine('@batch=b1;time=2024-05-01T10:20:30.000Z :bob!~b@h PRIVMSG #lobby :old');
    t.coreLine('@batch=b1;time=2024-05-01T10:21:00.000Z :alice!~text@h PRIVMSG #lobby :mine');
    t.coreLine(':srv BATCH -b1');
    t.coreLine(':srv BATCH +b2 chathistory #empty');
    t.coreLine(':srv BATCH -b2');
    assert.deepEqual(user, [
      '--- Messages in #lobby (times in UTC) ---',
      '[10:20] bob: old',
      '[10:21] alice (you): mine',
      '--- End of history ---',
      '--- Messages in #empty (times in UTC) ---',
      '--- No messages in #empty yet ---',
    ]);
  });

  test('error numerics become sentences; unknown replies are ignored', () => {
    const { t, user, registered } = harness();
    registered();
    for (const l of [
      ':srv 401 alice zed :No such nick/channel',
      ':srv 403 alice #nope :No such channel',
      ':srv 404 alice #mod :Cannot send to channel (+m)',
      ':srv 432 alice 9x :Erroneous nickname',
      ':srv 433 alice bob :Nickname is already in use',
      ":srv 442 alice #x :You're not on that channel",
      ":srv 482 alice #x :You're not channel operator",
      ':srv 417 alice :Input line was too long',
      ':srv 999 alice :something odd',
      ':srv 333 alice #lobby bob 12345',
      ':srv FAIL CHATHISTORY MESSAGE_ERROR LATEST #x :History is not available on this server',
    ])
      t.coreLine(l);
    assert.deepEqual(user.slice(0, 3), [
      'There is nobody called "zed" here right now.',
      'There is no room called #nope.',
      'Your message was not sent: you cannot speak in #mod right now (Cannot send to channel (+m)).',
    ]);
    assert.match(user[3]!, /^"9x" cannot be used as a name \(Erroneous nickname\)\./);
    assert.deepEqual(user.slice(4), [
      'The name "bob" is already taken.',
      'You are not in #x.',
      'You need to be an operator of #x to do that.',
      'That message was too long and was not sent.',
      'History is not available on this server',
    ]);
  });

  test('ERROR lines say why the connection ends', () => {
    const cases: Array<[string, string]> = [
      ['ERROR :Closing link: (~text@h) [Quit: bye]', 'Goodbye, alice!'],
      [
        'ERROR :Closing link: (~text@h) [Excess Flood]',
        'You sent too many lines too quickly and were disconnected (Excess Flood).',
      ],
      ['ERROR :Closing link: (~text@h) [Killed (oper)]', 'You were disconnected: Killed (oper)'],
    ];
    for (const [line, said] of cases) {
      const { t, user, registered } = harness();
      registered();
      t.coreLine(line);
      assert.deepEqual(user, [said]);
      t.userLine('more');
      assert.equal(t.phase, 'closed');
    }
  });

  test('clean() strips formatting and terminal escapes', () => {
    assert.equal(clean('\x02b\x02 \x0304,01c\x03 \x1b[2J\x07z'), 'b c [2Jz');
  });
});
