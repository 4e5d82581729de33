/**
 * Protocol conformance over real sockets (issue 15): the behaviours modern clients rely on,
 * each checked against the section of RFC 2812, modern.ircdocs.horse or ircv3.net it follows.
 * One server for the file; every test uses nicks and rooms of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const TAGS = ['message-tags', 'server-time', 'echo-message', 'batch', 'labeled-response'];

/** The part of a received line after its tags: what RFC 2812 §2.3 limits to 510 bytes + CR LF. */
function bodyBytes(m: Received): number {
  const raw = m.raw.startsWith('@') ? m.raw.slice(m.raw.indexOf(' ') + 1) : m.raw;
  return Buffer.byteLength(raw, 'utf8') + 2;
}

function tagBytes(m: Received): number {
  return m.raw.startsWith('@') ? Buffer.byteLength(m.raw.slice(0, m.raw.indexOf(' ') + 1), 'utf8') : 0;
}

/** Everything a client receives until the answer to a PING: the whole reply to what it sent before. */
async function reply(c: TestClient): Promise<Received[]> {
  const token = `r${Math.random().toString(36).slice(2)}`;
  c.send(`PING ${token}`);
  const all = await c.until((m) => m.command === 'PONG' && m.params.at(-1) === token);
  return all.slice(0, -1);
}

