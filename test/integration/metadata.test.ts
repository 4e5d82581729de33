/**
 * IRCv3 draft/metadata-2 (https://ircv3.net/specs/extensions/metadata) over real sockets:
 * the capability and its limits, every METADATA subcommand and its standard replies, the
 * notifications to people sharing a room or monitoring, the sync on JOIN, the client's own
 * metadata on connecting, WHOIS, and an account's profile surviving a restart on SQLite
 * and on the real PostgreSQL. Test names cite the spec section they check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, type TestContext, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { connectWithSasl } from '../accounts/helpers.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CAPS = ['draft/metadata-2', 'batch'];

interface Harness {
  server: TestServer;
  client(nick: string, caps?: string[]): Promise<TestClient>;
}

async function boot(t: TestContext, overrides: Partial<Config> = {}): Promise<Harness> {
  const server = await startServer(overrides);
  const clients: TestClient[] = [];
  t.after(async () => {
    await server.stop();
    for (const c of clients) c.close();
  });
  return {
    server,
    async client(nick, caps = CAPS) {
      const c = await TestClient.register(server.port, nick, caps);
      clients.push(c);
      await c.sync(); // the own-metadata batch after the welcome has arrived
      return c;
    },
  };
}

/** Sends a command and returns every line up to the PONG of a PING sent right after it. */
async function reply(c: TestClient, line: string): Promise<Received[]> {
  c.mark();
  c.send(line);
  const token = `t${Math.random().toString(36).slice(2)}`;
  c.send(`PING ${token}`);
  const lines = await c.until((m) => m.command === 'PONG' && m.params.at(-1) === token);
  return lines.slice(0, -1);
}

/** Lines as `COMMAND params…` without the client's own nick on numerics, for assertions. */
function show(lines: Received[], nick: string): string[] {
  return lines.map((m) => {
    const params = /^\d{3}$/.test(m.command) && m.params[0] === nick ? m.params.slice(1) : m.params;
    const batch = m.tags['batch'] === undefined ? '' : '[b] ';
    return `${batch}${m.command} ${params.join(' ')}`.trimEnd();
  });
}

/** The lines inside the one `metadata` batch of `lines`, with the batch's own parameters. */
function batchOf(lines: Received[]): { params: string[]; inner: Received[] } {
  const open = lines.find((m) => m.command === 'BATCH' && m.params[0]!.startsWith('+'));
  assert.ok(open, `a batch in:\n${lines.map((m) => m.raw).join('\n')}`);
  const id = open.params[0]!.slice(1);
  assert.ok(
    lines.some((m) => m.command === 'BATCH' && m.params[0] === `-${id}`),
    'the batch is closed',
  );
  return { params: open.params.slice(1), inner: lines.filter((m) => m.tags['batch'] === id) };
}

/** Joins them one after another (the first is operator), then lets every JOIN arrive. */
async function joinAll(channel: string, ...clients: TestClient[]): Promise<void> {
  for (const c of clients) {
    c.send(`JOIN ${channel}`);
    await c.expect('366', c.nick, channel);
  }
  for (const c of clients) await c.sync();
}

