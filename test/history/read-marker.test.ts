/**
 * IRCv3 draft/read-marker over real sockets on both storage back ends: markers are per
 * account and conversation, only move forward, reach every connection of the account,
 * come before RPL_ENDOFNAMES on JOIN, and survive a restart.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connectWithSasl } from '../accounts/helpers.js';
import { TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CAPS = ['draft/read-marker', 'server-time', 'message-tags', 'batch', 'echo-message'];

for (const backend of backends()) {
  describe(`read markers on ${backend.name}`, () => {
    const servers: TestServer[] = [];
    const clients: TestClient[] = [];
    after(async () => {
      for (const c of clients) c.close();
      for (const s of servers) await s.stop().catch(() => {});
      await backend.cleanup();
    });

    /** Registers account `name` (password "hunter22") and returns a logged-in connection. */
    async function account(srv: TestServer, name: string): Promise<TestClient> {
      const c = await TestClient.register(srv.port, name, ['draft/account-registration', ...CAPS]);
      clients.push(c);
      c.send(`REGISTER ${name} * hunter22`);
      await c.expect('REGISTER', 'SUCCESS');
      return c;
    }

    async function login(srv: TestServer, nick: string, name: string): Promise<TestClient> {
      const { client, result } = await connectWithSasl(srv.port, nick, 'PLAIN', name, 'hunter22', CAPS);
      clients.push(client);
      assert.equal(result.outcome.command, '903', result.outcome.raw);
      return client;
    }

    test('read-marker §MARKREAD client set: the marker is set, echoed, and sent to every connection of the account', async () => {
      const srv = await startServer({ database: await backend.fresh() });
      servers.push(srv);
      const phone = await account(srv, 'reader');
      const laptop = await login(srv, 'reader_laptop', 'reader');
      const stranger = await account(srv, 'stranger');
      phone.send('JOIN #news');
      await phone.expect('366');
      phone.send('PRIVMSG #news :headline');
      const msg = await phone.expect('PRIVMSG', '#news', 'headline');
      const stamp = `timestamp=${msg.tags['time']}`;
      phone.send(`MARKREAD #news ${stamp}`);
      assert.deepEqual((await phone.expect('MARKREAD', '#news')).params, ['#news', stamp]);
      assert.deepEqual(
        (await laptop.expect('MARKREAD', '#news')).params,
        ['#news', stamp],
        'synced to the other connection',
      );
      stranger.send('MARKREAD #news');
      assert.deepEqual(
        (await stranger.expect('MARKREAD', '#news')).params,
        ['#news', '*'],
        'markers are private',
      );
      laptop.send('MARKREAD #news');
      assert.deepEqual((await laptop.expect('MARKREAD', '#news')).params, ['#news', stamp]);
    });

    test('read-marker §Read timestamp notes: an older timestamp does not move the marker back', async () => {
      const srv = await startServer({ database: await backend.fresh() });
      servers.push(srv);
      const c = await account(srv, 'forward');
      c.send('MARKREAD bob timestamp=2026-01-02T00:00:00.000Z');
      await c.expect('MARKREAD', 'bob', 'timestamp=2026-01-02T00:00:00.000Z');
      c.send('MARKREAD bob timestamp=2025-06-01T00:00:00.000Z');
      assert.equal((await c.expect('MARKREAD', 'bob')).params[1], 'timestamp=2026-01-02T00:00:00.000Z');
    });

    test('read-marker §Command flows: JOIN sends MARKREAD before RPL_ENDOFNAMES, and markers survive a restart', async () => {
      const database = await backend.fresh();
      const first = await startServer({ database });
      servers.push(first);
      const c = await account(first, 'joiner');
      c.send('JOIN #room');
      const burst = await c.until((m) => m.command === '366');
      const marker = burst.findIndex((m) => m.command === 'MARKREAD');
      assert.ok(marker !== -1, 'MARKREAD in the JOIN burst');
      assert.deepEqual(burst[marker]!.params, ['#room', '*']);
      assert.ok(marker < burst.length - 1, 'before RPL_ENDOFNAMES');
      c.send('MARKREAD #room timestamp=2026-03-04T05:06:07.089Z');
      await c.expect('MARKREAD', '#room');
      c.close();
      await first.stop();
      const second = await startServer({ database, dataDir: first.config.dataDir });
      servers.push(second);
      // Always-on: the account is back in #room before it logs in, and the device that logs in
      // gets the room's JOIN burst, with its MARKREAD before RPL_ENDOFNAMES too.
      const again = await login(second, 'joiner', 'joiner');
      again.send('PING burst-done');
      await again.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'burst-done');
      const burst2 = again.received.slice(again.received.findIndex((m) => m.command === 'JOIN'));
      const marker2 = burst2.findIndex((m) => m.command === 'MARKREAD');
      assert.deepEqual(burst2[marker2]?.params, ['#room', 'timestamp=2026-03-04T05:06:07.089Z']);
      assert.ok(marker2 < burst2.findIndex((m) => m.command === '366'), 'before RPL_ENDOFNAMES');
    });

    test('read-marker §Errors: missing target and bad timestamps get FAIL; none set is `*`', async () => {
      const srv = await startServer({ database: await backend.fresh() });
      servers.push(srv);
      const c = await account(srv, 'errors');
      c.send('MARKREAD');
      await c.expect('FAIL', 'MARKREAD', 'NEED_MORE_PARAMS');
      for (const bad of [
        'yesterday',
        'timestamp=',
        'timestamp=2026-13-45T99:00:00.000Z',
        'timestamp=1700000000',
      ]) {
        c.send(`MARKREAD #x ${bad}`);
        const fail = await c.expect('FAIL', 'MARKREAD', 'INVALID_PARAMS');
        assert.equal(fail.params[2], '#x');
      }
      c.send('MARKREAD #never');
      assert.deepEqual((await c.expect('MARKREAD')).params, ['#never', '*']);
    });

    test('read-marker §MARKREAD: a client that is not logged in keeps markers for its connection only', async () => {
      const srv = await startServer({ database: await backend.fresh() });
      servers.push(srv);
      const guest = await TestClient.register(srv.port, 'guesty', CAPS);
      clients.push(guest);
      guest.send('MARKREAD #x');
      assert.deepEqual((await guest.expect('MARKREAD')).params, ['#x', '*']);
      guest.send('MARKREAD #x timestamp=2026-01-01T00:00:00.000Z');
      assert.deepEqual((await guest.expect('MARKREAD')).params, ['#x', 'timestamp=2026-01-01T00:00:00.000Z']);
      // It never moves back, and JOIN reports it before RPL_ENDOFNAMES.
      guest.send('MARKREAD #x timestamp=2025-01-01T00:00:00.000Z');
      assert.deepEqual((await guest.expect('MARKREAD')).params, ['#x', 'timestamp=2026-01-01T00:00:00.000Z']);
      guest.send('JOIN #x');
      const burst = await guest.until((m) => m.command === '366');
      assert.deepEqual(burst.find((m) => m.command === 'MARKREAD')?.params, [
        '#x',
        'timestamp=2026-01-01T00:00:00.000Z',
      ]);
      // Another guest connection has none: markers are the connection's.
      const other = await TestClient.register(srv.port, 'guestz', CAPS);
      clients.push(other);
      other.send('MARKREAD #x');
      assert.deepEqual((await other.expect('MARKREAD')).params, ['#x', '*']);
      assert.equal(guest.received.filter((m) => m.command === 'FAIL').length, 0);
    });
  });
}
