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
    const rest = await bob.replyUntilPong();
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
    const got = await alice.replyUntilPong();
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

  // ---------------------------------------------------------------- STATUSMSG, KICK, NAMES, LINKS

  test('modern.ircdocs.horse §STATUSMSG: PRIVMSG @#room reaches operators only, +#room voiced members too', async () => {
    const op = await reg('stOp', TAGS);
    const voiced = await reg('stVoiced');
    const member = await reg('stMember');
    await room('#status', op, voiced, member);
    op.send('MODE #status +v stVoiced');
    await member.expect('MODE', '#status', '+v');
    member.send('PRIVMSG @#status :ops, help');
    const toOps = await op.expect('PRIVMSG', '@#status', 'ops, help');
    assert.match(toOps.source ?? '', /^stMember!/);
    member.send('NOTICE +#status :voices and ops');
    await op.expect('NOTICE', '+#status', 'voices and ops');
    await voiced.expect('NOTICE', '+#status', 'voices and ops');
    await voiced.replyUntilPong();
    assert.deepEqual(
      voiced.received.filter((m) => m.params[1] === 'ops, help'),
      [],
      'a voiced member does not get @#room messages',
    );
    const plain = await member.replyUntilPong();
    assert.deepEqual(
      plain.filter((m) => m.command === 'PRIVMSG' || m.command === 'NOTICE'),
      [],
    );
    member.send('PRIVMSG @#nosuchroom :anyone?');
    await member.expect('403');
  });

  test('RFC 2812 §3.2.8 / TARGMAX: KICK takes several users (or channel,user pairs); past TARGMAX is 407', async () => {
    const op = await reg('kkOp');
    const a = await reg('kkA');
    const b = await reg('kkB');
    await room('#kick1', op, a, b);
    await room('#kick2', op, a);
    op.send('KICK #kick1 kkA,kkB :out');
    await b.expect('KICK', '#kick1', 'kkA', 'out');
    await b.expect('KICK', '#kick1', 'kkB', 'out');
    op.send('KICK #kick2 kkA');
    await a.expect('KICK', '#kick2', 'kkA');
    op.send('KICK #kick1,#kick2 kkA');
    await op.expect('461');
    op.send('KICK #kick1 a,b,c,d,e');
    await op.expect('407');
    const isupport = await reg('kkIsupport');
    isupport.send('VERSION');
    const lines = await isupport.until(
      (m) => m.command === '005' && m.params.some((p) => p.startsWith('TARGMAX')),
    );
    assert.match(lines.at(-1)!.params.find((p) => p.startsWith('TARGMAX'))!, /KICK:4,NAMES:4/);
  });

  test('RFC 2812 §3.2.5 / TARGMAX: NAMES answers each of several channels; past TARGMAX is 407', async () => {
    const op = await reg('nmOp');
    await room('#names1', op);
    await room('#names2', op);
    op.send('NAMES #names1,#names2');
    const ends = [await op.expect('366'), await op.expect('366')];
    assert.deepEqual(
      ends.map((m) => m.params[1]),
      ['#names1', '#names2'],
    );
    op.send('NAMES #a,#b,#c,#d,#e');
    await op.expect('407');
  });

  test('RFC 2812 §3.4.5: LINKS lists this server (364) and ends with 365', async () => {
    const c = await reg('linker');
    c.send('LINKS');
    const got = await c.until((m) => m.command === '365');
    assert.deepEqual(
      got.map((m) => [m.command, m.params[2]]),
      [
        ['364', 'tertulia.local'],
        ['365', 'End of /LINKS list'],
      ],
    );
    assert.match(got[0]!.params[3]!, /^0 /, 'hop count 0');
  });

  // ---------------------------------------------------------------- extended-monitor

  test('IRCv3 extended-monitor: MONITOR watchers with the cap get AWAY and SETNAME, once, under their own caps', async () => {
    const target = await reg('emTarget', ['setname']);
    const watcher = await reg('emWatcher', ['extended-monitor', 'away-notify', 'setname']);
    const both = await reg('emBoth', ['extended-monitor', 'away-notify']);
    const plainWatcher = await reg('emPlain', ['away-notify', 'setname']);
    await room('#emroom', target, both);
    for (const w of [watcher, both, plainWatcher]) {
      w.send('MONITOR + emTarget');
      await w.expect('730');
    }
    target.send('AWAY :lunch');
    await target.expect('306');
    const away = await watcher.expect('AWAY');
    assert.equal(away.params[0], 'lunch');
    assert.match(away.source ?? '', /^emTarget!/);
    target.send('SETNAME :New Name');
    await watcher.expect('SETNAME', 'New Name');
    // In a shared channel too: one AWAY, not two; no SETNAME without the setname cap.
    await both.replyUntilPong();
    assert.equal(both.received.filter((m) => m.command === 'AWAY').length, 1);
    assert.equal(both.received.filter((m) => m.command === 'SETNAME').length, 0);
    // Without extended-monitor, MONITOR gives only 730/731.
    await plainWatcher.replyUntilPong();
    assert.deepEqual(
      plainWatcher.received.filter((m) => m.command === 'AWAY' || m.command === 'SETNAME'),
      [],
    );
  });

  // ---------------------------------------------------------------- draft/channel-rename

  test('IRCv3 draft/channel-rename: RENAME keeps the room; capable members see RENAME, others PART and JOIN', async () => {
    const op = await reg('rnOp', ['draft/channel-rename']);
    const old = await reg('rnOld');
    const outsider = await reg('rnOutsider');
    await room('#before', op, old);
    op.send('TOPIC #before :kept topic');
    await old.expect('TOPIC');
    old.send('RENAME #before #after :tidier');
    await old.expect('482');
    op.send('RENAME #before #after :tidier');
    const renamed = await op.expect('RENAME');
    assert.deepEqual(renamed.params, ['#before', '#after', 'tidier']);
    assert.match(renamed.source ?? '', /^rnOp!/);
    await old.expect('PART', '#before');
    await old.expect('JOIN', '#after');
    assert.equal((await old.expect('332')).params[2], 'kept topic');
    const names = await old.expect('353');
    assert.match(names.params[3]!, /@rnOp/, 'operators stay operators');
    // The room answers to its new name only.
    old.send('PRIVMSG #after :hello after');
    await op.expect('PRIVMSG', '#after', 'hello after');
    outsider.send('JOIN #before');
    await outsider.expect('366', 'rnOutsider', '#before');
    outsider.send('NAMES #after');
    assert.match((await outsider.expect('353')).params[3]!, /rnOld/);
    // A name in use, and an invalid one.
    op.send('RENAME #after #before');
    const inUse = await op.expect('FAIL', 'RENAME');
    assert.deepEqual(inUse.params.slice(1, 4), ['CHANNEL_NAME_IN_USE', '#after', '#before']);
    op.send('RENAME #after nohash');
    assert.equal((await op.expect('FAIL', 'RENAME')).params[1], 'CANNOT_RENAME');
    op.send('RENAME #nowhere #x');
    await op.expect('403');
  });

  test('draft/channel-rename: a registered room cannot be renamed (its record is kept by name)', async () => {
    const founder = await reg('rnFounder', ['draft/account-registration']);
    founder.send('REGISTER * * :founder-password');
    await founder.expect('REGISTER', 'SUCCESS');
    founder.send('JOIN #founded');
    await founder.expect('366', 'rnFounder', '#founded');
    await founder.waitFor((m) => m.command === 'NOTICE' && m.source?.startsWith('ChanServ!') === true);
    founder.send('RENAME #founded #elsewhere');
    const fail = await founder.expect('FAIL', 'RENAME');
    assert.deepEqual(fail.params.slice(1, 4), ['CANNOT_RENAME', '#founded', '#elsewhere']);
    founder.send('NAMES #founded');
    assert.match((await founder.expect('353')).params[3]!, /rnFounder/);
  });
});