describe('protocol conformance (issue 15)', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  const reg = async (nick: string, caps: string[] = []): Promise<TestClient> => {
    const c = await TestClient.register(srv.port, nick, caps);
    clients.push(c);
    return c;
  };
  const room = async (name: string, ...members: TestClient[]): Promise<void> => {
    for (const m of members) {
      m.send(`JOIN ${name}`);
      await m.expect('366', m.nick, name);
    }
    for (const m of members) await m.sync();
  };

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  // ---------------------------------------------------------------- line limits

  test('RFC 2812 §2.3: a 510-byte PRIVMSG is cut to fit once the prefix is added, on a UTF-8 boundary', async () => {
    const alice = await reg('limAlice', TAGS);
    const bob = await reg('limBob');
    await room('#limits', alice, bob);
    const head = 'PRIVMSG #limits :';
    // 'é' is two bytes and the ASCII head is odd-sized: a byte cut would land inside one.
    const text = 'x' + 'é'.repeat((510 - head.length - 1) / 2);
    assert.equal(Buffer.byteLength(head + text), 510);
    alice.send(head + text);
    const got = await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === '#limits');
    assert.ok(bodyBytes(got) <= 512, `relayed line is ${bodyBytes(got)} bytes`);
    const shown = got.params[1]!;
    assert.ok(shown.length < text.length, 'the text was cut');
    assert.ok(text.startsWith(shown), 'what arrives is a prefix of what was sent, no broken character');
    assert.ok(!shown.includes('\ufffd'));
    // The echo (and so the message as stored) is the same cut text.
    const echo = await alice.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === '#limits');
    assert.equal(echo.params[1], shown);
    assert.ok(bodyBytes(echo) <= 512);

    // A private message too.
    alice.send(`PRIVMSG limBob :${'y'.repeat(510 - 'PRIVMSG limBob :'.length)}`);
    const dm = await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === 'limBob');
    assert.ok(bodyBytes(dm) <= 512, `relayed DM is ${bodyBytes(dm)} bytes`);
    assert.match(dm.params[1]!, /^y+$/);
  });

  test('RFC 2812 §2.3: NOTICE is cut to fit as well', async () => {
    const alice = await reg('limNa');
    const bob = await reg('limNb');
    alice.send(`NOTICE limNb :${'z'.repeat(510 - 'NOTICE limNb :'.length)}`);
    const got = await bob.waitFor((m) => m.command === 'NOTICE' && m.params[0] === 'limNb');
    assert.ok(bodyBytes(got) <= 512, `relayed NOTICE is ${bodyBytes(got)} bytes`);
  });

  test('RFC 2812 §2.3: replies that quote client input (CAP REQ, REGISTER, an edit msgid) fit in 512 bytes', async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    // CAP NAK quotes the whole request (capability-negotiation §CAP REQ).
    const caps = Array.from({ length: 60 }, (_, i) => `no-such-cap-${i}`).join(' ');
    const reqLine = `CAP REQ :${caps}`.slice(0, 510);
    c.send(reqLine);
    const nak = await c.expect('CAP', '*', 'NAK');
    assert.ok(bodyBytes(nak) <= 512, `CAP NAK is ${bodyBytes(nak)} bytes`);
    c.send('CAP END');
    c.nick = 'limReg';
    c.send('NICK limReg');
    c.send('USER limreg 0 * :Lim Reg');
    await c.expect('001');
    // REGISTER quotes the account name and the email in its FAIL (account-registration §Errors).
    const longEmail = `${'e'.repeat(240)}@${'d'.repeat(200)}`;
    c.send(`REGISTER limReg ${longEmail} secret-password`);
    const bad = await c.expect('FAIL', 'REGISTER', 'INVALID_EMAIL');
    assert.ok(bodyBytes(bad) <= 512, `FAIL REGISTER is ${bodyBytes(bad)} bytes`);
    const name = 'n'.repeat(480);
    c.send(`REGISTER ${name} * secret-password`);
    const badName = await c.expect('FAIL', 'REGISTER', 'BAD_ACCOUNT_NAME');
    assert.ok(bodyBytes(badName) <= 512, `FAIL REGISTER is ${bodyBytes(badName)} bytes`);

    // An edit naming an unknown msgid quotes a client tag value of up to 4094 bytes.
    const editor = await reg('limEdit', TAGS);
    await room('#limedit', editor);
    editor.send(`@+draft/edit=${'m'.repeat(3000)} PRIVMSG #limedit :fixed`);
    const fail = await editor.expect('FAIL', 'PRIVMSG', 'UNKNOWN_MSGID');
    assert.ok(bodyBytes(fail) <= 512, `FAIL PRIVMSG is ${bodyBytes(fail)} bytes`);
  });

  test('message-tags §Size limit: a relayed line keeps its tag section within 8191 bytes', async () => {
    const alice = await reg('tagAlice', TAGS);
    const bob = await reg('tagBob', TAGS);
    await room('#tagsize', alice, bob);
    // The client may send 4094 bytes of client tags; the server adds time, msgid, account.
    alice.send(`@+draft/reply=${'r'.repeat(4000)} PRIVMSG #tagsize :hi`);
    const got = await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === '#tagsize');
    assert.ok(tagBytes(got) <= 8191);
    assert.equal(got.tags['+draft/reply'], 'r'.repeat(4000));
  });

  test('IRCv3 websocket §Messages: over WebSocket a long relayed line is cut at the limit, never split', async () => {
    const alice = await reg('wsAlice');
    const bob = await TestClient.connectWs(srv.httpPort);
    clients.push(bob);
    await bob.registerAs('wsBob');
    alice.send(`PRIVMSG wsBob :${'w'.repeat(510 - 'PRIVMSG wsBob :'.length)}`);
    const got = await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[0] === 'wsBob');
    assert.ok(bodyBytes(got) <= 512, `WebSocket message is ${bodyBytes(got)} bytes`);
    assert.match(got.params[1]!, /^w+$/);
    const rest = await reply(bob);
    assert.deepEqual(
      rest.filter((m) => m.command === 'PRIVMSG'),
      [],
      'the cut part is not sent as a second message',
    );
  });

  // ---------------------------------------------------------------- NOTICE

  test('RFC 2812 §3.3.2: NOTICE never triggers an automatic reply, not even an error', async () => {
    const alice = await reg('noticeA');
    const bob = await reg('noticeB');
    bob.send('JOIN #noticemod');
    await bob.expect('366');
    bob.send('MODE #noticemod +n');
    await bob.sync();
    alice.send('NOTICE #nowhere :hello?');
    alice.send('NOTICE nobodyhere :hello?');
    alice.send('NOTICE #noticemod :from outside');
    alice.send('NOTICE');
    alice.send('NOTICE noticeB');
    const got = await reply(alice);
    assert.deepEqual(
      got.map((m) => m.raw),
      [],
    );
    // PRIVMSG still gets its errors (RFC 2812 §3.3.1).
    alice.send('PRIVMSG nobodyhere :hello?');
    await alice.expect('401');
  });

  // ---------------------------------------------------------------- USER

  test('modern.ircdocs.horse §USER: an empty real name gets 461; a non-ASCII user name registers sanitised', async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    c.send('NICK userEmpty');
    c.send('USER name * * :');
    await c.expect('461', 'userEmpty', 'USER');
    c.send('USER name * * :Real Name');
    await c.expect('001');

    const e = await TestClient.connect(srv.port);
    clients.push(e);
    e.send('NICK userEmoji');
    e.send(`USER ${'😀'.repeat(10)} 0 * :Emoji Person`);
    const welcome = await e.expect('001');
    assert.match(welcome.params[1]!, /userEmoji!~[\x21-\x7e]+@/);
    e.send('WHOIS userEmoji');
    const whois = await e.expect('311');
    assert.match(whois.params[2]!, /^~[a-zA-Z0-9]+$/);
  });

  // ---------------------------------------------------------------- MODE

  test('modern.ircdocs.horse §ERR_INVALIDMODEPARAM: MODE +k or +l with an empty parameter gets 696', async () => {
    const op = await reg('modeOp');
    await room('#modes696', op);
    op.send('MODE #modes696 +k :');
    const k = await op.expect('696');
    assert.deepEqual(k.params.slice(1, 3), ['#modes696', 'k']);
    op.send('MODE #modes696 +l :');
    const l = await op.expect('696');
    assert.deepEqual(l.params.slice(1, 3), ['#modes696', 'l']);
    // A missing parameter is still 461.
    op.send('MODE #modes696 +k');
    await op.expect('461');
  });

  // ---------------------------------------------------------------- accounts, history

  test('draft/account-registration §Errors: REGISTER of an existing account is ACCOUNT_EXISTS, even while its owner is online', async () => {
    const owner = await reg('regOwner', ['draft/account-registration']);
    owner.send('REGISTER regOwner * secret-owner');
    await owner.expect('REGISTER', 'SUCCESS');
    const other = await reg('regOther', ['draft/account-registration']);
    other.send('REGISTER regOwner * another-password');
    const fail = await other.expect('FAIL', 'REGISTER');
    assert.deepEqual(fail.params.slice(1, 3), ['ACCOUNT_EXISTS', 'regOwner']);
    other.send('REGISTER REGOWNER * another-password');
    assert.equal((await other.expect('FAIL', 'REGISTER')).params[1], 'ACCOUNT_EXISTS');
  });

  test('draft/event-playback: a TOPIC carries a msgid like every event a client may see again', async () => {
    const op = await reg('topicOp', TAGS);
    const member = await reg('topicMember', TAGS);
    await room('#topicid', op, member);
    op.send('TOPIC #topicid :the plan');
    const seen = await member.expect('TOPIC', '#topicid', 'the plan');
    assert.match(seen.tags['msgid'] ?? '', /^[A-Za-z0-9_-]+$/);
    const echoed = await op.expect('TOPIC', '#topicid', 'the plan');
    assert.equal(echoed.tags['msgid'], seen.tags['msgid'], 'one event, one msgid');
  });

  test('draft/multiline §Client-to-server: concat lines reach capable clients as sent; others get them merged', async () => {
    const ml = ['draft/multiline', ...TAGS];
    const alice = await reg('mlAlice', ml);
    const bob = await reg('mlBob', ml);
    const plain = await reg('mlPlain');
    await room('#mlconcat', alice, bob, plain);
    alice.send('BATCH +c1 draft/multiline #mlconcat');
    alice.send('@batch=c1 PRIVMSG #mlconcat :hel');
    alice.send('@batch=c1;draft/multiline-concat PRIVMSG #mlconcat :lo ');
    alice.send('@batch=c1;draft/multiline-concat PRIVMSG #mlconcat :world');
    alice.send('@batch=c1 PRIVMSG #mlconcat :second line');
    alice.send('BATCH -c1');
    const open = await bob.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'draft/multiline');
    const id = open.params[0]!.slice(1);
    const lines = (await bob.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`)).filter(
      (m) => m.command === 'PRIVMSG',
    );
    assert.deepEqual(
      lines.map((m) => [m.params[1], m.tags['draft/multiline-concat'] !== undefined]),
      [
        ['hel', false],
        ['lo ', true],
        ['world', true],
        ['second line', false],
      ],
    );
    const merged = await plain.expect('PRIVMSG', '#mlconcat');
    assert.equal(merged.params[1], 'hello world');
    assert.equal((await plain.expect('PRIVMSG', '#mlconcat')).params[1], 'second line');
  });

  // ---------------------------------------------------------------- bot mode

  test('IRCv3 bot-mode: BOT=B in ISUPPORT, +B user mode, RPL_WHOISBOT, the WHO flag and the bot tag', async () => {
    const bot = await TestClient.connect(srv.port);
    clients.push(bot);
    bot.nick = 'robot';
    bot.send('NICK robot');
    bot.send('USER robot 0 * :A Robot');
    const isupport = (await bot.until((m) => m.command === '376' || m.command === '422')).filter(
      (m) => m.command === '005',
    );
    assert.ok(
      isupport.some((m) => m.params.includes('BOT=B')),
      'BOT=B advertised',
    );
    const human = await reg('human', TAGS);
    const plain = await reg('plainHuman');
    bot.send('MODE robot +B');
    assert.deepEqual((await bot.expect('MODE', 'robot')).params, ['robot', '+B']);
    human.send('WHOIS robot');
    const whois = await human.until((m) => m.command === '318');
    assert.deepEqual(whois.find((m) => m.command === '335')?.params.slice(1, 2), ['robot'], 'RPL_WHOISBOT');
    human.send('WHO robot %nf');
    const whox = await human.expect('354');
    assert.match(whox.params.at(-1)!, /^HB/);
    human.send('WHO robot');
    assert.match((await human.expect('352')).params[6]!, /^HB/);
    // Its messages carry the bot tag for clients with message-tags, nothing for the others.
    bot.send('PRIVMSG human :beep');
    const tagged = await human.expect('PRIVMSG', 'human', 'beep');
    assert.equal(tagged.tags['bot'], '');
    bot.send('PRIVMSG plainHuman :beep');
    const untagged = await plain.expect('PRIVMSG', 'plainHuman', 'beep');
    assert.ok(!untagged.raw.startsWith('@'));
    // A client cannot forge it, and a human's messages have none.
    human.send('@bot PRIVMSG human :hello me');
    const own = await human.expect('PRIVMSG', 'human', 'hello me');
    assert.equal(own.tags['bot'], undefined);
    assert.ok(own.tags['msgid'], 'the line did carry tags');
    bot.send('MODE robot -B');
    await bot.expect('MODE', 'robot', '-B');
    human.send('WHOIS robot');
    const after = await human.until((m) => m.command === '318');
    assert.equal(
      after.find((m) => m.command === '335'),
      undefined,
    );
  });
});
