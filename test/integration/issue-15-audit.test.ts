/**
 * Gaps found auditing issue 15 ("Protocol completeness") against the specifications, over
 * real sockets: what conformance.test.ts did not reach. One server for the file; every test
 * uses nicks and rooms of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connectWithSasl } from '../accounts/helpers.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const TAGS = ['message-tags', 'server-time', 'echo-message', 'batch', 'labeled-response'];

describe('issue 15 audit', () => {
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
  const say = async (c: TestClient, target: string, text: string): Promise<string> => {
    c.send(`PRIVMSG ${target} :${text}`);
    const echo = await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === text);
    return echo.tags['msgid']!;
  };

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('RFC 2812 §3.3.2: a NOTICE carrying +draft/edit gets no error reply either (no FAIL, 401, 403, 404, 407)', async () => {
    const alice = await reg('auNa', TAGS);
    const bob = await reg('auNb', TAGS);
    const outsider = await reg('auNout', TAGS);
    await room('#aunotice', alice, bob);
    const bobs = await say(bob, '#aunotice', 'bob wrote this');
    await alice.waitFor((m) => m.params[1] === 'bob wrote this');
    alice.mark();
    // An unknown msgid, someone else's message, missing targets, too many targets, a room
    // it may not speak in: each would be an error for a PRIVMSG.
    alice.send('@+draft/edit=nosuchmsgid NOTICE #aunotice :fixed');
    alice.send(`@+draft/edit=${bobs} NOTICE #aunotice :not mine`);
    alice.send('@+draft/edit=nosuchmsgid NOTICE #aunowhere :fixed');
    alice.send('@+draft/edit=nosuchmsgid NOTICE auNobody :fixed');
    alice.send('@+draft/edit=nosuchmsgid NOTICE #aunotice,auNb :fixed');
    outsider.send(`@+draft/edit=${bobs} NOTICE #aunotice :from outside`);
    assert.deepEqual(
      (await alice.replyUntilPong()).map((m) => m.raw),
      [],
    );
    assert.deepEqual(
      (await outsider.replyUntilPong()).map((m) => m.raw),
      [],
    );
    // Nothing was relayed to the room either.
    assert.deepEqual(
      (await bob.replyUntilPong()).filter((m) => m.command === 'NOTICE'),
      [],
    );
    // The PRIVMSG counterparts still get their errors (RFC 2812 §3.3.1, message-edits FAIL codes).
    alice.send('@+draft/edit=nosuchmsgid PRIVMSG #aunotice :fixed');
    await alice.expect('FAIL', 'PRIVMSG', 'UNKNOWN_MSGID');
    alice.send('@+draft/edit=nosuchmsgid PRIVMSG #aunowhere :fixed');
    await alice.expect('403', 'auNa', '#aunowhere');
    alice.send('@+draft/edit=nosuchmsgid PRIVMSG #aunotice,auNb :fixed');
    await alice.expect('407');
  });

  test('RFC 2812 §3.3.2: a NOTICE before registration is dropped without 451; PRIVMSG still gets 451', async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    c.send('NOTICE someone :too early');
    c.send('PRIVMSG someone :too early');
    const got = await c.waitFor((m) => m.command === '451');
    assert.deepEqual(
      c.received.filter((m) => m.command !== 'NOTICE' || m.source !== 'tertulia.local').map((m) => m.command),
      ['451'],
      'one 451, for the PRIVMSG',
    );
    assert.equal(got.params[0], '*');
  });

  test('RFC 2812 §2.3: replies quoting non-ASCII client input are cut on a UTF-8 character boundary', async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    // 'é' is two bytes: an odd-sized head makes a byte cut land inside one.
    const caps = `x${'é'.repeat(248)}`;
    c.send(`CAP REQ :${caps}`);
    const nak = await c.expect('CAP', '*', 'NAK');
    const emoji = '😀'.repeat(124); // four bytes each
    c.send(`CAP REQ :${emoji}`);
    const nak2 = await c.expect('CAP', '*', 'NAK');
    c.send('CAP END');
    await c.registerAs('auUtf8');
    c.send(`WHOIS ${'é'.repeat(240)}`);
    const whois = await c.expect('401');
    for (const [m, sent] of [
      [nak, caps],
      [nak2, emoji],
      [whois, 'é'.repeat(240)],
    ] as const) {
      const quoted = m.command === 'CAP' ? m.params[2]! : m.params[1]!;
      assert.ok(Buffer.byteLength(m.raw) + 2 <= 512, `${m.command} is ${Buffer.byteLength(m.raw) + 2} bytes`);
      assert.ok(!m.raw.includes('\ufffd'), `${m.command}: no broken character`);
      assert.ok(
        quoted.length > 0 && sent.startsWith(quoted),
        `${m.command} quotes a prefix of what was sent`,
      );
    }
  });

  test('modern.ircdocs.horse §Channel Modes (+C): an edit that is a CTCP is refused in a +C room like any message', async () => {
    const op = await reg('auCop', TAGS);
    const member = await reg('auCmember', TAGS);
    await room('#auctcp', op, member);
    const mine = await say(member, '#auctcp', 'typo here');
    await op.expect('PRIVMSG', '#auctcp', 'typo here');
    op.send('MODE #auctcp +C');
    await member.expect('MODE', '#auctcp', '+C');
    member.send(`@+draft/edit=${mine} PRIVMSG #auctcp :\x01PING 123\x01`);
    assert.equal((await member.expect('404')).params[1], '#auctcp');
    assert.deepEqual(
      (await op.replyUntilPong()).filter((m) => m.command === 'PRIVMSG'),
      [],
      'the CTCP edit was not relayed',
    );
    // A plain edit still goes through.
    member.send(`@+draft/edit=${mine} PRIVMSG #auctcp :typo fixed`);
    const edit = await op.expect('PRIVMSG', '#auctcp', 'typo fixed');
    assert.equal(edit.tags['+draft/edit'], mine);
  });

  test("IRCv3 bot-mode §The bot tag: a bot's edits, reactions, multiline batches, JOIN, PART and KICK carry it too", async () => {
    const ml = ['draft/multiline', ...TAGS];
    const bot = await reg('auBot', ml);
    const human = await reg('auHuman', ml);
    const victim = await reg('auVictim');
    bot.send('MODE auBot +B');
    await bot.expect('MODE', 'auBot', '+B');
    await room('#aubot', human, victim);
    bot.send('JOIN #aubot');
    const join = await human.expect('JOIN', '#aubot');
    assert.equal(join.tags['bot'], '', `JOIN: ${join.raw}`);
    await bot.expect('366', 'auBot', '#aubot');
    const first = await say(bot, '#aubot', 'beep');
    await human.expect('PRIVMSG', '#aubot', 'beep');
    bot.send(`@+draft/edit=${first} PRIVMSG #aubot :boop`);
    const edit = await human.expect('PRIVMSG', '#aubot', 'boop');
    assert.equal(edit.tags['bot'], '', `edit: ${edit.raw}`);
    bot.send(`@+draft/react=🤖;+draft/reply=${first} TAGMSG #aubot`);
    const react = await human.waitFor((m) => m.command === 'TAGMSG' && m.tags['+draft/react'] === '🤖');
    assert.equal(react.tags['bot'], '', `reaction: ${react.raw}`);
    bot.send('BATCH +b1 draft/multiline #aubot');
    bot.send('@batch=b1 PRIVMSG #aubot :line one');
    bot.send('@batch=b1 PRIVMSG #aubot :line two');
    bot.send('BATCH -b1');
    const open = await human.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'draft/multiline');
    assert.equal(open.tags['bot'], '', `multiline: ${open.raw}`);
    human.send('MODE #aubot +o auBot');
    await bot.expect('MODE', '#aubot', '+o', 'auBot');
    bot.send('KICK #aubot auVictim :bye');
    const kick = await human.expect('KICK', '#aubot', 'auVictim');
    assert.equal(kick.tags['bot'], '', `KICK: ${kick.raw}`);
    bot.send('PART #aubot');
    const part = await human.expect('PART', '#aubot');
    assert.equal(part.tags['bot'], '', `PART: ${part.raw}`);
    // "This tag MUST only be sent to users who have requested the message-tags capability."
    assert.deepEqual(
      victim.received.filter((m) => m.raw.startsWith('@')).map((m) => m.raw),
      [],
    );
  });

  test('modern.ircdocs.horse §STATUSMSG: an operator writing to @#room is not sent its own message back (once with echo-message)', async () => {
    const plainOp = await reg('auSop');
    const echoOp = await reg('auSecho', ['echo-message']);
    await room('#austatus', plainOp, echoOp);
    plainOp.send('MODE #austatus +o auSecho');
    await echoOp.expect('MODE', '#austatus', '+o', 'auSecho');
    plainOp.send('PRIVMSG @#austatus :from the first op');
    await echoOp.expect('PRIVMSG', '@#austatus', 'from the first op');
    echoOp.send('NOTICE @#austatus :from the second op');
    await plainOp.expect('NOTICE', '@#austatus', 'from the second op');
    await plainOp.replyUntilPong();
    await echoOp.replyUntilPong();
    const own = (c: TestClient, text: string): number =>
      c.received.filter((m) => m.params[0] === '@#austatus' && m.params[1] === text).length;
    assert.equal(own(plainOp, 'from the first op'), 0, 'no echo without echo-message');
    assert.equal(own(echoOp, 'from the second op'), 1, 'one echo with echo-message');
  });

  test('modern.ircdocs.horse §STATUSMSG with one person on two devices (docs/PEOPLE.md): the other device sees what this one sent to @#room', async () => {
    await TestClient.registerAccount(srv.port, 'auSdev', 'secret-auSdev');
    const devices: TestClient[] = [];
    for (const nick of ['auSdev', 'auSdev2']) {
      const { client, result } = await connectWithSasl(
        srv.port,
        nick,
        'PLAIN',
        'auSdev',
        'secret-auSdev',
        [],
      );
      assert.equal(result.outcome.command, '903');
      clients.push(client);
      devices.push(client);
    }
    const [one, two] = devices as [TestClient, TestClient];
    one.nick = two.nick = 'auSdev';
    one.send('JOIN #audevices');
    await two.expect('JOIN', '#audevices');
    await one.expect('366');
    one.send('PRIVMSG @#audevices :note to my other device');
    const seen = await two.expect('PRIVMSG', '@#audevices', 'note to my other device');
    assert.match(seen.source ?? '', /^auSdev!/);
    await one.replyUntilPong();
    assert.equal(
      one.received.filter((m) => m.params[1] === 'note to my other device').length,
      0,
      'the sending device, without echo-message, gets none',
    );
  });

  test('IRCv3 extended-monitor: a watcher with account-notify sees the monitored user log in (ACCOUNT); one without it does not', async () => {
    const target = await reg('auEmT', ['draft/account-registration']);
    const watcher = await reg('auEmW', ['extended-monitor', 'account-notify']);
    const noCap = await reg('auEmN', ['extended-monitor']);
    for (const w of [watcher, noCap]) {
      w.send('MONITOR + auEmT');
      await w.expect('730');
    }
    target.send('REGISTER auEmT * secret-auEmT');
    await target.expect('REGISTER', 'SUCCESS');
    const account = await watcher.expect('ACCOUNT', 'auEmT');
    assert.match(account.source ?? '', /^auEmT!/);
    assert.deepEqual(
      (await noCap.replyUntilPong()).filter((m) => m.command === 'ACCOUNT'),
      [],
    );
  });

  test('RFC 2812 §3.4.5: LINKS lists only the servers matching the mask; an unknown remote server is 402', async () => {
    const c = await reg('auLinks');
    const linksFor = async (line: string): Promise<string[][]> => {
      c.send(line);
      const got = await c.until((m) => m.command === '365' || m.command === '402');
      return got.map((m) => [m.command, ...m.params.slice(1)]);
    };
    const info = (await linksFor('LINKS')).find((m) => m[0] === '364')![3]!;
    assert.deepEqual(await linksFor('LINKS *.local'), [
      ['364', '*', 'tertulia.local', info],
      ['365', '*', 'End of /LINKS list'],
    ]);
    // "The returned list of servers MUST match the mask."
    assert.deepEqual(await linksFor('LINKS *.example.org'), [['365', '*', 'End of /LINKS list']]);
    assert.deepEqual(await linksFor('LINKS tertulia.* tertulia.local'), [
      ['364', '*', 'tertulia.local', info],
      ['365', '*', 'End of /LINKS list'],
    ]);
    assert.deepEqual(await linksFor('LINKS other.example.org *'), [
      ['402', 'other.example.org', 'No such server'],
    ]);
  });
});
