/**
 * One person across nodes (docs/CLUSTER.md, "People across nodes"; docs/PEOPLE.md): an
 * account connected to node 1 and to node 2 at once is one user with one nick on both, over
 * real sockets, two nodes on the real Redis and one shared PostgreSQL schema (the accounts).
 * The node-2 device is a relay connection to node 1, which holds the person.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectWithSasl } from '../accounts/helpers.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startNodes, whoisUntil } from '../helpers/cluster.js';
import { POSTGRES_URL } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';

const from = (m: Received): string => m.source?.split('!')[0] ?? '';

describe('one account on two nodes is one person', () => {
  const schema = `t_people_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => {
    clients.push(c);
    return c;
  };
  let n1: TestServer;
  let n2: TestServer;
  let stop: () => Promise<void> = async () => {};

  const device = async (port: number, nick: string, caps: string[] = []): Promise<TestClient> => {
    const { client, result } = await connectWithSasl(port, nick, 'PLAIN', 'lucia', 'secret-lucia', caps);
    assert.equal(result.outcome.command, '903', 'SASL PLAIN for lucia');
    return track(client);
  };
  const welcomeNick = (c: TestClient): string => c.received.find((m) => m.command === '001')!.params[0]!;

  before(async () => {
    // Always-on off: closing a device must not QUIT the person because another device is on,
    // not because an always-on person never quits.
    const c = await startNodes(2, { database: `${POSTGRES_URL}?schema=${schema}`, alwaysOn: false });
    [n1, n2] = c.nodes as [TestServer, TestServer];
    stop = c.stop;
    await TestClient.registerAccount(n1.port, 'lucia');
  });
  after(async () => {
    for (const c of clients) c.close();
    await stop();
    const pg = (await import('pg')).default;
    const db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });

  it('one nick, one entry in NAMES and WHOIS on both nodes; DMs reach both devices; room messages, JOIN and a device closing as on one node', async () => {
    const laptop = await device(n1.port, 'lucia');
    laptop.send('JOIN #plaza');
    await laptop.expect('366');
    const tercero = track(await TestClient.register(n1.port, 'tercero'));
    const otro = track(await TestClient.register(n2.port, 'otro'));
    for (const c of [tercero, otro]) {
      c.send('JOIN #plaza');
      await c.expect('366');
    }
    // Node 2 knows lucia (held by node 1) before her second device logs in there.
    await whoisUntil(otro, 'lucia', (r) => r.some((m) => m.command === '311'));

    // The phone asks for a nick of its own (its own configuration): it is lucia all the same.
    const phone = await device(n2.port, 'lucia_phone', ['echo-message']);
    assert.equal(welcomeNick(phone), 'lucia', '001 names the person (docs/PEOPLE.md, attach)');
    const join = phone.received.find((m) => m.command === 'JOIN');
    assert.equal(join?.params[0], '#plaza', 'the person’s rooms come with the attach');
    assert.equal(from(join!), 'lucia');
    const namesOnAttach = phone.received.find((m) => m.command === '353')?.params.at(-1) ?? '';
    assert.deepEqual(namesOnAttach.split(' ').sort(), ['@lucia', 'otro', 'tercero']);

    // One entry in NAMES and WHOIS (RFC 2812 §3.2.5, §3.6.2) on either node, one nick.
    for (const c of [tercero, otro]) {
      assert.deepEqual((await c.names('#plaza')).sort(), ['@lucia', 'otro', 'tercero'], `NAMES via ${c.nick}`);
      c.send('WHOIS lucia');
      const whois = await c.until((m) => m.command === '318');
      assert.equal(whois.filter((m) => m.command === '311').length, 1, `one WHOIS entry via ${c.nick}`);
    }
    otro.send('WHOIS lucia_phone');
    assert.ok((await otro.until((m) => m.command === '318')).some((m) => m.command === '401'), 'no second user');

    // A DM from a third person, on either node, reaches both devices.
    for (const [sender, text] of [
      [otro, 'hola desde n2'],
      [tercero, 'hola desde n1'],
    ] as const) {
      sender.send(`PRIVMSG lucia :${text}`);
      for (const d of [laptop, phone]) {
        const dm = await d.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === text);
        assert.equal(dm.params[0], 'lucia');
        assert.equal(from(dm), sender.nick);
      }
    }

    // What the phone (relayed) says in a room: the laptop shows it as lucia's own, the phone
    // gets its echo (echo-message), and the room on both nodes sees it once.
    phone.send('PRIVMSG #plaza :desde el móvil');
    const own = await laptop.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'desde el móvil');
    assert.equal(from(own), 'lucia');
    assert.equal(own.params[0], '#plaza');
    await phone.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'desde el móvil');
    for (const c of [tercero, otro]) {
      const seen = await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'desde el móvil');
      assert.equal(from(seen), 'lucia');
    }

    // And the other way: what the laptop says reaches the phone as lucia's own PRIVMSG.
    laptop.send('PRIVMSG #plaza :desde el portátil');
    const mine = await phone.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'desde el portátil');
    assert.equal(from(mine), 'lucia');

    // JOIN on the node-2 device applies to the person: the node-1 device receives it (with NAMES).
    phone.send('JOIN #nuevo');
    await phone.expect('366', 'lucia', '#nuevo');
    const joined = await laptop.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#nuevo');
    assert.equal(from(joined), 'lucia');
    await laptop.expect('366', 'lucia', '#nuevo');
    otro.send('JOIN #nuevo');
    const names = await otro.until((m) => m.command === '366');
    assert.deepEqual(
      names
        .filter((m) => m.command === '353')
        .flatMap((m) => m.params.at(-1)!.split(' '))
        .sort(),
      ['@lucia', 'otro'],
    );

    // Closing the node-2 device: the person stays (no QUIT anywhere), reachable from both nodes.
    tercero.mark();
    otro.mark();
    phone.close();
    for (let i = 0; ; i++) {
      laptop.send('SESSIONS LIST');
      const list = await laptop.until((m) => m.command === 'SESSIONS' && m.params[0] === 'ENDOFLIST');
      if (list.filter((m) => m.command === 'SESSIONS' && m.params[0] === 'ITEM').length === 1) break;
      assert.ok(i < 200, 'the holder drops the closed device');
      await new Promise((r) => setTimeout(r, 20));
    }
    laptop.send('PRIVMSG #plaza :sigo aquí');
    for (const c of [tercero, otro]) {
      await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'sigo aquí');
      assert.ok(!c.since.some((m) => m.command === 'QUIT'), `${c.nick} saw no QUIT`);
    }
    otro.send('PRIVMSG lucia :¿sigues?');
    await laptop.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === '¿sigues?');
    otro.mark();
    otro.send('WHOIS lucia');
    assert.ok((await otro.until((m) => m.command === '318')).some((m) => m.command === '311'));
  });
});
