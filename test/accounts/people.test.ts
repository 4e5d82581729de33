/**
 * One person, many connections (docs/PEOPLE.md), over real sockets on the embedded SQLite
 * store: connections that log in to one account during registration (SASL, or PASS
 * account:password) are one user with one nick; what one device does, the others see;
 * the network sees one entry and a QUIT only when the person leaves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

describe('one person, many connections', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => {
    clients.push(c);
    return c;
  };
  const guest = async (nick: string, caps: string[] = []): Promise<TestClient> =>
    track(await TestClient.register(srv.port, nick, caps));
  const device = async (nick: string, account: string, caps: string[] = []): Promise<TestClient> => {
    const { client, result } = await connectWithSasl(srv.port, nick, 'PLAIN', account, 'secret-pw', caps);
    assert.equal(result.outcome.command, '903', `SASL for ${account}`);
    return track(client);
  };
  const makeAccount = async (name: string): Promise<void> => {
    const c = await guest(`reg${Math.random().toString(36).slice(2, 8)}`);
    c.send(`REGISTER ${name} * :secret-pw`);
    await c.waitFor((m) => m.command === 'REGISTER' && m.params[0] === 'SUCCESS');
    c.send('QUIT');
    await c.waitClosed();
  };
  const welcomeNick = (c: TestClient): string => c.received.find((m) => m.command === '001')!.params[0]!;

  before(async () => {
    // Always-on is off here: these tests are about live connections (always-on has its own suite).
    srv = await startServer({ nickGrace: 1, alwaysOn: false, maxConnectionsPerAccount: 3 });
    for (const name of ['lucia', 'ana', 'marta', 'pedro', 'nora']) await makeAccount(name);
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('a second login to an account gets the same nick (not lucia_), every room with topic and NAMES, and one entry in NAMES/WHOIS/LUSERS', async () => {
    const first = await device('lucia', 'lucia');
    first.send('JOIN #plaza');
    await first.expect('366');
    first.send('TOPIC #plaza :bienvenidos');
    await first.expect('TOPIC');
    const other = await guest('otro');
    other.send('JOIN #plaza');
    await other.expect('366');
    other.send('LUSERS');
    const before = (await other.expect('251')).params.at(-1);
    other.mark();

    // The second device asks for another nick (its own config): it becomes lucia anyway.
    const second = await device('lucia_phone', 'lucia');
    assert.equal(welcomeNick(second), 'lucia', '001 names the person, not a new nick');
    const join = second.received.find((m) => m.command === 'JOIN');
    assert.equal(join?.params[0], '#plaza');
    assert.match(join?.source ?? '', /^lucia!/);
    assert.equal(second.received.find((m) => m.command === '332')?.params.at(-1), 'bienvenidos');
    const namesLine = second.received.find((m) => m.command === '353')?.params.at(-1) ?? '';
    assert.deepEqual(namesLine.split(' ').sort(), ['@lucia', 'otro']);

    assert.deepEqual((await other.names('#plaza')).sort(), ['@lucia', 'otro'], 'one entry in NAMES');
    other.send('LUSERS');
    assert.equal((await other.expect('251')).params.at(-1), before, 'LUSERS counts the person once');
    other.send('WHOIS lucia');
    const whois = await other.until((m) => m.command === '318');
    assert.equal(whois.filter((m) => m.command === '311').length, 1);
    assert.ok(!other.since.some((m) => m.command === 'JOIN'), 'the others see no second JOIN');
  });

  test('a message to the nick or a room reaches every device; what one device sends the others show as the person’s own (echo-message or plain)', async () => {
    const phone = await device('ana', 'ana', ['echo-message']);
    const laptop = await device('ana', 'ana');
    phone.send('JOIN #cafe');
    await phone.expect('366');
    await laptop.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#cafe');
    await laptop.expect('366'); // the other device gets the room's NAMES too
    const friend = await guest('amigo');
    friend.send('JOIN #cafe');
    await friend.expect('366');

    friend.send('PRIVMSG ana :hola ana');
    await phone.expect('PRIVMSG', 'ana', 'hola ana');
    await laptop.expect('PRIVMSG', 'ana', 'hola ana');
    friend.send('PRIVMSG #cafe :hola sala');
    await phone.expect('PRIVMSG', '#cafe', 'hola sala');
    await laptop.expect('PRIVMSG', '#cafe', 'hola sala');

    phone.send('PRIVMSG amigo :from the phone');
    const got = await friend.expect('PRIVMSG', 'amigo', 'from the phone');
    assert.match(got.source!, /^ana!/);
    const onLaptop = await laptop.expect('PRIVMSG', 'amigo', 'from the phone');
    assert.match(onLaptop.source!, /^ana!/, 'the laptop shows the DM as ana’s own message');
    await phone.expect('PRIVMSG', 'amigo', 'from the phone'); // echo-message
    laptop.send('PRIVMSG #cafe :from the laptop');
    await friend.expect('PRIVMSG', '#cafe', 'from the laptop');
    await phone.expect('PRIVMSG', '#cafe', 'from the laptop');
    await laptop.sync();
    assert.ok(
      !laptop.since.some((m) => m.command === 'PRIVMSG' && m.params[1] === 'from the laptop'),
      'no echo to the sender without echo-message',
    );
  });

  test('JOIN, PART and NICK on one device apply to the person; QUIT shows only when the last device leaves', async () => {
    const a = await device('marta', 'marta');
    const b = await device('marta', 'marta');
    const c = await device('marta', 'marta');
    const watcher = await guest('miron');
    watcher.send('JOIN #patio');
    await watcher.expect('366');
    b.send('JOIN #patio');
    await a.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#patio');
    await c.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#patio');
    await c.expect('366');
    a.send('NICK martita');
    for (const d of [a, b, c, watcher])
      await d.waitFor((m) => m.command === 'NICK' && m.params[0] === 'martita');
    c.send('PART #patio :bye');
    for (const d of [a, b, watcher]) await d.waitFor((m) => m.command === 'PART' && m.params[0] === '#patio');
    c.send('JOIN #patio');
    await watcher.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('martita!') === true);
    watcher.mark();
    a.send('QUIT :phone off');
    await a.waitClosed();
    b.close();
    await watcher.sync();
    c.send('PRIVMSG #patio :still here');
    await watcher.expect('PRIVMSG', '#patio', 'still here');
    assert.ok(!watcher.since.some((m) => m.command === 'QUIT'), 'no QUIT while a device remains');
    c.send('QUIT :all off');
    const quit = await watcher.expect('QUIT');
    assert.match(quit.source!, /^martita!/);
    assert.equal(quit.params[0], 'Quit: all off');
  });

  test('away only when every device is away; the connection limit refuses one more with a clear error and drops nobody', async () => {
    const a = await device('pedro', 'pedro');
    const b = await device('pedro', 'pedro');
    const peer = await guest('vecino', ['away-notify']);
    a.send('JOIN #barrio');
    await b.waitFor((m) => m.command === 'JOIN');
    peer.send('JOIN #barrio');
    await peer.expect('366');
    a.send('AWAY :lunch');
    await a.expect('306');
    peer.send('WHOIS pedro');
    const w1 = await peer.until((m) => m.command === '318');
    assert.ok(!w1.some((m) => m.command === '301'), 'not away while the other device is not');
    b.send('AWAY :lunch too');
    await peer.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('pedro!') === true);
    peer.send('WHOIS pedro');
    const w2 = await peer.until((m) => m.command === '318');
    assert.ok(
      w2.some((m) => m.command === '301'),
      'away once every device is',
    );
    a.send('AWAY');
    const back = await peer.waitFor((m) => m.command === 'AWAY');
    assert.equal(back.params.length, 0, 'back when one device is back');

    // The limit here is 3: the third is accepted, the fourth refused, the others stay.
    const c = await device('pedro', 'pedro');
    const fourth = track(await TestClient.connect(srv.port));
    fourth.send('CAP LS 302');
    fourth.send('CAP REQ :sasl');
    fourth.send('NICK pedro4');
    fourth.send('USER p 0 * :p');
    await fourth.expect('CAP', '*', 'ACK');
    fourth.send('AUTHENTICATE PLAIN');
    await fourth.expect('AUTHENTICATE', '+');
    fourth.send(`AUTHENTICATE ${Buffer.from('\0pedro\0secret-pw').toString('base64')}`);
    await fourth.expect('903');
    fourth.send('CAP END');
    const error = await fourth.expect('ERROR');
    assert.match(error.params[0]!, /Too many connections for account pedro \(the limit is 3\)/);
    await fourth.waitClosed();
    for (const d of [a, b, c]) await d.sync(); // all three still connected
  });

  test('PASS account:password during registration logs in and attaches (irssi/WeeChat); a wrong one is refused with 464', async () => {
    const web = await device('nora', 'nora');
    web.send('JOIN #biblio');
    await web.expect('366');
    const irssi = track(await TestClient.connect(srv.port));
    irssi.send('PASS nora:secret-pw');
    irssi.send('NICK nora');
    irssi.send('USER nora 0 * :Nora');
    await irssi.waitFor((m) => m.command === '376' || m.command === '422');
    assert.equal(welcomeNick(irssi), 'nora');
    assert.ok(
      irssi.received.some((m) => m.command === '900'),
      'logged in (900)',
    );
    assert.ok(irssi.received.some((m) => m.command === 'JOIN' && m.params[0] === '#biblio'));

    const wrong = track(await TestClient.connect(srv.port));
    wrong.send('PASS nora:not-it');
    wrong.send('NICK nora');
    wrong.send('USER nora 0 * :Nora');
    const refused = await wrong.waitFor((m: Received) => m.command === '464');
    assert.match(refused.params.at(-1)!, /Password incorrect/);
    await wrong.waitClosed();
    await web.sync();
  });

  test('someone not logged in who asks for an account person’s nick during registration gets 433, not the person', async () => {
    const owner = await device('lucia', 'lucia');
    const c = track(await TestClient.connect(srv.port));
    c.send('NICK lucia');
    c.send('USER x 0 * :x');
    await c.expect('433');
    c.send('NICK notlucia');
    await c.waitFor((m) => m.command === '001');
    assert.equal(welcomeNick(c), 'notlucia');
    await owner.sync();
  });
});

describe('always-on (in memory)', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    srv = await startServer({ alwaysOn: true });
    // Registered under its own nick: that connection's person is the account's from then on.
    const c = await TestClient.register(srv.port, 'sofia');
    clients.push(c);
    c.send('REGISTER sofia * :secret-pw');
    await c.waitFor((m) => m.command === 'REGISTER' && m.params[0] === 'SUCCESS');
    c.send('QUIT');
    await c.waitClosed();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('with no connection an account stays in its rooms, away (offline), never QUIT; a DM to it is accepted (301, not 401) and kept; a returning device gets the rooms and the DM via chathistory', async () => {
    const { client: sofia } = await connectWithSasl(srv.port, 'sofia', 'PLAIN', 'sofia', 'secret-pw');
    clients.push(sofia);
    sofia.send('JOIN #jardin');
    await sofia.expect('366');
    const friend = await TestClient.register(srv.port, 'friend', ['away-notify']);
    clients.push(friend);
    friend.send('JOIN #jardin');
    await friend.expect('366');
    friend.mark();
    sofia.send('QUIT :night');
    await sofia.waitClosed();
    await friend.waitFor((m) => m.command === 'AWAY' && m.source?.startsWith('sofia!') === true);
    assert.ok(!friend.since.some((m) => m.command === 'QUIT'), 'no QUIT for an always-on account');
    friend.send('NAMES #jardin');
    const names = await friend.until((m) => m.command === '366');
    assert.match(names.find((m) => m.command === '353')!.params.at(-1)!, /sofia/);
    friend.send('PRIVMSG sofia :are you there?');
    const away = await friend.waitFor((m) => m.command === '301' || m.command === '401');
    assert.equal(away.command, '301', 'the DM is accepted; the sender learns sofia is offline');

    const { client: back } = await connectWithSasl(srv.port, 'sofia', 'PLAIN', 'sofia', 'secret-pw', [
      'draft/chathistory',
      'server-time',
      'batch',
      'message-tags',
    ]);
    clients.push(back);
    assert.ok(back.received.some((m) => m.command === 'JOIN' && m.params[0] === '#jardin'));
    await friend.waitFor((m) => m.command === 'AWAY' && m.params.length === 0); // back
    back.send('CHATHISTORY LATEST friend * 10');
    const got = await back.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'are you there?');
    assert.match(got.source!, /^friend!/);
  });
});
