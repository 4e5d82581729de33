/**
 * The network as a whole: nick collisions settled the same on every node, a late node
 * receiving the burst, foreign or malformed bus messages, losing Redis and coming back,
 * and one room's history written by two nodes on the shared PostgreSQL.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ClusterNode } from '../../src/cluster/node.js';
import { type Received, TestClient } from '../helpers/client.js';
import {
  dropPrefix,
  freshPrefix,
  known,
  redisClient,
  startNode,
  startNodes,
  whoisUntil,
} from '../helpers/cluster.js';
import { POSTGRES_URL } from '../helpers/databases.js';
import type { TestServer } from '../helpers/server.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function cluster(count: number, overrides = {}) {
  const c = await startNodes(count, overrides);
  cleanups.push(() => c.stop());
  return c;
}

function client(c: TestClient): TestClient {
  cleanups.push(async () => c.close());
  return c;
}

/** Nick of a message's source. */
const from = (m: Received): string => m.source?.split('!')[0] ?? '';

describe('nick collisions', () => {
  it('two nodes registering one nick at the same moment settle it identically on both', async () => {
    const { nodes } = await cluster(2);
    const [n1, n2] = nodes as [TestServer, TestServer];
    const a = client(await TestClient.connect(n1.port));
    const b = client(await TestClient.connect(n2.port));
    // Hold every publish for a moment, so each node registers `twin` before hearing of the other.
    const redis = redisClient();
    cleanups.push(async () => redis.disconnect());
    await redis.call('CLIENT', 'PAUSE', '400', 'WRITE');
    for (const [c, user] of [
      [a, 'left'],
      [b, 'right'],
    ] as const) {
      c.send('NICK twin');
      c.send(`USER ${user} 0 * :${user}`);
    }
    await a.expect('001', 'twin');
    await b.expect('001', 'twin');
    // Exactly one of them is renamed, with a NICK they see.
    const renamed = await Promise.race([
      a.waitFor((m) => m.command === 'NICK', 10_000).then((m) => ({ loser: a, winner: b, m })),
      b.waitFor((m) => m.command === 'NICK', 10_000).then((m) => ({ loser: b, winner: a, m })),
    ]);
    const guest = renamed.m.params[0]!;
    assert.match(guest, /^Guest\d+$/);
    assert.equal(from(renamed.m), 'twin');
    await renamed.loser.waitFor((m) => m.command === 'NOTICE' && m.params[1]!.includes('took the nick twin'));
    await renamed.winner.sync();
    assert.ok(!renamed.winner.since.some((m) => m.command === 'NICK'), 'the winner keeps the nick');
    // Both nodes agree on who is who.
    const winnerUser = renamed.winner === a ? '~left' : '~right';
    const loserUser = renamed.winner === a ? '~right' : '~left';
    for (const c of [a, b]) {
      const twin = await whoisUntil(c, 'twin', (r) => r.some((m) => m.command === '311'));
      assert.equal(twin.find((m) => m.command === '311')!.params[2], winnerUser);
      const g = await whoisUntil(c, guest, (r) => r.some((m) => m.command === '311'));
      assert.equal(g.find((m) => m.command === '311')!.params[2], loserUser);
    }
    // And messages to `twin` reach the winner from either node.
    renamed.loser.send('PRIVMSG twin :¿quién ganó?');
    await renamed.winner.expect('PRIVMSG', 'twin', '¿quién ganó?');
  });
});

