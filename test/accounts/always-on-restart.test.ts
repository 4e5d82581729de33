/**
 * Always-on across a restart (docs/PEOPLE.md), over real sockets, on SQLite and on the real
 * PostgreSQL: an always-on account's rooms are stored when it joins, parts or is kicked; the
 * server stops and starts again on the same database; before the account reconnects, a new
 * user sees it in its rooms (away, offline), and a DM to it is accepted and kept; the
 * account comes back with SASL to its rooms and the DM. NickServ SET ALWAYS-ON switches it
 * per account (and the switch is stored too); a guest is never always-on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { hashPassword } from '../../src/crypto/password.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

const HISTORY_CAPS = ['draft/chathistory', 'server-time', 'batch', 'message-tags'];

for (const backend of backends()) {
  describe(`always-on across a restart (${backend.name})`, () => {
    let srv: TestServer;
    let database: string | null = null;
    let opers: Config['opers'] = [];
    const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-always-on-'));
    const clients: TestClient[] = [];
    const track = (c: TestClient): TestClient => {
      clients.push(c);
      return c;
    };
    const start = async (): Promise<void> => {
      srv = await startServer({ alwaysOn: true, dataDir, database, opers });
    };
    const restart = async (): Promise<void> => {
      await srv.stop();
      await start();
    };
    const device = async (account: string, caps: string[] = []): Promise<TestClient> => {
      const { client, result } = await connectWithSasl(
        srv.port,
        account,
        'PLAIN',
        account,
        `secret-${account}`,
        caps,
      );
      assert.equal(result.outcome.command, '903', `SASL for ${account}`);
      return track(client);
    };
    /** Who NAMES lists, without the @/+ prefixes. */
    const names = async (c: TestClient, channel: string): Promise<string[]> =>
      (await c.names(channel)).map((n) => n.replace(/^[@+]/, ''));
    const nickServ = async (c: TestClient, text: string): Promise<string[]> => {
      c.mark();
      c.send(`PRIVMSG NickServ :${text}`);
      const token = `done${Math.random().toString(36).slice(2)}`;
      c.send(`PING ${token}`); // the replies come before the PONG (held commands run in order)
      const lines = await c.until((m) => m.command === 'PONG' && m.params.at(-1) === token);
      return lines
        .filter((m) => m.command === 'NOTICE' && m.source?.startsWith('NickServ!'))
        .map((m) => m.params[1]!);
    };
    /** The reply to a PRIVMSG to `nick`: 301 (away, accepted) or 401 (no such nick). */
    const dmReply = async (c: TestClient, nick: string, text: string): Promise<Received> => {
      c.mark();
      c.send(`PRIVMSG ${nick} :${text}`);
      return c.waitFor((m) => m.command === '301' || m.command === '401');
    };

    before(async () => {
      opers = [{ name: 'admin', passwordHash: await hashPassword('rootpw') }];
      database = await backend.fresh();
      await start();
      for (const name of ['rosa', 'bruno', 'lina', 'mar']) await TestClient.registerAccount(srv.port, name);
    });
    after(async () => {
      for (const c of clients) c.close();
      await srv.stop();
      await backend.cleanup();
    });

    test('an always-on account stays in the rooms it joined (not those it parted or was kicked from) through a restart: seen in NAMES before it reconnects, a DM to it accepted (301, not 401), and it gets its rooms and the DM back', async () => {
      // Before the restart: rosa joins #a, #b, #c and #d; parts #c; is kicked from #d.
      const op = track(await TestClient.register(srv.port, 'opo'));
      op.send('JOIN #d');
      await op.expect('366');
      const rosa = await device('rosa');
      rosa.send('JOIN #a,#b,#c,#d');
      await rosa.expect('366', 'rosa', '#d');
      rosa.send('PART #c');
      await rosa.expect('PART');
      op.send('KICK #d rosa :out');
      await rosa.expect('KICK');
      rosa.send('NICK rosita');
      await rosa.expect('NICK');
      rosa.send('QUIT :bye');
      await rosa.waitClosed();
      op.send('QUIT');
      await op.waitClosed();

      await restart();

      // The first connection after the restart already finds her there, offline.
      const tomas = track(await TestClient.register(srv.port, 'tomas'));
      tomas.send('JOIN #a');
      await tomas.expect('366');
      assert.deepEqual((await names(tomas, '#a')).sort(), ['rosita', 'tomas'], 'rosa (as rosita) is in #a');
      tomas.send('WHOIS rosita');
      const whois = await tomas.until((m) => m.command === '318');
      assert.ok(
        whois.some((m) => m.command === '301'),
        'shown away (offline)',
      );
      assert.ok(
        whois.some((m) => m.command === '330' && m.params[2] === 'rosa'),
        'logged in as rosa',
      );
      assert.deepEqual(await names(tomas, '#c'), [], 'not in #c, which she parted');
      assert.deepEqual(await names(tomas, '#d'), [], 'not in #d, which she was kicked from');
      const reply = await dmReply(tomas, 'rosita', 'hola, ¿estás?');
      assert.equal(reply.command, '301', 'the DM is accepted: she is offline, not gone');

      const back = await device('rosa', HISTORY_CAPS);
      assert.equal(back.received.find((m) => m.command === '001')?.params[0], 'rosita', 'her nick is kept');
      const joined = back.received.filter((m) => m.command === 'JOIN').map((m) => m.params[0]);
      assert.deepEqual(joined.sort(), ['#a', '#b'], 'back in #a and #b, and only those');
      back.send('CHATHISTORY LATEST tomas * 10');
      const dm = await back.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'hola, ¿estás?');
      assert.match(dm.source!, /^tomas!/);
      back.send('QUIT');
      await back.waitClosed();
      tomas.send('QUIT');
      await tomas.waitClosed();
    });

    test('NickServ SET ALWAYS-ON OFF: the account leaves with a QUIT when its last device goes and is not back after a restart; the switch is kept; ON again brings always-on back', async () => {
      const help = await nickServ(track(await TestClient.register(srv.port, 'curioso')), 'HELP');
      assert.ok(
        help.some((l) => l.includes('SET ALWAYS-ON ON|OFF')),
        'HELP lists the switch',
      );

      const watcher = track(await TestClient.register(srv.port, 'vigia'));
      watcher.send('JOIN #e');
      await watcher.expect('366');
      const bruno = await device('bruno');
      bruno.send('JOIN #e');
      await bruno.expect('366');
      assert.match((await nickServ(bruno, 'SET ALWAYS-ON')).join('\n'), /Always-on is on for bruno/);
      assert.match((await nickServ(bruno, 'SET ALWAYS-ON OFF')).join('\n'), /now off/);
      watcher.mark();
      bruno.send('QUIT :adiós');
      await bruno.waitClosed();
      const quit = await watcher.waitFor((m) => m.command === 'QUIT' || m.command === 'AWAY');
      assert.equal(quit.command, 'QUIT', 'with always-on off the person leaves');
      assert.match(quit.source!, /^bruno!/);
      watcher.send('QUIT');
      await watcher.waitClosed();

      await restart();

      const other = track(await TestClient.register(srv.port, 'otra'));
      other.send('JOIN #e');
      await other.expect('366');
      assert.deepEqual(await names(other, '#e'), ['otra'], 'bruno is not restored');
      assert.equal((await dmReply(other, 'bruno', 'hola')).command, '401');

      // The switch was stored: still off after the restart.
      const again = await device('bruno');
      assert.match((await nickServ(again, 'SET ALWAYS-ON')).join('\n'), /Always-on is off for bruno/);
      again.send('JOIN #e');
      await again.expect('366');
      assert.match((await nickServ(again, 'SET ALWAYS-ON ON')).join('\n'), /now on/);
      other.mark();
      again.send('QUIT');
      await again.waitClosed();
      other.send('PING quitcheck'); // a QUIT would have been queued before his connection closed
      const meanwhile = await other.until((m) => m.command === 'PONG' && m.params.at(-1) === 'quitcheck');
      assert.ok(!meanwhile.some((m) => m.command === 'QUIT'), 'always-on again: no QUIT');
      assert.deepEqual((await names(other, '#e')).sort(), ['bruno', 'otra'], 'still in #e, offline');

      await restart();

      const third = track(await TestClient.register(srv.port, 'tercera'));
      third.send('JOIN #e');
      await third.expect('366');
      assert.deepEqual(
        (await names(third, '#e')).sort(),
        ['bruno', 'tercera'],
        'ON stored the room he was in',
      );
    });

    test('LOGOUT and KILL take the account out of its rooms for good: not brought back by a restart', async () => {
      const lina = await device('lina');
      lina.send('JOIN #g');
      await lina.expect('366');
      lina.send('PRIVMSG NickServ :LOGOUT');
      await lina.expect('901');
      lina.send('QUIT');
      await lina.waitClosed();
      const mar = await device('mar');
      mar.send('JOIN #g');
      await mar.expect('366');
      const root = track(await TestClient.register(srv.port, 'root'));
      root.send('OPER admin rootpw');
      await root.expect('381');
      root.send('KILL mar :fuera');
      await mar.waitClosed();
      root.send('QUIT');
      await root.waitClosed();

      await restart();

      const later = track(await TestClient.register(srv.port, 'despues'));
      later.send('JOIN #g');
      await later.expect('366');
      assert.deepEqual(await names(later, '#g'), ['despues'], 'neither lina (logged out) nor mar (killed)');
      later.send('QUIT');
      await later.waitClosed();
    });

    test('draft/channel-rename: a RENAME carries the stored memberships, so after a restart its always-on members are in the renamed room, not the old one', async () => {
      await TestClient.registerAccount(srv.port, 'teo');
      await TestClient.registerAccount(srv.port, 'uma');
      // A guest opens the room (an account's new room is registered, and those are not renamed).
      const host = track(await TestClient.register(srv.port, 'anfitrion'));
      host.send('JOIN #viejo');
      await host.expect('366');
      for (const name of ['teo', 'uma']) {
        const c = await device(name);
        c.send('JOIN #viejo');
        await c.expect('366');
        c.send('QUIT');
        await c.waitClosed();
      }
      host.send('RENAME #viejo #Nuevo :mudanza');
      await host.waitFor((m) => m.command === 'JOIN' && m.params[0] === '#Nuevo');
      host.send('QUIT');
      await host.waitClosed();

      await restart();

      const mira = track(await TestClient.register(srv.port, 'mira'));
      assert.deepEqual((await names(mira, '#nuevo')).sort(), ['teo', 'uma'], 'both in the renamed room');
      assert.deepEqual(await names(mira, '#viejo'), [], 'nobody in the old name');
      const back = await device('uma', HISTORY_CAPS);
      assert.deepEqual(
        back.received.filter((m) => m.command === 'JOIN').map((m) => m.params[0]),
        ['#Nuevo'],
        'uma comes back to the room under its new name',
      );
      for (const c of [back, mira]) {
        c.send('QUIT');
        await c.waitClosed();
      }
    });

    test('a guest is never always-on: its QUIT is seen, it is gone after a restart, and the switch refuses it', async () => {
      const guest = track(await TestClient.register(srv.port, 'paco'));
      const refusal = await nickServ(guest, 'SET ALWAYS-ON ON');
      assert.match(refusal.join('\n'), /logged in/);
      const watcher = track(await TestClient.register(srv.port, 'mira'));
      watcher.send('JOIN #f');
      await watcher.expect('366');
      guest.send('JOIN #f');
      await guest.expect('366');
      watcher.mark();
      guest.send('QUIT :me voy');
      await guest.waitClosed();
      const seen = await watcher.waitFor((m) => m.command === 'QUIT' || m.command === 'AWAY');
      assert.equal(seen.command, 'QUIT');
      watcher.send('QUIT');
      await watcher.waitClosed();

      await restart();

      const later = track(await TestClient.register(srv.port, 'luego'));
      assert.equal((await dmReply(later, 'paco', 'hola')).command, '401');
      later.send('JOIN #f');
      await later.expect('366');
      assert.deepEqual(await names(later, '#f'), ['luego']);
    });
  });
}