describe('draft/metadata-2', () => {
  test('metadata §draft/metadata-2 Capability: CAP LS 302 lists it with before-connect and the configured max-subs, max-keys and max-value-bytes', async (t) => {
    const h = await boot(t, { metadataMaxSubs: 7, metadataMaxKeys: 5, metadataMaxValueBytes: 123 });
    const c = await TestClient.connect(h.server.port);
    t.after(() => c.close());
    c.send('CAP LS 302');
    const caps: string[] = [];
    for (;;) {
      const ls = await c.expect('CAP', '*', 'LS');
      caps.push(...ls.params.at(-1)!.split(' '));
      if (ls.params[2] !== '*') break;
    }
    assert.ok(
      caps.includes('draft/metadata-2=before-connect,max-subs=7,max-keys=5,max-value-bytes=123'),
      caps.join(' '),
    );
  });

  test('metadata §METADATA SET and §METADATA GET: SET answers RPL_KEYVALUE; GET answers each key in order in a metadata batch (761 set, 766 RPL_KEYNOTSET, FAIL KEY_INVALID)', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    assert.deepEqual(show(await reply(alice, 'METADATA * SET display-name :Alice Liddell'), 'alice'), [
      '761 alice display-name * Alice Liddell',
    ]);
    const lines = await reply(alice, 'METADATA * GET status display-name Bad:Key');
    const batch = batchOf(lines);
    assert.deepEqual(batch.params, ['metadata', 'alice']);
    assert.deepEqual(show(batch.inner, 'alice'), [
      '[b] 766 alice status key not set',
      '[b] 761 alice display-name * Alice Liddell',
      '[b] FAIL METADATA KEY_INVALID Bad:Key Invalid key',
    ]);
    // Another user reads it by nick.
    const bob = await h.client('bob');
    const theirs = batchOf(await reply(bob, 'METADATA alice GET display-name'));
    assert.deepEqual(show(theirs.inner, 'bob'), ['[b] 761 alice display-name * Alice Liddell']);
  });

  test('metadata §METADATA LIST and §METADATA CLEAR: LIST gives every key (761) in a batch; CLEAR removes them all, listing each (766), and LIST is then empty', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    await reply(alice, 'METADATA * SET status :reading');
    await reply(alice, 'METADATA * SET avatar :https://example.test/a.png');
    const list = batchOf(await reply(alice, 'METADATA * LIST'));
    assert.deepEqual(show(list.inner, 'alice'), [
      '[b] 761 alice avatar * https://example.test/a.png',
      '[b] 761 alice status * reading',
    ]);
    const cleared = batchOf(await reply(alice, 'METADATA * CLEAR'));
    assert.deepEqual(show(cleared.inner, 'alice'), [
      '[b] 766 alice avatar key not set',
      '[b] 766 alice status key not set',
    ]);
    assert.deepEqual(batchOf(await reply(alice, 'METADATA * LIST')).inner, []);
  });

  test('metadata §METADATA SET: removing a key answers 766; removing an unset key FAIL KEY_NOT_SET; an empty value is a value', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    await reply(alice, 'METADATA * SET status :busy');
    assert.deepEqual(show(await reply(alice, 'METADATA * SET status'), 'alice'), [
      '766 alice status key not set',
    ]);
    assert.deepEqual(show(await reply(alice, 'METADATA * SET status'), 'alice'), [
      'FAIL METADATA KEY_NOT_SET alice status Key not set',
    ]);
    assert.deepEqual(show(await reply(alice, 'METADATA * SET status :'), 'alice'), ['761 alice status *']);
  });

  test('metadata §METADATA SET failures: KEY_INVALID, VALUE_INVALID over max-value-bytes, LIMIT_REACHED at max-keys, KEY_NO_PERMISSION on another user, INVALID_TARGET, SUBCOMMAND_INVALID', async (t) => {
    const h = await boot(t, { metadataMaxKeys: 2, metadataMaxValueBytes: 10 });
    const alice = await h.client('alice');
    await h.client('bob');
    assert.deepEqual(show(await reply(alice, 'METADATA * SET Display-Name :x'), 'alice'), [
      'FAIL METADATA KEY_INVALID Display-Name Invalid key',
    ]);
    // 11 bytes in 6 characters: the limit is in UTF-8 bytes.
    assert.deepEqual(show(await reply(alice, 'METADATA * SET status :ñññññ!'), 'alice'), [
      'FAIL METADATA VALUE_INVALID Value is longer than 10 bytes',
    ]);
    await reply(alice, 'METADATA * SET a :1');
    await reply(alice, 'METADATA * SET b :2');
    assert.deepEqual(show(await reply(alice, 'METADATA * SET c :3'), 'alice'), [
      'FAIL METADATA LIMIT_REACHED alice Metadata limit reached',
    ]);
    // Replacing a key that is set is not a new key.
    assert.deepEqual(show(await reply(alice, 'METADATA * SET b :22'), 'alice'), ['761 alice b * 22']);
    assert.deepEqual(show(await reply(alice, 'METADATA bob SET status :hacked'), 'alice'), [
      'FAIL METADATA KEY_NO_PERMISSION bob status You do not have permission to set this key',
    ]);
    assert.deepEqual(show(await reply(alice, 'METADATA nobody GET status'), 'alice'), [
      'FAIL METADATA INVALID_TARGET nobody Invalid metadata target',
    ]);
    assert.deepEqual(show(await reply(alice, 'METADATA * DESTROY'), 'alice'), [
      'FAIL METADATA SUBCOMMAND_INVALID DESTROY Invalid subcommand',
    ]);
  });

  test('metadata §METADATA SUB, §METADATA UNSUB, §METADATA SUBS: 770 for keys subscribed (already subscribed too), KEY_INVALID skipped, TOO_MANY_SUBS names the first key not processed; 771; SUBS lists them once', async (t) => {
    const h = await boot(t, { metadataMaxSubs: 3 });
    const alice = await h.client('alice');
    assert.deepEqual(show(await reply(alice, 'METADATA * SUB avatar $bad status'), 'alice'), [
      'FAIL METADATA KEY_INVALID $bad Invalid key',
      '770 avatar status',
    ]);
    assert.deepEqual(show(await reply(alice, 'METADATA * SUB status display-name homepage color'), 'alice'), [
      'FAIL METADATA TOO_MANY_SUBS homepage Too many subscriptions',
      '770 status display-name',
    ]);
    const subs = batchOf(await reply(alice, 'METADATA * SUBS'));
    assert.deepEqual(show(subs.inner, 'alice'), ['[b] 772 avatar display-name status']);
    assert.deepEqual(show(await reply(alice, 'METADATA * UNSUB status homepage'), 'alice'), [
      '771 status homepage',
    ]);
    assert.deepEqual(show(batchOf(await reply(alice, 'METADATA * SUBS')).inner, 'alice'), [
      '[b] 772 avatar display-name',
    ]);
  });

  test('metadata §Notifications: a change reaches the subscribed connections of those sharing a room and of MONITOR watchers, not the unsubscribed, not a stranger, not the connection that made it; a removal has no value', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob'); // shares the room, subscribed
    const carol = await h.client('carol'); // shares the room, not subscribed
    const dave = await h.client('dave'); // monitors alice, subscribed
    const erin = await h.client('erin'); // neither, subscribed
    await joinAll('#tea', alice, bob, carol);
    for (const c of [bob, dave, erin]) await reply(c, 'METADATA * SUB display-name');
    await reply(dave, 'MONITOR + alice');
    for (const c of [bob, carol, dave, erin]) c.mark();
    const own = await reply(alice, 'METADATA * SET display-name :Alicia');
    assert.deepEqual(show(own, 'alice'), ['761 alice display-name * Alicia']);
    const notice = await bob.expect('METADATA', 'alice', 'display-name');
    assert.equal(notice.source, 'alice!~alice@127.0.0.1');
    assert.deepEqual(notice.params, ['alice', 'display-name', '*', 'Alicia']);
    assert.deepEqual((await dave.expect('METADATA', 'alice')).params, [
      'alice',
      'display-name',
      '*',
      'Alicia',
    ]);
    await reply(alice, 'METADATA * SET display-name');
    assert.deepEqual((await bob.expect('METADATA', 'alice')).params, ['alice', 'display-name', '*']);
    for (const c of [carol, erin]) {
      await c.sync();
      assert.deepEqual(
        c.since.filter((m) => m.command === 'METADATA'),
        [],
        `${c.nick} is told nothing`,
      );
    }
  });

  test('metadata §Notifications: clients get updates for themselves, excluding changes they make: an account’s other device is told, the one that set it is not', async (t) => {
    const h = await boot(t);
    await TestClient.registerAccount(h.server.port, 'ana');
    const laptop = (await connectWithSasl(h.server.port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
    const phone = (await connectWithSasl(h.server.port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
    t.after(() => {
      laptop.close();
      phone.close();
    });
    await reply(phone, 'METADATA * SUB status');
    await reply(laptop, 'METADATA * SUB status');
    phone.mark();
    const own = await reply(laptop, 'METADATA * SET status :en el tren');
    assert.deepEqual(show(own, 'ana'), ['761 ana status * en el tren']);
    assert.deepEqual((await phone.expect('METADATA', 'ana')).params, ['ana', 'status', '*', 'en el tren']);
    // The phone reads the same account value.
    assert.deepEqual(show(batchOf(await reply(phone, 'METADATA * GET status')).inner, 'ana'), [
      '[b] 761 ana status * en el tren',
    ]);
  });

  test('metadata §Concepts (channels): a room operator sets the room’s keys and its subscribed members are told; a member who is not operator gets KEY_NO_PERMISSION', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    await joinAll('#tea', alice, bob);
    await reply(bob, 'METADATA * SUB display-name');
    assert.deepEqual(show(await reply(alice, 'METADATA #tea SET display-name :Tea Room'), 'alice'), [
      '761 #tea display-name * Tea Room',
    ]);
    assert.deepEqual((await bob.expect('METADATA', '#tea')).params, [
      '#tea',
      'display-name',
      '*',
      'Tea Room',
    ]);
    assert.deepEqual(show(await reply(bob, 'METADATA #tea SET display-name :Mine'), 'bob'), [
      'FAIL METADATA KEY_NO_PERMISSION #tea display-name You do not have permission to set this key',
    ]);
    assert.deepEqual(show(batchOf(await reply(bob, 'METADATA #tea GET display-name')).inner, 'bob'), [
      '[b] 761 #tea display-name * Tea Room',
    ]);
  });

  test('metadata §Concepts (on joining) and §METADATA SYNC: JOIN is followed by a metadata batch of the room’s and members’ subscribed keys; SYNC sends the same', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    await joinAll('#tea', alice);
    await reply(alice, 'METADATA * SET display-name :Alicia');
    await reply(alice, 'METADATA * SET homepage :https://example.test');
    await reply(alice, 'METADATA #tea SET display-name :Tea Room');
    const bob = await h.client('bob');
    await reply(bob, 'METADATA * SUB display-name');
    const joined = await reply(bob, 'JOIN #tea');
    const end = joined.findIndex((m) => m.command === '366');
    const batch = batchOf(joined.slice(end));
    assert.deepEqual(batch.params, ['metadata', '#tea']);
    assert.deepEqual(show(batch.inner, 'bob'), [
      '[b] METADATA #tea display-name * Tea Room',
      '[b] METADATA alice display-name * Alicia',
    ]);
    const synced = batchOf(await reply(bob, 'METADATA #tea SYNC'));
    assert.deepEqual(show(synced.inner, 'bob'), show(batch.inner, 'bob'));
  });

  test('metadata §Postponed synchronization: joining a room larger than metadata-sync-members gets RPL_METADATASYNCLATER (774) instead, and SYNC then works', async (t) => {
    const h = await boot(t, { metadataSyncMembers: 1 });
    const alice = await h.client('alice');
    await joinAll('#big', alice);
    await reply(alice, 'METADATA * SET display-name :Alicia');
    const bob = await h.client('bob');
    await reply(bob, 'METADATA * SUB display-name');
    const joined = await reply(bob, 'JOIN #big');
    assert.ok(show(joined, 'bob').includes('774 #big 1'), show(joined, 'bob').join('\n'));
    assert.ok(!joined.some((m) => m.command === 'BATCH'), 'no metadata batch on this JOIN');
    assert.deepEqual(show(batchOf(await reply(bob, 'METADATA #big SYNC')).inner, 'bob'), [
      '[b] METADATA alice display-name * Alicia',
    ]);
  });

  test('metadata §draft/metadata-2 Capability (before-connect): SUB and SET work during registration, and the welcome is followed by the client’s own metadata batch', async (t) => {
    const h = await boot(t);
    const c = await TestClient.connect(h.server.port);
    t.after(() => c.close());
    c.nick = 'alice';
    c.send('CAP LS 302');
    c.send('CAP REQ :draft/metadata-2 batch');
    c.send('NICK alice');
    c.send('METADATA * SUB status');
    c.send('METADATA * SET status :early');
    await c.expect('770', 'alice', 'status');
    await c.expect('761', 'alice', 'alice', 'status', '*', 'early');
    c.send('USER alice 0 * :Alice');
    c.send('CAP END');
    const lines = await c.until((m) => m.command === 'BATCH' && m.params[0]!.startsWith('-'));
    const own = batchOf(lines.slice(lines.findIndex((m) => m.command === '376' || m.command === '422')));
    assert.deepEqual(own.params, ['metadata', 'alice']);
    assert.deepEqual(show(own.inner, 'alice'), ['[b] METADATA alice status * early']);
  });

  test('metadata §RPL_WHOISKEYVALUE: WHOIS shows the display name and status (760), and not other keys', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    await reply(alice, 'METADATA * SET display-name :Alicia');
    await reply(alice, 'METADATA * SET homepage :https://example.test');
    const bob = await h.client('bob', []);
    const whois = show(await reply(bob, 'WHOIS alice'), 'bob').filter((l) => l.startsWith('760'));
    assert.deepEqual(whois, ['760 alice display-name * Alicia']);
  });
});