describe('burst', () => {
  it('a node that starts later receives users, rooms, topics, modes and prefixes', async () => {
    const c = await cluster(2);
    const [n1, n2] = c.nodes as [TestServer, TestServer];
    const alice = client(await TestClient.register(n1.port, 'alice'));
    const bob = client(await TestClient.register(n2.port, 'bob'));
    alice.send('JOIN #hall');
    await alice.expect('366');
    alice.send('TOPIC #hall :bienvenidos');
    alice.send('MODE #hall +sk llave');
    await alice.expect('MODE', '#hall', '+sk', 'llave');
    bob.send('JOIN #hall llave');
    await bob.expect('366');
    bob.send('AWAY :lejos');
    await bob.expect('306');
    await alice.waitFor((m) => m.command === 'JOIN' && from(m) === 'bob');

    const n3 = await startNode(c.prefix, 'n3');
    cleanups.push(() => n3.stop());
    // Registration waited for the burst: everything is known the moment the welcome ends.
    const carol = client(await TestClient.register(n3.port, 'carol', ['multi-prefix']));
    carol.send('JOIN #hall');
    await carol.expect('475', 'carol', '#hall'); // +k came with the burst
    carol.send('JOIN #hall llave');
    const joined = await carol.until((m) => m.command === '366');
    assert.equal(joined.find((m) => m.command === '332')?.params[2], 'bienvenidos');
    const names = joined.filter((m) => m.command === '353');
    assert.equal(names[0]!.params[1], '@', '+s came with the burst');
    assert.deepEqual(names.flatMap((m) => m.params[3]!.split(' ')).sort(), ['@alice', 'bob', 'carol']);
    carol.send('WHOIS bob');
    const whois = await carol.until((m) => m.command === '318');
    assert.equal(whois.find((m) => m.command === '301')?.params[2], 'lejos');
    // And the new node takes part at once.
    carol.send('PRIVMSG #hall :hola a todos');
    await alice.expect('PRIVMSG', '#hall', 'hola a todos');
    await bob.expect('PRIVMSG', '#hall', 'hola a todos');
  });

  it('rooms created at the same moment on two nodes merge: the older keeps its operators', async () => {
    const { nodes } = await cluster(2);
    const [n1, n2] = nodes as [TestServer, TestServer];
    const a = client(await TestClient.register(n1.port, 'ana'));
    const b = client(await TestClient.register(n2.port, 'beto'));
    await known(a, 'beto');
    await known(b, 'ana');
    const redis = redisClient();
    cleanups.push(async () => redis.disconnect());
    await redis.call('CLIENT', 'PAUSE', '300', 'WRITE');
    a.send('JOIN #both');
    await a.expect('366');
    await new Promise((r) => setTimeout(r, 5)); // ana's room is strictly older
    b.send('JOIN #both');
    await b.expect('366');
    // beto created a younger room: he loses +o when ana's join arrives.
    await b.waitFor((m) => m.command === 'MODE' && m.params[1] === '-o' && m.params[2] === 'beto');
    for (const c of [a, b]) {
      for (;;) {
        c.send('NAMES #both');
        const r = await c.until((m) => m.command === '366');
        const list = r.filter((m) => m.command === '353').flatMap((m) => m.params[3]!.split(' '));
        if (list.length === 2) {
          assert.deepEqual(list.sort(), ['@ana', 'beto']);
          break;
        }
        await new Promise((res) => setTimeout(res, 20));
      }
    }
  });
});

describe('a bus shared with others', () => {
  it('malformed, foreign and future messages on the bus are logged and ignored', async () => {
    const c = await cluster(2);
    const [n1, n2] = c.nodes as [TestServer, TestServer];
    const alice = client(await TestClient.register(n1.port, 'alice'));
    const bob = client(await TestClient.register(n2.port, 'bob'));
    await known(alice, 'bob');
    const redis = redisClient();
    cleanups.push(async () => redis.disconnect());
    const bus = `${c.prefix}:bus`;
    for (const junk of [
      'not json at all',
      '[1,2,3]',
      JSON.stringify({ v: 99, n: 'future', e: [] }),
      JSON.stringify({ v: 1, n: 'n1', e: [{ k: 'chan', ch: '#x' }] }),
      JSON.stringify({ v: 1, n: 'n1', e: [{ k: 'quit', id: 42 }] }),
      JSON.stringify({ v: 1, n: 'bad name!', e: [{ k: 'hb' }] }),
      JSON.stringify({ v: 1, n: 'n1', e: [{ k: 'explode' }] }),
      // Well-formed but from a node nobody knows: ignored (and asked to resync).
      JSON.stringify({ v: 1, n: 'stranger', e: [{ k: 'quit', id: 'n1/1', reason: 'x' }] }),
      // Well-formed, known node, but speaking for another node's user: ignored.
      JSON.stringify({ v: 1, n: 'n1', e: [{ k: 'quit', id: 'n2/1', reason: 'forged' }] }),
    ]) {
      await redis.publish(bus, junk);
    }
    alice.send('PRIVMSG bob :todavía aquí');
    await bob.expect('PRIVMSG', 'bob', 'todavía aquí');
    bob.send('PRIVMSG alice :y yo');
    await alice.expect('PRIVMSG', 'alice', 'y yo');
    assert.ok(n2.logs.some((l) => l.includes('ignored a malformed or foreign message on the bus')));
    assert.ok(!bob.received.some((m) => m.command === 'QUIT'));
  });
});

