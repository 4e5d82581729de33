/**
 * Channel modes beyond RFC 2812 that clients rely on, over real sockets: ban exceptions (+e),
 * invite exceptions (+I, and INVITE with no parameters), no CTCP (+C), and extended bans
 * (EXTBAN=,am: a: account, m: mute), as modern.ircdocs.horse describes them (§Channel Modes,
 * §EXCEPTS, §INVEX, §EXTBAN, §INVITE).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('channel modes +e +I +C and extbans', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  const reg = async (nick: string, caps: string[] = []): Promise<TestClient> => {
    const c = await TestClient.register(srv.port, nick, caps);
    clients.push(c);
    return c;
  };
  /** `op` creates the room and applies the modes; resolves once they are set. */
  const roomWith = async (op: TestClient, name: string, ...modes: string[]): Promise<void> => {
    op.send(`JOIN ${name}`);
    await op.expect('366', op.nick, name);
    for (const m of modes) op.send(`MODE ${name} ${m}`);
    await op.sync();
  };
  const joinResult = async (c: TestClient, name: string): Promise<string> => {
    c.send(`JOIN ${name}`);
    const m = await c.waitFor(
      (x) => (x.command === 'JOIN' && x.params[0] === name) || /^4\d\d$/.test(x.command),
    );
    return m.command;
  };

  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('modern.ircdocs.horse §RPL_ISUPPORT: CHANMODES, EXCEPTS, INVEX and EXTBAN are advertised', async () => {
    const c = await TestClient.connect(srv.port);
    clients.push(c);
    c.send('NICK isup');
    c.send('USER isup 0 * :Isup');
    const tokens = (await c.until((m) => m.command === '376' || m.command === '422'))
      .filter((m) => m.command === '005')
      .flatMap((m) => m.params.slice(1, -1));
    for (const t of [
      'CHANMODES=beI,k,l,Cimnst',
      'EXCEPTS=e',
      'INVEX=I',
      'EXTBAN=,am',
      'MAXLIST=b:100,e:100,I:100',
    ])
      assert.ok(tokens.includes(t), `${t} in ${tokens.join(' ')}`);
  });

  test('§Ban Exception (+e): an exception lets a banned user join and speak; MODE #c e lists it (348/349)', async () => {
    const op = await reg('exOp');
    const friend = await reg('exFriend');
    const stranger = await reg('exStranger');
    await roomWith(op, '#except', '+b *!*@127.0.0.1', '+e exFriend!*@*');
    assert.equal(await joinResult(stranger, '#except'), '474');
    assert.equal(await joinResult(friend, '#except'), 'JOIN');
    friend.send('PRIVMSG #except :I am welcome');
    await op.expect('PRIVMSG', '#except', 'I am welcome');
    op.send('MODE #except e');
    const list = await op.until((m) => m.command === '349');
    assert.deepEqual(
      list.filter((m) => m.command === '348').map((m) => m.params.slice(1, 3)),
      [['#except', 'exFriend!*@*']],
    );
  });

  test('§Invite Exception (+I): a matching user joins +i without an INVITE; MODE #c I lists it (346/347)', async () => {
    const op = await reg('ivOp');
    const listed = await reg('ivListed');
    const other = await reg('ivOther');
    await roomWith(op, '#invex', '+i', '+I ivListed');
    assert.equal(await joinResult(other, '#invex'), '473');
    assert.equal(await joinResult(listed, '#invex'), 'JOIN');
    op.send('MODE #invex I');
    const list = await op.until((m) => m.command === '347');
    assert.deepEqual(
      list.filter((m) => m.command === '346').map((m) => m.params[2]),
      ['ivListed!*@*'],
    );
  });

  test('§INVITE: INVITE with no parameters lists the channels you are invited to (336/337)', async () => {
    const op = await reg('invOp');
    const guest = await reg('invGuest');
    await roomWith(op, '#invited1', '+i');
    await roomWith(op, '#invited2', '+i');
    op.send('INVITE invGuest #invited1');
    op.send('INVITE invGuest #invited2');
    await guest.expect('INVITE', 'invGuest', '#invited2');
    guest.send('INVITE');
    const list = await guest.until((m) => m.command === '337');
    assert.deepEqual(
      list
        .filter((m) => m.command === '336')
        .map((m) => m.params[1])
        .sort(),
      ['#invited1', '#invited2'],
    );
    guest.send('INVITE invOp');
    await guest.expect('461');
  });

  test('+C: a CTCP other than ACTION to the channel gets 404; /me still works', async () => {
    const op = await reg('ctOp');
    const member = await reg('ctMember');
    await roomWith(op, '#noctcp', '+C');
    assert.equal(await joinResult(member, '#noctcp'), 'JOIN');
    op.send('MODE #noctcp');
    assert.match((await op.expect('324')).params[2]!, /C/);
    member.send('PRIVMSG #noctcp :\x01VERSION\x01');
    const refused = await member.expect('404');
    assert.equal(refused.params[1], '#noctcp');
    member.send('PRIVMSG #noctcp :\x01ACTION waves\x01');
    await op.expect('PRIVMSG', '#noctcp', '\x01ACTION waves\x01');
  });

  test('§EXTBAN m: mutes: the user joins but cannot speak, unless excepted', async () => {
    const op = await reg('muOp');
    const loud = await reg('muLoud');
    await roomWith(op, '#mute', '+b m:muLoud!*@*');
    assert.equal(await joinResult(loud, '#mute'), 'JOIN');
    loud.send('PRIVMSG #mute :can anyone hear me');
    assert.equal((await loud.expect('404')).params[1], '#mute');
    op.send('MODE #mute +e muLoud');
    await op.expect('MODE', '#mute', '+e');
    await loud.expect('MODE', '#mute', '+e');
    loud.send('PRIVMSG #mute :now you can');
    await op.expect('PRIVMSG', '#mute', 'now you can');
  });

  test('§EXTBAN a: bans an account, whatever nick it uses; guests are unaffected; unknown types get 696', async () => {
    await TestClient.registerAccount(srv.port, 'acctBanned');
    const op = await reg('acOp');
    await roomWith(op, '#acctban', '+b a:acctbanned');
    const banned = await reg('someNick', ['draft/account-registration', 'sasl']);
    // Log in to the account by REGISTER-free SASL PLAIN.
    banned.send('AUTHENTICATE PLAIN');
    await banned.expect('AUTHENTICATE', '+');
    banned.send(`AUTHENTICATE ${Buffer.from('\0acctBanned\0secret-acctBanned').toString('base64')}`);
    await banned.expect('903');
    assert.equal(await joinResult(banned, '#acctban'), '474');
    const guest = await reg('acGuest');
    assert.equal(await joinResult(guest, '#acctban'), 'JOIN');
    op.send('MODE #acctban +b x:whatever');
    const bad = await op.expect('696');
    assert.deepEqual(bad.params.slice(1, 3), ['#acctban', 'b']);
  });
});