for (const backend of backends()) {
  describe(`draft/metadata-2 per account across a restart (${backend.name})`, () => {
    after(() => backend.cleanup());

    test('metadata §Notifications (stored metadata): an account’s profile is kept: after a restart its next connection gets it in its own metadata batch and others read it; a guest starts with an empty one', async (t) => {
      const database = await backend.fresh();
      const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-metadata-'));
      let server = await startServer({ dataDir, database });
      const clients: TestClient[] = [];
      t.after(async () => {
        for (const c of clients) c.close();
        await server.stop();
      });
      await TestClient.registerAccount(server.port, 'ana');
      const first = await connectWithSasl(server.port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS);
      clients.push(first.client);
      await reply(first.client, 'METADATA * SET display-name :Ana Torres');
      await reply(first.client, 'METADATA * SET avatar :https://example.test/ana.png');
      await reply(first.client, 'METADATA * SET status');
      await server.stop();

      server = await startServer({ dataDir, database });
      const again = await TestClient.connect(server.port);
      clients.push(again);
      again.nick = 'ana';
      again.send('CAP LS 302');
      again.send(`CAP REQ :${['sasl', ...CAPS].join(' ')}`);
      again.send('NICK ana');
      again.send('USER ana 0 * :Ana');
      again.send('AUTHENTICATE PLAIN');
      await again.expect('AUTHENTICATE', '+');
      again.send(`AUTHENTICATE ${Buffer.from('\0ana\0secret-ana').toString('base64')}`);
      await again.expect('903');
      again.send('CAP END');
      const lines = await again.until((m) => m.command === 'BATCH' && m.params[0]!.startsWith('-'));
      const own = batchOf(lines.slice(lines.findIndex((m) => m.command === '376' || m.command === '422')));
      assert.deepEqual(show(own.inner, 'ana'), [
        '[b] METADATA ana avatar * https://example.test/ana.png',
        '[b] METADATA ana display-name * Ana Torres',
      ]);
      const bob = await TestClient.register(server.port, 'bob', CAPS);
      clients.push(bob);
      await bob.sync();
      assert.deepEqual(show(batchOf(await reply(bob, 'METADATA ana GET display-name')).inner, 'bob'), [
        '[b] 761 ana display-name * Ana Torres',
      ]);
      // A guest has none: its list is an empty batch.
      const guestLines = await reply(bob, 'METADATA * LIST');
      assert.deepEqual(batchOf(guestLines).inner, []);
    });
  });
}
