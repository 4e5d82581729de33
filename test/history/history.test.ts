/**
 * Durable history over real sockets, on both storage back ends: what is said is stored,
 * replayed through IRCv3 draft/chathistory, replayed on JOIN to clients without it, kept
 * private, and survives a restart.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const HISTORY_CAPS = ['draft/chathistory', 'batch', 'server-time', 'message-tags', 'echo-message'];

/** Sends a CHATHISTORY request and returns the messages of its chathistory batch. */
async function history(c: TestClient, line: string): Promise<Received[]> {
  c.send(line);
  const start = await c.waitFor((m) => m.command === 'BATCH' && m.params[0]!.startsWith('+'));
  assert.equal(start.params[1], 'chathistory', start.raw);
  const id = start.params[0]!.slice(1);
  const lines = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`);
  const inside = lines.slice(0, -1);
  for (const m of inside) assert.equal(m.tags['batch'], id, m.raw);
  return inside;
}

const texts = (ms: Received[]): string[] => ms.map((m) => m.params[1]!);

for (const backend of backends()) {
  describe(`history on ${backend.name}`, () => {
    const servers: TestServer[] = [];
    const clients: TestClient[] = [];
    const start = async (overrides: Parameters<typeof startServer>[0] = {}): Promise<TestServer> => {
      const database = overrides.database !== undefined ? overrides.database : await backend.fresh();
      const srv = await startServer({ ...overrides, database });
      servers.push(srv);
      return srv;
    };
    const reg = async (srv: TestServer, nick: string, caps: string[] = HISTORY_CAPS): Promise<TestClient> => {
      const c = await TestClient.register(srv.port, nick, caps);
      clients.push(c);
      return c;
    };
    after(async () => {
      for (const c of clients) c.close();
      for (const s of servers) await s.stop().catch(() => {});
      await backend.cleanup();
    });

    test('draft/chathistory: the capability and ISUPPORT CHATHISTORY/MSGREFTYPES are advertised', async () => {
      const srv = await start({ historyLimit: 50 });
      const c = await TestClient.connect(srv.port);
      clients.push(c);
      c.send('CAP LS 302');
      const ls = await c.expect('CAP', '*', 'LS');
      assert.ok(ls.params.at(-1)!.split(' ').includes('draft/chathistory'), ls.raw);
      assert.ok(ls.params.at(-1)!.split(' ').includes('draft/read-marker'), ls.raw);
      c.send('CAP END');
      c.send('NICK isup');
      c.send('USER i 0 * :I');
      await c.expect('376');
      const tokens = c.received.filter((m) => m.command === '005').flatMap((m) => m.params.slice(1, -1));
      assert.ok(tokens.includes('CHATHISTORY=50'), tokens.join(' '));
      assert.ok(tokens.includes('MSGREFTYPES=timestamp,msgid'), tokens.join(' '));
    });

    test('draft/chathistory LATEST returns stored messages oldest first with their original msgid, time and source', async () => {
      const srv = await start();
      const alice = await reg(srv, 'alice');
      const bob = await reg(srv, 'bob');
      alice.send('JOIN #room');
      await alice.expect('366');
      bob.send('JOIN #room');
      await bob.expect('366');
      const sent: Received[] = [];
      for (let i = 1; i <= 5; i++) {
        alice.send(`PRIVMSG #room :line ${i}`);
        sent.push(await bob.expect('PRIVMSG', '#room', `line ${i}`));
      }
      const got = await history(bob, 'CHATHISTORY LATEST #room * 10');
      assert.deepEqual(texts(got), ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
      got.forEach((m, i) => {
        assert.equal(m.tags['msgid'], sent[i]!.tags['msgid'], 'same msgid as delivered');
        assert.equal(m.tags['time'], sent[i]!.tags['time'], 'same server-time as delivered');
        assert.equal(m.source, sent[i]!.source);
      });
      const latest2 = await history(bob, 'CHATHISTORY LATEST #room * 2');
      assert.deepEqual(texts(latest2), ['line 4', 'line 5']);
    });

    test('draft/chathistory BEFORE/AFTER/AROUND/BETWEEN page through history by msgid and timestamp', async () => {
      const srv = await start();
      const alice = await reg(srv, 'pager');
      alice.send('JOIN #pages');
      await alice.expect('366');
      const echoes: Received[] = [];
      for (let i = 1; i <= 30; i++) {
        alice.send(`PRIVMSG #pages :m${i}`);
        echoes.push(await alice.expect('PRIVMSG', '#pages', `m${i}`));
      }
      const id = (n: number): string => echoes[n - 1]!.tags['msgid']!;
      const ts = (n: number): string => echoes[n - 1]!.tags['time']!;
      // Scroll back from the newest in pages of 10, as a client's infinite scroll does.
      const page1 = await history(alice, 'CHATHISTORY LATEST #pages * 10');
      assert.deepEqual(
        texts(page1),
        Array.from({ length: 10 }, (_, i) => `m${21 + i}`),
      );
      const page2 = await history(alice, `CHATHISTORY BEFORE #pages msgid=${page1[0]!.tags['msgid']} 10`);
      assert.deepEqual(
        texts(page2),
        Array.from({ length: 10 }, (_, i) => `m${11 + i}`),
      );
      const page3 = await history(alice, `CHATHISTORY BEFORE #pages msgid=${page2[0]!.tags['msgid']} 10`);
      assert.deepEqual(
        texts(page3),
        Array.from({ length: 10 }, (_, i) => `m${1 + i}`),
      );
      const page4 = await history(alice, `CHATHISTORY BEFORE #pages msgid=${page3[0]!.tags['msgid']} 10`);
      assert.deepEqual(page4, [], 'nothing before the first message');

      assert.deepEqual(texts(await history(alice, `CHATHISTORY AFTER #pages msgid=${id(27)} 10`)), [
        'm28',
        'm29',
        'm30',
      ]);
      assert.deepEqual(texts(await history(alice, `CHATHISTORY AFTER #pages msgid=${id(5)} 2`)), [
        'm6',
        'm7',
      ]);
      const around = texts(await history(alice, `CHATHISTORY AROUND #pages msgid=${id(15)} 5`));
      assert.equal(around.length, 5);
      assert.ok(around.includes('m14') && around.includes('m16'), around.join(','));
      assert.deepEqual(
        texts(await history(alice, `CHATHISTORY BETWEEN #pages msgid=${id(3)} msgid=${id(7)} 10`)),
        ['m4', 'm5', 'm6'],
        'BETWEEN excludes both ends',
      );
      assert.deepEqual(
        texts(await history(alice, `CHATHISTORY BETWEEN #pages msgid=${id(20)} msgid=${id(3)} 2`)),
        ['m18', 'm19'],
        'BETWEEN backwards returns the newest next to the first reference',
      );
      const byTime = texts(await history(alice, `CHATHISTORY BEFORE #pages timestamp=${ts(30)} 100`));
      assert.ok(byTime.length >= 1 && !byTime.includes('m30'), 'timestamp bounds are exclusive');
      assert.deepEqual(texts(await history(alice, `CHATHISTORY LATEST #pages msgid=${id(28)} 10`)), [
        'm29',
        'm30',
      ]);
    });

    test('draft/chathistory errors: unknown subcommand, missing parameters, bad references and limits', async () => {
      const srv = await start();
      const c = await reg(srv, 'errs');
      c.send('CHATHISTORY FOO #x * 10');
      assert.deepEqual((await c.expect('FAIL', 'CHATHISTORY', 'UNKNOWN_COMMAND')).params[2], 'FOO');
      c.send('CHATHISTORY LATEST #x');
      await c.expect('FAIL', 'CHATHISTORY', 'NEED_MORE_PARAMS');
      c.send('CHATHISTORY BEFORE #x yesterday 10');
      await c.expect('FAIL', 'CHATHISTORY', 'INVALID_PARAMS');
      c.send('CHATHISTORY LATEST #x * -5');
      await c.expect('FAIL', 'CHATHISTORY', 'INVALID_PARAMS');
      c.send('CHATHISTORY BEFORE #x * 10');
      await c.expect('FAIL', 'CHATHISTORY', 'INVALID_PARAMS');
    });

    test('a limit above ISUPPORT CHATHISTORY is capped', async () => {
      const srv = await start({ historyLimit: 3 });
      const c = await reg(srv, 'capped');
      c.send('JOIN #cap');
      await c.expect('366');
      for (let i = 0; i < 6; i++) {
        c.send(`PRIVMSG #cap :n${i}`);
        await c.expect('PRIVMSG');
      }
      assert.deepEqual(texts(await history(c, 'CHATHISTORY LATEST #cap * 1000')), ['n3', 'n4', 'n5']);
    });

    test('chathistory §Errors: room history is for members; a non-member or a missing room gets INVALID_TARGET', async () => {
      const srv = await start();
      const alice = await reg(srv, 'member');
      const eve = await reg(srv, 'eve');
      alice.send('JOIN #club');
      await alice.expect('366');
      alice.send('PRIVMSG #club :members only');
      await alice.expect('PRIVMSG');
      // The same reply whether the room exists or not, so it reveals nothing.
      for (const room of ['#club', '#nonexistent']) {
        eve.send(`CHATHISTORY LATEST ${room} * 10`);
        const fail = await eve.expect('FAIL', 'CHATHISTORY', 'INVALID_TARGET');
        assert.deepEqual(fail.params.slice(2, 4), ['LATEST', room]);
      }
      eve.send('CHATHISTORY LATEST !!notanick * 10');
      await eve.expect('FAIL', 'CHATHISTORY', 'INVALID_TARGET');
      assert.equal(eve.received.filter((m) => m.command === 'BATCH').length, 0, 'no empty batch');
    });

    test('private history is visible only to its two participants; a guest only sees its own connection’s', async () => {
      const srv = await start();
      const alice = await reg(srv, 'alicepm');
      const bob = await reg(srv, 'bobpm');
      const carol = await reg(srv, 'carolpm');
      alice.send('PRIVMSG bobpm :psst bob');
      await bob.expect('PRIVMSG', 'bobpm', 'psst bob');
      bob.send('PRIVMSG alicepm :hi alice');
      await alice.expect('PRIVMSG', 'alicepm', 'hi alice');
      assert.deepEqual(texts(await history(alice, 'CHATHISTORY LATEST bobpm * 10')), [
        'psst bob',
        'hi alice',
      ]);
      assert.deepEqual(texts(await history(bob, 'CHATHISTORY LATEST alicepm * 10')), [
        'psst bob',
        'hi alice',
      ]);
      assert.deepEqual(
        await history(carol, 'CHATHISTORY LATEST bobpm * 10'),
        [],
        'a third user sees nothing',
      );
      assert.deepEqual(await history(carol, 'CHATHISTORY LATEST alicepm * 10'), []);
      // Bob leaves; whoever takes the nick next is someone else and sees none of it.
      bob.send('QUIT');
      await bob.waitClosed();
      const impostor = await reg(srv, 'bobpm');
      assert.deepEqual(await history(impostor, 'CHATHISTORY LATEST alicepm * 10'), []);
    });

    test('CHATHISTORY TARGETS lists the rooms and private conversations with recent activity', async () => {
      const srv = await start();
      const alice = await reg(srv, 'targ');
      const bob = await reg(srv, 'targbob');
      alice.send('JOIN #t1,#t2');
      await alice.expect('366', 'targ', '#t2');
      alice.send('PRIVMSG #t1 :one');
      await alice.expect('PRIVMSG', '#t1');
      alice.send('PRIVMSG targbob :two');
      await bob.expect('PRIVMSG', 'targbob');
      const from = new Date(Date.now() - 60_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      alice.send(`CHATHISTORY TARGETS timestamp=${from} timestamp=${to} 10`);
      const startBatch = await alice.expect('BATCH');
      assert.equal(startBatch.params[1], 'draft/chathistory-targets');
      const lines = await alice.until((m) => m.command === 'BATCH' && m.params[0]!.startsWith('-'));
      const names = lines.filter((m) => m.command === 'CHATHISTORY').map((m) => m.params[1]);
      assert.ok(names.includes('#t1'), names.join(','));
      assert.ok(names.includes('targbob'), names.join(','));
      assert.ok(!names.includes('#t2'), 'a room without messages is not listed');
    });

    test('clients without chathistory get the last messages replayed on JOIN with server-time; others do not', async () => {
      const srv = await start({ historyReplay: 3, historyReplayGuests: true });
      const talker = await reg(srv, 'talker');
      talker.send('JOIN #replay');
      await talker.expect('366');
      for (let i = 1; i <= 5; i++) {
        talker.send(`PRIVMSG #replay :said ${i}`);
        await talker.expect('PRIVMSG');
      }
      const late = await reg(srv, 'late', ['server-time', 'batch']);
      late.send('JOIN #replay');
      await late.expect('366');
      const replayed = [];
      for (let i = 3; i <= 5; i++) replayed.push(await late.expect('PRIVMSG', '#replay', `said ${i}`));
      for (const m of replayed) assert.match(m.tags['time'] ?? '', /^\d{4}-\d{2}-\d{2}T/, m.raw);
      const modern = await reg(srv, 'modern');
      modern.send('JOIN #replay');
      await modern.expect('366');
      modern.send('PING sync');
      const after366 = await modern.until((m) => m.command === 'PONG');
      assert.ok(
        !after366.some((m) => m.command === 'PRIVMSG'),
        'chathistory clients fetch history themselves',
      );
      const off = await start({ historyReplay: 0, database: null, dataDir: srv.config.dataDir + '-off' });
      const a = await TestClient.register(off.port, 'offa', []);
      clients.push(a);
      a.send('JOIN #quiet');
      await a.expect('366');
      a.send('PRIVMSG #quiet :hello');
      await a.sync();
      const b = await TestClient.register(off.port, 'offb', []);
      clients.push(b);
      b.send('JOIN #quiet');
      await b.expect('366');
      b.send('PING s');
      assert.ok(!(await b.until((m) => m.command === 'PONG')).some((m) => m.command === 'PRIVMSG'));
    });

    test('history survives a restart of the server on the same database', async () => {
      const database = await backend.fresh();
      const first = await start({ database });
      const alice = await reg(first, 'keeper');
      alice.send('JOIN #durable');
      await alice.expect('366');
      alice.send('PRIVMSG #durable :remember me');
      await alice.expect('PRIVMSG', '#durable', 'remember me');
      alice.close();
      await first.stop();
      const second = await start({ database, dataDir: first.config.dataDir });
      const back = await reg(second, 'keeper');
      back.send('JOIN #durable');
      await back.expect('366');
      assert.deepEqual(texts(await history(back, 'CHATHISTORY LATEST #durable * 10')), ['remember me']);
    });

    test('typing notifications (TAGMSG +typing) are not stored; NOTICE is', async () => {
      const srv = await start();
      const a = await reg(srv, 'typer');
      a.send('JOIN #typing');
      await a.expect('366');
      a.send('@+typing=active TAGMSG #typing');
      await a.expect('TAGMSG');
      a.send('NOTICE #typing :a notice');
      await a.expect('NOTICE');
      const got = await history(a, 'CHATHISTORY LATEST #typing * 10');
      assert.deepEqual(
        got.map((m) => [m.command, m.params[1]]),
        [['NOTICE', 'a notice']],
      );
    });
  });
}
