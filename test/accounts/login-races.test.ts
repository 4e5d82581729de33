/**
 * Login races (issue 13, "Bad input and limits"), over real sockets: several devices of one
 * account logging in at the same moment, and a device attaching while another changes the
 * person's nick. Whatever the interleaving, the network sees one person with one nick, every
 * device ends up with that nick and its rooms, and nobody else sees a second user.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

describe('login races', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    srv = await startServer({ maxConnectionsPerAccount: 10 });
    for (const name of ['rita', 'teo']) await TestClient.registerAccount(srv.port, name);
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });
  const device = async (account: string, nick: string): Promise<TestClient> => {
    const { client, result } = await connectWithSasl(srv.port, nick, 'PLAIN', account, `secret-${account}`);
    clients.push(client);
    assert.equal(result.outcome.command, '903');
    return client;
  };
  const welcomeNick = (c: TestClient): string => c.received.find((m) => m.command === '001')!.params[0]!;

  test('two devices of an account logging in at the same moment are one person: one nick, one entry in NAMES and WHOIS', async () => {
    const watcher = await TestClient.register(srv.port, 'miron');
    clients.push(watcher);
    watcher.send('JOIN #sala');
    await watcher.expect('366');
    const first = await device('rita', 'rita');
    first.send('JOIN #sala');
    await first.expect('366');
    first.send('QUIT :first device gone');
    await first.waitClosed();

    // Nobody connected (always-on keeps rita in #sala); two devices at once, each asking for
    // a nick of its own. (Two: the login guard checks at most PAIR_PENDING = 2 attempts of one
    // account from one address at a time and refuses more, docs/SECURITY.md.)
    watcher.send('LUSERS');
    const usersBefore = (await watcher.expect('251')).params.at(-1);
    const devices = await Promise.all([1, 2].map((i) => device('rita', `rita_dev${i}`)));
    for (const d of devices) {
      assert.equal(welcomeNick(d), 'rita', 'every device is welcomed as the person');
      const inSala = (m: { command: string; params: string[] }): boolean =>
        m.command === '366' && m.params[1] === '#sala';
      if (!d.received.some(inSala)) await d.waitFor(inSala);
    }
    const names = (await watcher.names('#sala')).map((n) => n.replace(/^[@+]/, '')).sort();
    assert.deepEqual(names, ['miron', 'rita']);
    watcher.send('WHOIS rita');
    const whois = await watcher.until((m) => m.command === '318');
    assert.equal(whois.filter((m) => m.command === '311').length, 1);
    watcher.send('LUSERS');
    assert.equal((await watcher.expect('251')).params.at(-1), usersBefore, 'LUSERS counts rita once');

    watcher.mark();
    watcher.send('PRIVMSG rita :¿me oyes?');
    for (const d of devices) await d.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === '¿me oyes?');
  });

  test('a device attaching while another changes the nick ends up with the nick the person has', async () => {
    const phone = await device('teo', 'teo');
    phone.send('JOIN #patio');
    await phone.expect('366');
    // The nick change and the new device's login race each other.
    phone.send('NICK teodoro');
    const laptop = await device('teo', 'teo');
    await phone.waitFor((m) => m.command === 'NICK' && m.params[0] === 'teodoro');
    // The laptop either was welcomed after the change, or saw the NICK itself.
    const laptopNick = welcomeNick(laptop) === 'teodoro' ? 'teodoro' : null;
    if (laptopNick === null) await laptop.waitFor((m) => m.command === 'NICK' && m.params[0] === 'teodoro');
    laptop.send('WHOIS teodoro');
    const whois = await laptop.until((m) => m.command === '318');
    assert.ok(
      whois.some((m) => m.command === '311'),
      'the laptop sees the person as teodoro',
    );
    laptop.send('PRIVMSG #patio :desde el portátil');
    await phone.waitFor(
      (m) =>
        m.command === 'PRIVMSG' && m.params[1] === 'desde el portátil' && /^teodoro!/.test(m.source ?? ''),
    );
  });
});
