/**
 * Authority that lasts (docs/PERMISSIONS.md), over real sockets on both storage back ends:
 * a room created by an account is registered to it at once; its founder and the operators
 * it names get +o back whenever they join, whoever came first, across a restart; a room a
 * guest created says how to register it, and can be registered once its operators left;
 * the server rooms (#lobby) have no founder, give nobody +o, and take their topic from the
 * configuration and the server operators.
 */
import assert from 'node:assert/strict';
import { after, describe, type TestContext, test } from 'node:test';
import { accountsOf } from '../../src/core/accounts/index.js';
import { hashPassword } from '../../src/crypto/password.js';
import { foldCase } from '../../src/protocol/casemapping.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

const noticeFrom = (service: string) => (m: Received) =>
  m.command === 'NOTICE' && m.source?.startsWith(`${service}!services@`) === true;

/** The nicks of a room's NAMES reply, with their prefixes. */
async function namesOf(c: TestClient, room: string): Promise<string[]> {
  c.send(`NAMES ${room}`);
  const lines = await c.until((m) => m.command === '366');
  return lines
    .filter((m) => m.command === '353')
    .flatMap((m) => m.params.at(-1)!.split(' '))
    .filter((n) => n !== '');
}

for (const backend of backends()) {
  describe(`lasting room authority on ${backend.name}`, () => {
    after(() => backend.cleanup());

    function harness(t: TestContext) {
      const clients: TestClient[] = [];
      const servers: TestServer[] = [];
      t.after(async () => {
        for (const c of clients) c.close();
        for (const s of servers) await s.stop().catch(() => {});
      });
      return {
        async start(overrides: Parameters<typeof startServer>[0]): Promise<TestServer> {
          const s = await startServer(overrides);
          servers.push(s);
          return s;
        },
        async guest(port: number, nick: string, caps: string[] = []): Promise<TestClient> {
          const c = await TestClient.register(port, nick, caps);
          clients.push(c);
          return c;
        },
        async account(port: number, nick: string, password: string): Promise<TestClient> {
          const c = await TestClient.register(port, nick);
          clients.push(c);
          c.send(`REGISTER * * :${password}`);
          await c.expect('900');
          return c;
        },
        async sasl(port: number, nick: string, password: string, caps: string[] = []): Promise<TestClient> {
          const { client, result } = await connectWithSasl(port, nick, 'PLAIN', nick, password, caps);
          clients.push(client);
          assert.equal(result.outcome.command, '903');
          return client;
        },
      };
    }

    test('the first account to create a room is its founder (stored at once); after a restart the founder and its named operator get +o from ChanServ whoever joined first, the founder reconnecting last', async (t) => {
      const h = harness(t);
      const database = await backend.fresh();
      // Without always-on, so nobody is back in the room before someone joins it (with it,
      // ana and bea would be restored there first, with ChanServ's +o).
      const first = await h.start({ database, alwaysOn: false });
      const ana = await h.account(first.port, 'ana', 'anapw');
      await h.account(first.port, 'bea', 'beapw');
      ana.send('JOIN #casa');
      await ana.expect('366');
      const told = await ana.waitFor(noticeFrom('ChanServ'));
      assert.match(told.params[1]!, /#casa is new, so it is registered to your account ana/);
      ana.send('PRIVMSG ChanServ :ACCESS #casa ADD bea');
      assert.match((await ana.waitFor(noticeFrom('ChanServ'))).params[1]!, /bea now gets operator status/);
      await accountsOf(first.tertulia.server)!.flush();
      const stored = await first.tertulia.server.store!.getChannel(foldCase('#casa'));
      assert.equal(stored?.founder, 'ana');
      assert.deepEqual(stored?.operators, ['bea']);
      await first.stop();

      const second = await h.start({ database, dataDir: first.config.dataDir, alwaysOn: false });
      // A guest is first into the room after the restart: no +o for it, and it cannot take it.
      const vandalo = await h.guest(second.port, 'vandalo', ['multi-prefix']);
      vandalo.send('JOIN #casa');
      await vandalo.expect('366');
      assert.deepEqual(await namesOf(vandalo, '#casa'), ['vandalo']);
      vandalo.send('MODE #casa +o vandalo');
      await vandalo.expect('482');
      vandalo.send('PRIVMSG ChanServ :INFO #casa');
      assert.match((await vandalo.waitFor(noticeFrom('ChanServ'))).params[1]!, /registered to ana/);
      // The named operator, then the founder last: each gets +o from ChanServ on join.
      const bea = await h.sasl(second.port, 'bea', 'beapw');
      bea.send('JOIN #casa');
      const beaOp = await vandalo.waitFor((m) => m.command === 'MODE' && m.params[2] === 'bea');
      assert.deepEqual(beaOp.params, ['#casa', '+o', 'bea']);
      assert.match(beaOp.source!, /^ChanServ!services@/);
      const ana2 = await h.sasl(second.port, 'ana', 'anapw');
      ana2.send('JOIN #casa');
      const anaOp = await vandalo.waitFor((m) => m.command === 'MODE' && m.params[2] === 'ana');
      assert.deepEqual(anaOp.params, ['#casa', '+o', 'ana']);
      assert.deepEqual((await namesOf(vandalo, '#casa')).sort(), ['@ana', '@bea', 'vandalo']);
    });

    test('a room a guest created is unregistered: every joiner is told how to register it; once its operators left, an account registers it and gets +o', async (t) => {
      const h = harness(t);
      const srv = await h.start({ database: await backend.fresh() });
      const g = await h.guest(srv.port, 'invitado');
      g.send('JOIN #tmp');
      await g.expect('366');
      assert.match(
        (await g.waitFor(noticeFrom('ChanServ'))).params[1]!,
        /#tmp is not registered: its operators keep their status only while they are here.*REGISTER #tmp/,
      );
      const luz = await h.account(srv.port, 'luz', 'luzpw');
      luz.send('JOIN #tmp');
      await luz.expect('366');
      await luz.waitFor(noticeFrom('ChanServ'));
      luz.send('PRIVMSG ChanServ :REGISTER #tmp');
      assert.match((await luz.waitFor(noticeFrom('ChanServ'))).params[1]!, /must be an operator/);
      // The guest operator leaves: the room has no operator, so an account may register it.
      g.send('PART #tmp');
      await luz.expect('PART', '#tmp');
      luz.send('PRIVMSG ChanServ :REGISTER #tmp');
      // ChanServ's reply and its +o come together, in either order (the reply holds its place).
      await luz.until(
        () =>
          luz.since.some((m) => m.command === 'MODE' && m.params[2] === 'luz') &&
          luz.since.some((m) => noticeFrom('ChanServ')(m) && /now registered/.test(m.params[1] ?? '')),
      );
      const op = luz.received.find((m) => m.command === 'MODE' && m.params[2] === 'luz')!;
      assert.deepEqual(op.params, ['#tmp', '+o', 'luz']);
      assert.match(
        luz.received.find((m) => noticeFrom('ChanServ')(m) && /now registered/.test(m.params[1] ?? ''))!
          .params[1]!,
        /now registered to your account luz/,
      );
      // The guest comes back: ChanServ has nothing to tell it now, and it is not an operator.
      g.send('JOIN #tmp');
      await g.expect('366');
      await g.sync();
      assert.equal(g.since.filter(noticeFrom('ChanServ')).length, 0);
      assert.deepEqual((await namesOf(g, '#tmp')).sort(), ['@luz', 'invitado']);
      g.send('TOPIC #tmp :mío');
      await g.expect('482');
      luz.send('TOPIC #tmp :de luz');
      await g.expect('TOPIC', '#tmp', 'de luz');
    });

    // IRCv3 channel-context client tag (ircv3.net/specs/client-tags/channel-context) and
    // message-tags §Client-only tags / vendor prefixes: clients with message-tags learn which
    // room a ChanServ notice is about and a code to show it in their language; others get the
    // same English line with no tags.
    test("ChanServ's notice about a new room carries +draft/channel-context and a tertulia/notice code for message-tags clients, plain English for others", async (t) => {
      const h = harness(t);
      const srv = await h.start({ database: await backend.fresh() });
      const tagged = await h.guest(srv.port, 'etiqueta', ['message-tags']);
      tagged.send('JOIN #mercado');
      await tagged.expect('366');
      const told = await tagged.waitFor(noticeFrom('ChanServ'));
      assert.equal(told.params[0], 'etiqueta');
      assert.match(told.params[1]!, /#mercado is not registered/);
      assert.equal(told.tags['+draft/channel-context'], '#mercado');
      assert.equal(told.tags['tertulia/notice'], 'room-unregistered');
      const plain = await h.guest(srv.port, 'plano');
      plain.send('JOIN #mercado');
      await plain.expect('366');
      const plainTold = await plain.waitFor(noticeFrom('ChanServ'));
      assert.match(plainTold.params[1]!, /#mercado is not registered/);
      assert.match(plainTold.raw, /^:ChanServ!/, 'no tags for a client without message-tags');
      // An account creating a room: registered to it, said with its own code.
      await TestClient.registerAccount(srv.port, 'ana', 'anapw');
      const ana = await h.sasl(srv.port, 'ana', 'anapw', ['message-tags']);
      ana.send('JOIN #feria');
      await ana.expect('366');
      const registered = await ana.waitFor(noticeFrom('ChanServ'));
      assert.match(registered.params[1]!, /#feria is new, so it is registered to your account ana/);
      assert.equal(registered.tags['+draft/channel-context'], '#feria');
      assert.equal(registered.tags['tertulia/notice'], 'room-registered');
    });

    test('#lobby belongs to the server: no founder, nobody gets +o by joining (accounts neither), topic from server-room-topic and server operators, kept across a restart, never dropped', async (t) => {
      const h = harness(t);
      const database = await backend.fresh();
      const opers = [{ name: 'admin', passwordHash: await hashPassword('rootpw') }];
      const first = await h.start({ database, opers, serverRoomTopic: 'Bienvenidos a tertulia' });
      const ana = await h.account(first.port, 'ana', 'anapw');
      ana.send('JOIN #lobby');
      const burst = await ana.until((m) => m.command === '366');
      assert.equal(burst.find((m) => m.command === '332')?.params[2], 'Bienvenidos a tertulia');
      assert.deepEqual(await namesOf(ana, '#lobby'), ['ana']);
      ana.send('PRIVMSG ChanServ :INFO #lobby');
      assert.match((await ana.waitFor(noticeFrom('ChanServ'))).params[1]!, /#lobby belongs to the server/);
      ana.send('TOPIC #lobby :mi sala');
      await ana.expect('482');
      const bob = await h.guest(first.port, 'bob');
      bob.send('JOIN #lobby');
      await bob.expect('366');
      // The first joiner leaves: the room is not left ownerless; a server operator sets its topic and modes.
      ana.send('PART #lobby');
      await bob.expect('PART', '#lobby');
      bob.send('TOPIC #lobby :bob estuvo aquí');
      await bob.expect('482');
      const root = await h.guest(first.port, 'root');
      root.send('OPER admin rootpw');
      await root.expect('381');
      root.send('JOIN #lobby');
      await root.expect('366');
      root.send('TOPIC #lobby :Normas: sed amables');
      await bob.expect('TOPIC', '#lobby', 'Normas: sed amables');
      root.send('MODE #lobby +m');
      await bob.expect('MODE', '#lobby', '+m');
      root.send('MODE #lobby -m');
      await bob.expect('MODE', '#lobby', '-m');
      root.send('PRIVMSG ChanServ :DROP #lobby');
      assert.match((await root.waitFor(noticeFrom('ChanServ'))).params[1]!, /belongs to the server/);
      await accountsOf(first.tertulia.server)!.flush();
      await first.stop();

      const second = await h.start({ database, dataDir: first.config.dataDir, opers });
      const ana2 = await h.sasl(second.port, 'ana', 'anapw');
      ana2.send('JOIN #lobby');
      const again = await ana2.until((m) => m.command === '366');
      assert.equal(again.find((m) => m.command === '332')?.params[2], 'Normas: sed amables');
      assert.deepEqual(await namesOf(ana2, '#lobby'), ['ana']);
    });

    test('a registered room keeps its ban exceptions (+e), invite exceptions (+I) and +C across a restart (modern.ircdocs.horse §Ban Exception, §Invite Exception)', async (t) => {
      const h = harness(t);
      const database = await backend.fresh();
      const first = await h.start({ database });
      const ana = await h.account(first.port, 'ana', 'anapw');
      ana.send('JOIN #lista');
      await ana.expect('366');
      await ana.waitFor(noticeFrom('ChanServ')); // registered to ana
      ana.send('MODE #lista +b *!*@127.0.0.1');
      ana.send('MODE #lista +e amigo!*@*');
      ana.send('MODE #lista +C');
      await ana.expect('MODE', '#lista', '+C');
      ana.send('JOIN #privada');
      await ana.expect('366', 'ana', '#privada');
      await ana.waitFor(noticeFrom('ChanServ'));
      ana.send('MODE #privada +i');
      ana.send('MODE #privada +I invitado!*@*');
      await ana.expect('MODE', '#privada', '+I');
      await accountsOf(first.tertulia.server)!.flush();
      await first.stop();

      const second = await h.start({ database, dataDir: first.config.dataDir });
      // The first to come back is bound by the restored lists: the ban, less its exception.
      const intruso = await h.guest(second.port, 'intruso');
      intruso.send('JOIN #lista');
      await intruso.expect('474', 'intruso', '#lista');
      const amigo = await h.guest(second.port, 'amigo');
      amigo.send('JOIN #lista');
      await amigo.expect('366', 'amigo', '#lista');
      amigo.send('MODE #lista');
      assert.match((await amigo.expect('324')).params[2]!, /C/);
      amigo.send('MODE #lista e');
      const exceptions = await amigo.until((m) => m.command === '349');
      assert.deepEqual(
        exceptions.filter((m) => m.command === '348').map((m) => m.params[2]),
        ['amigo!*@*'],
      );
      amigo.send('PRIVMSG #lista :\x01VERSION\x01');
      await amigo.expect('404', 'amigo', '#lista');

      const otro = await h.guest(second.port, 'otro');
      otro.send('JOIN #privada');
      await otro.expect('473', 'otro', '#privada');
      const invitado = await h.guest(second.port, 'invitado');
      invitado.send('JOIN #privada');
      await invitado.expect('366', 'invitado', '#privada');
    });
  });
}
