/**
 * One person across nodes (docs/CLUSTER.md, "People across nodes"; docs/PEOPLE.md): an
 * account connected to node 1 and to node 2 at once is one user with one nick on both, over
 * real sockets, two nodes on the real Redis and one shared PostgreSQL schema (the accounts).
 * The node-2 device is a relay connection to node 1, which holds the person.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ClusterNode } from '../../src/cluster/node.js';
import type { Config } from '../../src/config/config.js';
import { connectWithSasl } from '../accounts/helpers.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startNodes, whoisUntil } from '../helpers/cluster.js';
import { POSTGRES_URL } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';

const from = (m: Received): string => m.source?.split('!')[0] ?? '';

const clients: TestClient[] = [];
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of clients) c.close();
  for (const c of cleanups.reverse()) await c();
});
const track = (c: TestClient): TestClient => {
  clients.push(c);
  return c;
};

/** Two nodes on the real Redis sharing a fresh PostgreSQL schema, with the account lucia. */
async function twoNodes(overrides: Partial<Config> = {}): Promise<[TestServer, TestServer]> {
  const schema = `t_people_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  // Always-on off: closing a device must not QUIT the person because another device is on,
  // not because an always-on person never quits.
  const c = await startNodes(2, {
    database: `${POSTGRES_URL}?schema=${schema}`,
    alwaysOn: false,
    ...overrides,
  });
  cleanups.push(async () => {
    await c.stop();
    const pg = (await import('pg')).default;
    const db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });
  const [n1, n2] = c.nodes as [TestServer, TestServer];
  await TestClient.registerAccount(n1.port, 'lucia');
  return [n1, n2];
}

async function device(port: number, nick: string, caps: string[] = []): Promise<TestClient> {
  const { client, result } = await connectWithSasl(port, nick, 'PLAIN', 'lucia', 'secret-lucia', caps);
  assert.equal(result.outcome.command, '903', 'SASL PLAIN for lucia');
  return track(client);
}

const welcomeNick = (c: TestClient): string => c.received.find((m) => m.command === '001')!.params[0]!;

/** The connections SESSIONS lists for the person (docs/PEOPLE.md, Sessions). */
async function sessionCount(c: TestClient): Promise<number> {
  c.send('SESSIONS LIST');
  const list = await c.until((m) => m.command === 'SESSIONS' && m.params[0] === 'ENDOFLIST');
  return list.filter((m) => m.command === 'SESSIONS' && m.params[0] === 'ITEM').length;
}

/** Asks until the person has `n` connections (the bus is asynchronous). */
async function sessionsUntil(c: TestClient, n: number): Promise<void> {
  for (let i = 0; (await sessionCount(c)) !== n; i++) {
    assert.ok(i < 300, `the person never had ${n} connection(s)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('one account on two nodes is one person', () => {
  it('one nick, one entry in NAMES and WHOIS on both nodes; DMs reach both devices; room messages, JOIN and a device closing as on one node', async () => {
    const [n1, n2] = await twoNodes();
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
      assert.deepEqual(
        (await c.names('#plaza')).sort(),
        ['@lucia', 'otro', 'tercero'],
        `NAMES via ${c.nick}`,
      );
      c.send('WHOIS lucia');
      const whois = await c.until((m) => m.command === '318');
      assert.equal(whois.filter((m) => m.command === '311').length, 1, `one WHOIS entry via ${c.nick}`);
    }
    otro.send('WHOIS lucia_phone');
    assert.ok(
      (await otro.until((m) => m.command === '318')).some((m) => m.command === '401'),
      'no second user',
    );

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
    await sessionsUntil(laptop, 1);
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

describe('PASS account:password across nodes', () => {
  it('a device logging in with the server password (irssi, WeeChat) on node 2 attaches to the person node 1 holds', async () => {
    const [n1, n2] = await twoNodes();
    const laptop = await device(n1.port, 'lucia');
    laptop.send('JOIN #sala');
    await laptop.expect('366');
    const watcher = track(await TestClient.register(n2.port, 'watcher'));
    await whoisUntil(watcher, 'lucia', (r) => r.some((m) => m.command === '311'));
    const irssi = track(await TestClient.connect(n2.port));
    irssi.send('PASS lucia:secret-lucia');
    irssi.send('NICK lucia');
    irssi.send('USER lucia 0 * :Lucia');
    await irssi.waitFor((m) => m.command === '376' || m.command === '422');
    assert.equal(welcomeNick(irssi), 'lucia');
    assert.ok(irssi.received.some((m) => m.command === 'JOIN' && m.params[0] === '#sala'));
    await sessionsUntil(laptop, 2);
    irssi.send('PRIVMSG #sala :desde irssi');
    const own = await laptop.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'desde irssi');
    assert.equal(from(own), 'lucia');
  });
});

describe('relay connections when nodes go or do not answer', () => {
  it('the holding node shutting down ends the relayed device with its reason; it then registers on its own node as lucia', async () => {
    const [n1, n2] = await twoNodes();
    const laptop = await device(n1.port, 'lucia');
    const watcher = track(await TestClient.register(n2.port, 'watcher'));
    await whoisUntil(watcher, 'lucia', (r) => r.some((m) => m.command === '311'));
    const phone = await device(n2.port, 'lucia');
    assert.equal(welcomeNick(phone), 'lucia');
    await sessionsUntil(laptop, 2);
    await n1.stop();
    // The holder's ERROR reaches the relayed client, then its node closes the socket.
    const error = await phone.waitFor((m) => m.command === 'ERROR');
    assert.match(error.params[0]!, /\[Test finished\]/, 'node 1’s own reason for closing');
    await phone.waitClosed();
    // Node 2 no longer sees lucia anywhere: a new login there is the person, held there.
    await whoisUntil(watcher, 'lucia', (r) => r.some((m) => m.command === '401'));
    const again = await device(n2.port, 'lucia');
    assert.equal(welcomeNick(again), 'lucia');
    watcher.send('WHOIS lucia');
    assert.ok((await watcher.until((m) => m.command === '318')).some((m) => m.command === '311'));
  });

  it('a netsplit drops the relay on both sides: the relayed device is told why, the holder keeps its own', async () => {
    const [n1, n2] = await twoNodes();
    const laptop = await device(n1.port, 'lucia');
    const watcher = track(await TestClient.register(n2.port, 'watcher'));
    await whoisUntil(watcher, 'lucia', (r) => r.some((m) => m.command === '311'));
    const phone = await device(n2.port, 'lucia');
    await sessionsUntil(laptop, 2);
    // Freeze node 1's link past the 2 s timeout (as network.test.ts does): both sides split.
    const node1 = n1.tertulia.server.network as ClusterNode;
    node1.bus.pub.stream.cork();
    node1.bus.sub.stream.pause();
    const error = await phone.waitFor((m) => m.command === 'ERROR', 15_000);
    assert.match(error.params[0]!, /Lost the node holding your session \(n2 n1\)/);
    await phone.waitClosed();
    await sessionsUntil(laptop, 1);
    node1.bus.pub.stream.uncork();
    node1.bus.sub.stream.resume();
    // Healed: lucia (held by node 1) is back in node 2's view.
    await whoisUntil(watcher, 'lucia', (r) => r.some((m) => m.command === '311'));
  });

  it('a holder that does not answer: the connection registers where it is, as a separate user, and a late answer is withdrawn', async () => {
    // A timeout longer than the relay wait: node 1 stays in the network while it is deaf.
    const [n1, n2] = await twoNodes({ clusterTimeout: 10 });
    const laptop = await device(n1.port, 'lucia');
    const watcher = track(await TestClient.register(n2.port, 'watcher'));
    await whoisUntil(watcher, 'lucia', (r) => r.some((m) => m.command === '311'));
    const node1 = n1.tertulia.server.network as ClusterNode;
    node1.bus.sub.stream.pause(); // it hears nothing (the handover request among it)
    const c = track(await TestClient.connect(n2.port));
    c.send('CAP LS 302');
    c.send('CAP REQ :sasl');
    c.send('NICK lucia');
    c.send('USER lucia 0 * :Lucia');
    await c.expect('CAP', '*', 'ACK');
    c.send('AUTHENTICATE PLAIN');
    await c.expect('AUTHENTICATE', '+');
    c.send(`AUTHENTICATE ${Buffer.from('\0lucia\0secret-lucia').toString('base64')}`);
    await c.expect('903');
    c.send('CAP END');
    // As without a holder: lucia is someone else's nick here, so another one is asked for.
    await c.waitFor((m) => m.command === '433', 10_000);
    c.send('NICK lucia2');
    await c.waitFor((m) => m.command === '001');
    assert.equal(welcomeNick(c), 'lucia2');
    node1.bus.sub.stream.resume();
    // Node 1 hears the stale request now (before this DM: one ordered stream from node 2) and
    // takes it; node 2 withdraws it, so the person is back to one device.
    c.send('PRIVMSG lucia :soy yo');
    const dm = await laptop.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'soy yo');
    assert.equal(from(dm), 'lucia2');
    await sessionsUntil(laptop, 1);
  });
});