describe('losing Redis', () => {
  it('a node whose Redis connections are killed reconnects, resyncs, and its users talk again', async () => {
    const c = await cluster(2);
    const [n1, n2] = c.nodes as [TestServer, TestServer];
    const alice = client(await TestClient.register(n1.port, 'alice'));
    const bob = client(await TestClient.register(n2.port, 'bob'));
    alice.send('JOIN #r');
    await alice.expect('366');
    bob.send('JOIN #r');
    await alice.waitFor((m) => m.command === 'JOIN' && from(m) === 'bob');
    const redis = redisClient();
    cleanups.push(async () => redis.disconnect());
    // n2's two connections, by the names the bus gives them (`tertulia:<bus channel>:<node>:…`).
    const list = String(await redis.call('CLIENT', 'LIST'));
    const ours = list
      .split('\n')
      .filter((l) => l.includes(` name=tertulia:${c.prefix}:bus:n2:`))
      .map((l) => /\bid=(\d+)/.exec(l)![1]!);
    assert.equal(ours.length, 2);
    for (const id of ours) await redis.call('CLIENT', 'KILL', 'ID', id);
    // The others saw n2 go and come back (a netsplit, then a netjoin), and nothing crashed.
    await alice.waitFor((m) => m.command === 'QUIT' && from(m) === 'bob' && m.params[0] === 'n1 n2');
    await alice.waitFor((m) => m.command === 'JOIN' && from(m) === 'bob');
    await bob.waitFor((m) => m.command === 'JOIN' && from(m) === 'alice');
    alice.send('PRIVMSG #r :¿me oyes?');
    await bob.expect('PRIVMSG', '#r', '¿me oyes?');
    bob.send('PRIVMSG #r :sí');
    await alice.expect('PRIVMSG', '#r', 'sí');
  });

  it('a node whose Redis is paused past the timeout splits, then heals when it resumes', async () => {
    const c = await cluster(2);
    const [n1, n2] = c.nodes as [TestServer, TestServer];
    const alice = client(await TestClient.register(n1.port, 'alice'));
    const bob = client(await TestClient.register(n2.port, 'bob'));
    alice.send('JOIN #p');
    await alice.expect('366');
    bob.send('JOIN #p');
    await alice.waitFor((m) => m.command === 'JOIN' && from(m) === 'bob');
    // Freeze n2's link only (CLIENT PAUSE would freeze every test's nodes): what it publishes
    // stays in its socket, what is published to it stays unread, past the 2 s timeout.
    const node2 = n2.tertulia.server.network as ClusterNode;
    node2.bus.pub.stream.cork();
    node2.bus.sub.stream.pause();
    await alice.waitFor((m) => m.command === 'QUIT' && from(m) === 'bob' && m.params[0] === 'n1 n2', 10_000);
    await bob.waitFor((m) => m.command === 'QUIT' && from(m) === 'alice' && m.params[0] === 'n2 n1', 10_000);
    node2.bus.pub.stream.uncork();
    node2.bus.sub.stream.resume();
    await alice.waitFor((m) => m.command === 'JOIN' && from(m) === 'bob', 15_000);
    alice.send('PRIVMSG #p :de vuelta');
    await bob.expect('PRIVMSG', '#p', 'de vuelta');
  });
});

describe('history across nodes (PostgreSQL)', () => {
  it('a room written by both nodes is read whole from either', async () => {
    const schema = `t_cluster_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const database = `${POSTGRES_URL}?schema=${schema}`;
    const c = await cluster(2, { database });
    cleanups.push(async () => {
      const pg = (await import('pg')).default;
      const db = new pg.Client({ connectionString: POSTGRES_URL });
      await db.connect();
      await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await db.end();
    });
    const [n1, n2] = c.nodes as [TestServer, TestServer];
    const caps = ['draft/chathistory', 'batch', 'server-time', 'message-tags', 'echo-message'];
    const alice = client(await TestClient.register(n1.port, 'alice', caps));
    const bob = client(await TestClient.register(n2.port, 'bob', caps));
    alice.send('JOIN #log');
    await alice.expect('366');
    bob.send('JOIN #log');
    await alice.waitFor((m) => m.command === 'JOIN' && from(m) === 'bob');
    alice.send('PRIVMSG #log :uno (n1)');
    await bob.expect('PRIVMSG', '#log', 'uno (n1)');
    bob.send('PRIVMSG #log :dos (n2)');
    await alice.expect('PRIVMSG', '#log', 'dos (n2)');
    alice.send('PRIVMSG #log :tres (n1)');
    const last = await bob.expect('PRIVMSG', '#log', 'tres (n1)');
    for (const reader of [alice, bob]) {
      reader.send('CHATHISTORY LATEST #log * 10');
      const start = await reader.waitFor((m) => m.command === 'BATCH' && m.params[0]!.startsWith('+'));
      const lines = await reader.until(
        (m) => m.command === 'BATCH' && m.params[0] === `-${start.params[0]!.slice(1)}`,
      );
      const page = lines.filter((m) => m.command === 'PRIVMSG');
      assert.deepEqual(
        page.map((m) => `${from(m)}: ${m.params[1]}`),
        ['alice: uno (n1)', 'bob: dos (n2)', 'alice: tres (n1)'],
      );
      assert.equal(page[2]!.tags['msgid'], last.tags['msgid'], 'history has the msgid delivered live');
    }
  });
});

// A prefix nobody used is harmless to drop (the helper's cleanup path).
after(async () => dropPrefix(freshPrefix()));
