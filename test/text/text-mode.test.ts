/**
 * Plain-text mode over real sockets, exactly as `nc` or `telnet` would use it (issue 5,
 * seeds 002 and 004).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { NcClient } from './text-client.js';

let server: TestServer;
let port: number;
const open: Array<{ close(): void }> = [];

before(async () => {
  server = await startServer();
  port = server.textPort;
  assert.ok(port > 0);
});

after(async () => {
  for (const c of open) c.close();
  await server.stop();
});

async function person(name: string): Promise<NcClient> {
  const c = await NcClient.join(port, name);
  open.push(c);
  return c;
}

async function ircUser(nick: string): Promise<TestClient> {
  const c = await TestClient.register(server.port, nick);
  open.push({ close: () => c.socket.destroy() });
  return c;
}

describe('text mode: arriving', () => {
  test('asks for a name, re-asks on an invalid then a taken name, welcomes by name, joins #lobby', async () => {
    const first = await person('ana');
    const c = await NcClient.connect(port);
    open.push(c);
    await c.waitFor('What is your name?');
    c.type('no spaces allowed');
    await c.waitFor(/^Sorry, "no spaces allowed" cannot be used as a name\. A name has 1 to 30 characters/);
    await c.waitFor('What is your name?');
    c.type('1digit');
    await c.waitFor(/cannot be used as a name/);
    await c.waitFor('What is your name?');
    c.type('ANA');
    await c.waitFor('Sorry, the name "ANA" is already taken.');
    await c.waitFor('What is your name?');
    c.type('beto');
    await c.waitFor('Welcome to the best chat in the universe, beto!');
    await c.waitFor('* You joined #lobby. What you type now goes to #lobby.');
    // #lobby belongs to the server: its first joiner is not its operator (docs/PERMISSIONS.md).
    await c.waitFor(/^2 people in #lobby: (ana, beto \(you\)|beto \(you\), ana)$/);
    await first.waitFor('* beto has joined #lobby');
    // The console shows the seed's line for text users too.
    assert.ok(
      server.logs.some(
        (l) => l.includes('[SERVER] Client: beto connected!') || l.includes('Client: beto connected!'),
      ),
    );
    // The refused name does not stick: WHOIS (RFC 2812 §3.6.2, 311) shows the real name
    // the person ended up with.
    const looker = await ircUser('looker');
    looker.send('WHOIS beto');
    const whois = await looker.expect('311', 'looker', 'beto');
    assert.equal(whois.params.at(-1), 'beto', whois.raw);
    c.type(':q');
    await c.waitFor('Goodbye, beto!');
    await c.waitClosed();
    await first.waitFor('* beto has left the chat');
  });

  test('a registered name typed without logging in gets a guest name at once, says why and how to log in; IDENTIFY gives it back', async () => {
    const owner = await ircUser('rosa');
    owner.send('REGISTER * * :rosapw');
    await owner.expect('900');
    owner.send('JOIN #lobby');
    await owner.expect('366');
    owner.send('QUIT');
    await owner.waitClosed();
    const watcher = await ircUser('vigia');
    watcher.send('JOIN #lobby');
    await watcher.expect('366');
    const c = await NcClient.connect(port);
    open.push(c);
    await c.waitFor('What is your name?');
    c.type('rosa');
    const welcome = await c.waitFor(/^Welcome to the best chat in the universe, Guest\d+!$/);
    const guest = /(Guest\d+)/.exec(welcome)![1]!;
    await c.waitFor(
      `"rosa" belongs to a registered account, so you are ${guest} for now. If it is yours, type: /msg NickServ IDENTIFY rosa <password>`,
    );
    await c.waitFor(/^\d+ people in #lobby: /);
    c.type('soy rosa, lo juro');
    const said = await watcher.expect('PRIVMSG', '#lobby', 'soy rosa, lo juro');
    assert.equal(said.source!.split('!')[0], guest);
    c.type('/msg NickServ IDENTIFY rosa rosapw');
    await c.waitFor('* You are now known as rosa.');
    // rosa is always-on (the default): she never left #lobby, so the guest becomes her, and
    // the room sees the guest go (docs/PEOPLE.md, "Attach").
    const quit = await watcher.expect('QUIT');
    assert.match(quit.source!, new RegExp(`^${guest}!`));
    assert.equal(quit.params[0], 'Logged in as rosa');
    c.type('hola otra vez');
    const again = await watcher.expect('PRIVMSG', '#lobby', 'hola otra vez');
    assert.match(again.source!, /^rosa!/);
  });

  test("Debian's nc (netcat-openbsd, no -N/-q) exits after the goodbye, with its stdin still open", async (t) => {
    if (spawnSync('sh', ['-c', 'command -v nc'], { stdio: 'ignore' }).status !== 0) {
      if (process.env.CI) throw new Error('CI must have nc (netcat-openbsd) installed');
      t.skip('nc not installed');
      return;
    }
    const nc = spawn('nc', ['127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    nc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((done) => nc.on('exit', (code) => done(code)));
    nc.stdin.write('Poli1\n');
    while (!out.includes('Welcome to the best chat')) await new Promise((r) => setTimeout(r, 50));
    nc.stdin.write('chao\n'); // stdin stays open, as a person's terminal does
    const timer = setTimeout(() => nc.kill(), 10_000);
    await exited;
    clearTimeout(timer);
    assert.match(out, /Goodbye, Poli1!/);
    assert.equal(nc.killed, false, `nc did not exit by itself; it printed:\n${out}`);
  });

  test('the service names cannot be taken', async () => {
    const c = await NcClient.connect(port);
    open.push(c);
    await c.waitFor('What is your name?');
    c.type('NickServ');
    await c.waitFor(/^Sorry, "NickServ" cannot be used as a name \(Nickname is reserved for a service\)/);
    await c.waitFor('What is your name?');
    c.close();
  });
});

describe('text mode: talking', () => {
  test('two text users: others as "bob: text", oneself as "(you)"', async () => {
    const alice = await person('alice');
    const bob = await person('bob');
    await alice.waitFor('* bob has joined #lobby');
    alice.type('hola a todos');
    await alice.waitFor('alice (you): hola a todos');
    await bob.waitFor('alice: hola a todos');
    bob.type('hola alice');
    await alice.waitFor('bob: hola alice');
    await bob.waitFor('bob (you): hola alice');
    bob.type('//shrug is a slash');
    await alice.waitFor('bob: /shrug is a slash');
    alice.type('/me waves');
    await bob.waitFor('* alice waves');
    await alice.waitFor('* alice (you) waves');
    alice.type('bye');
    await alice.waitFor('Goodbye, alice!');
    await alice.waitClosed();
    await bob.waitFor('* alice has left the chat');
    bob.type('chao');
    await bob.waitClosed();
  });

  test('a text user and an IRC user see each other', async () => {
    const irc = await ircUser('ircer');
    irc.send('JOIN #lobby');
    await irc.expect('366');
    const carla = await person('carla');
    await irc.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('carla!') === true);
    carla.type('hello from nc');
    const got = await irc.waitFor((m) => m.command === 'PRIVMSG');
    assert.equal(got.source?.split('!')[0], 'carla');
    assert.deepEqual(got.params, ['#lobby', 'hello from nc']);
    irc.send('PRIVMSG #lobby :hello from irc');
    await carla.waitFor('ircer: hello from irc');
    irc.send('PRIVMSG #lobby :\x01ACTION dances\x01');
    await carla.waitFor('* ircer dances');
    // Formatting codes and terminal escapes never reach the terminal.
    irc.send('PRIVMSG #lobby :\x02bold\x02 \x0304red\x03 \x1b[2Jclear');
    await carla.waitFor('ircer: bold red [2Jclear');

    // Private messages both ways.
    carla.type('/msg ircer psst');
    await carla.waitFor('[private] (you) -> ircer: psst');
    const dm = await irc.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === 'ircer');
    assert.equal(dm.params[1], 'psst');
    irc.send('PRIVMSG carla :secret back');
    await carla.waitFor('[private] ircer: secret back');

    carla.type(':q');
    const quit = await irc.waitFor((m) => m.command === 'QUIT');
    assert.equal(quit.source?.split('!')[0], 'carla');
    await carla.waitClosed();
  });

  test('the IRC user leaving is "has left the chat" on the text side', async () => {
    const dora = await person('dora');
    const irc = await ircUser('leaver');
    irc.send('JOIN #lobby');
    await dora.waitFor('* leaver has joined #lobby');
    irc.send('QUIT :hasta luego');
    await dora.waitFor('* leaver has left the chat (hasta luego)');
    dora.close();
  });
});

describe('text mode: commands', () => {
  test('/join /users /rooms /who /nick /topic /part /help /away and errors', async () => {
    const eva = await person('eva');
    const fede = await person('fede');
    eva.type('/join #cocina');
    await eva.waitFor('* You joined #cocina. What you type now goes to #cocina.');
    await eva.waitFor('1 person in #cocina: eva (you, op)');
    eva.type('solo aqui');
    await eva.waitFor('eva (you): solo aqui');
    fede.type('en el lobby');
    await eva.waitFor('[#lobby] fede: en el lobby');
    eva.type('/join #lobby');
    await eva.waitFor('You are now talking in #lobby.');
    eva.type('/users');
    await eva.waitFor(/^\d+ people in #lobby: .*eva \(you\)/);
    eva.type('/rooms');
    await eva.waitFor('Rooms (2):');
    const rooms = [await eva.waitFor(/^ {2}#/), await eva.waitFor(/^ {2}#/)].sort();
    assert.match(rooms[0]!, /^ {2}#cocina \(1 person\)/);
    assert.match(rooms[1]!, /^ {2}#lobby \(\d+ people\)/);
    eva.type('/who');
    await eva.waitFor(/^Who is in #lobby \(\d+\):$/);
    eva.type('/join cocina');
    await eva.waitFor('You are now talking in #cocina.');
    eva.type('/topic Recetas');
    await eva.waitFor('* eva changed the topic of #cocina to: Recetas');
    eva.type('/topic');
    await eva.waitFor('Topic of #cocina: Recetas');
    eva.type('/part');
    await eva.waitFor('* You left #cocina.');
    await eva.waitFor('You are now talking in #lobby.');
    eva.type('/nick evita');
    await eva.waitFor('* You are now known as evita.');
    await fede.waitFor('* eva is now known as evita.');
    eva.type('ahora soy evita');
    await fede.waitFor('evita: ahora soy evita');
    await eva.waitFor('evita (you): ahora soy evita');
    eva.type('/nick fede');
    await eva.waitFor('The name "fede" is already taken.');
    eva.type('/msg nadie hola');
    await eva.waitFor('There is nobody called "nadie" here right now.');
    eva.type('/away comiendo');
    await eva.waitFor('You are now marked as away. /away alone brings you back.');
    fede.type('/msg evita hola');
    await fede.waitFor('evita is away: comiendo');
    eva.type('/away');
    await eva.waitFor('You are no longer marked as away.');
    eva.type('/frobnicate');
    await eva.waitFor(
      'There is no command /frobnicate. Type /help for the list, or // to start a line with /.',
    );
    eva.type('/help');
    await eva.waitFor(/^ {2}\/msg NAME TEXT/);
    await eva.waitFor(/^ {2}\/history \[N\]/);
    eva.type('/join #bad,name');
    await eva.waitFor(/is not a valid room name/);
    eva.type('/quit me voy');
    await eva.waitFor('Goodbye, evita!');
    await fede.waitFor('* evita has left the chat (me voy)');
    fede.close();
  });

  test("/history shows the room's last messages with times", async () => {
    const gabi = await person('gabi');
    await new Promise((r) => setTimeout(r, 50));
    gabi.type('/join #historia');
    await gabi.waitFor(/^1 person in #historia/);
    gabi.type('/history');
    await gabi.waitFor('--- No messages in #historia yet ---');
    for (const t of ['uno', 'dos', 'tres']) {
      gabi.type(t);
      await gabi.waitFor(`gabi (you): ${t}`);
    }
    gabi.type('/history 2');
    await gabi.waitFor('--- Messages in #historia (times in UTC) ---');
    await gabi.waitFor(/^\[\d\d:\d\d\] gabi \(you\): dos$/);
    await gabi.waitFor(/^\[\d\d:\d\d\] gabi \(you\): tres$/);
    await gabi.waitFor('--- End of history ---');
    gabi.type('/history lots');
    await gabi.waitFor(/^Usage: \/history \[N\]/);
    // Someone joining later sees the recent messages of the room.
    const hugo = await NcClient.connect(port);
    open.push(hugo);
    await hugo.waitFor('What is your name?');
    hugo.type('hugo');
    await hugo.waitFor('Welcome to the best chat in the universe, hugo!');
    hugo.type('/join #historia');
    await hugo.waitFor('--- Messages in #historia (times in UTC) ---');
    await hugo.waitFor(/^\[\d\d:\d\d\] gabi: uno$/);
    gabi.close();
  });
});

describe('text mode: the wire', () => {
  test('CRLF, LF only, and a partial last line before closing are all delivered', async () => {
    const watcher = await ircUser('watcher');
    watcher.send('JOIN #lobby');
    await watcher.expect('366');
    const c = await NcClient.connect(port);
    await c.waitFor('What is your name?');
    c.raw('ines\r\n');
    await c.waitFor('Welcome to the best chat in the universe, ines!');
    await c.waitFor(/in #lobby: /);
    c.raw('with crlf\r\nwith lf\n');
    c.raw('partial, no newline');
    const collect = watcher.waitFor((m) => m.command === 'QUIT');
    await c.waitFor('ines (you): with lf');
    c.socket.end(); // nc at end of input: the last line has no line end
    const quit = await collect;
    const texts = watcher.received
      .filter((m) => m.command === 'PRIVMSG' && m.source?.startsWith('ines!'))
      .map((m) => m.params[1]);
    assert.deepEqual(texts, ['with crlf', 'with lf', 'partial, no newline']);
    assert.equal(quit.source?.split('!')[0], 'ines');
    assert.equal(quit.params[0], 'Quit: Connection closed');
    await c.waitClosed();
  });

  test('closing the socket abruptly: the room sees the user leave', async () => {
    const jose = await person('jose');
    const kim = await person('kim');
    await jose.waitFor('* kim has joined #lobby');
    kim.socket.destroy();
    await jose.waitFor(/^\* kim has left the chat/);
    jose.close();
  });

  test('telnet negotiation is stripped, invalid UTF-8 and overlong lines get a sentence', async () => {
    const lu = await person('lu');
    const c = await NcClient.connect(port);
    open.push(c);
    await c.waitFor('What is your name?');
    // IAC DO ECHO, IAC WILL NAWS, IAC SB NAWS 0 80 0 24 IAC SE, then the name, CR NUL.
    c.raw(Buffer.from([255, 253, 1, 255, 251, 31, 255, 250, 31, 0, 80, 0, 24, 255, 240]));
    c.raw(Buffer.concat([Buffer.from('mar'), Buffer.from([13, 0])]));
    await c.waitFor('Welcome to the best chat in the universe, mar!');
    await c.waitFor(/in #lobby: /);
    c.raw(Buffer.from([0x68, 0xc3, 0x28, 0x0a]));
    await c.waitFor(
      'That line was not valid UTF-8 text and was not sent. Please set your terminal to UTF-8.',
    );
    c.raw(`${'x'.repeat(5000)}\n`);
    await c.waitFor('That line was too long and was not sent.');
    c.raw(`${'y'.repeat(600)}\n`);
    await c.waitFor('That message was too long and was not sent.');
    c.type('¿qué tal? ñandú');
    await lu.waitFor('mar: ¿qué tal? ñandú');
    // telnet's Ctrl+C (IAC IP) leaves.
    c.raw(Buffer.from([255, 244]));
    await c.waitFor('Goodbye, mar!');
    await lu.waitFor('* mar has left the chat');
    await c.waitClosed();
  });

  test('a flood disconnects with a sentence; everyone else carries on', async () => {
    const strict = await startServer({ floodBurst: 5, floodRate: 1, floodQueue: 5 });
    try {
      const c = await NcClient.connect(strict.textPort);
      await c.waitFor('What is your name?');
      c.type('flooder');
      await c.waitFor(/in #lobby: /, 8000);
      c.raw('spam\n'.repeat(50));
      await c.waitFor('You sent too many lines too quickly and were disconnected (Excess Flood).');
      await c.waitClosed();
    } finally {
      await strict.stop();
    }
  });
});

describe('text mode: message features (docs/MESSAGE-FEATURES.md)', () => {
  test('a multiline message, a reply, a reaction, an edit and a deletion read as sentences', async () => {
    const nc = await person('nuria');
    const irc = await ircUser('pablo');
    irc.send('CAP REQ :message-tags echo-message batch draft/multiline draft/message-redaction');
    irc.send('JOIN #lobby');
    await nc.waitFor('* pablo has joined #lobby');

    // A trailing backslash continues the line: the person's three lines are one message.
    nc.type('first line\\');
    nc.type('second line\\');
    nc.type('third line');
    const batch = await irc.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'draft/multiline');
    const id = batch.params[0]!.slice(1);
    const lines = await irc.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`);
    assert.deepEqual(
      lines.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]),
      ['first line', 'second line', 'third line'],
    );
    await nc.waitFor('nuria (you): first line');
    await nc.waitFor('    second line');
    const mine = batch.tags['msgid']!;

    // An IRC user's multiline message, reply, reaction, edit and deletion.
    irc.send('BATCH +p draft/multiline #lobby');
    irc.send('@batch=p PRIVMSG #lobby :uno');
    irc.send('@batch=p PRIVMSG #lobby :dos');
    irc.send('BATCH -p');
    await nc.waitFor('pablo: uno');
    await nc.waitFor('    dos');
    irc.send(`@+draft/reply=${mine} PRIVMSG #lobby :nice list`);
    await nc.waitFor('pablo: (replying to nuria) nice list');
    irc.send(`@+draft/react=👍;+draft/reply=${mine} TAGMSG #lobby`);
    await nc.waitFor('* pablo reacted 👍 to nuria: "first line second line third …"');
    irc.send('PRIVMSG #lobby :helo');
    const typo = await irc.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'helo');
    irc.send(`@+draft/edit=${typo.tags['msgid']} PRIVMSG #lobby :hello`);
    await nc.waitFor('pablo: hello (edited)');
    irc.send(`REDACT #lobby ${typo.tags['msgid']}`);
    await nc.waitFor('* A message from pablo was deleted');
  });
});
