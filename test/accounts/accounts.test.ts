/**
 * Accounts over real sockets, on both storage back ends (SQLite in a temporary data dir,
 * and the PostgreSQL on 127.0.0.1:5432 in a fresh schema): registration (IRCv3
 * draft/account-registration and NickServ), login (SASL PLAIN, SCRAM-SHA-256, NickServ
 * IDENTIFY), bad input and failed-login delays, nick protection, the account travelling
 * with the user, services as pseudo-users, and registered rooms surviving a restart.
 * Test names cite the spec section they check.
 */
import assert from 'node:assert/strict';
import { after, describe, type TestContext, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { accountsOf } from '../../src/core/accounts/index.js';
import { foldCase } from '../../src/protocol/casemapping.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authenticate, connectWithSasl, sendResponse } from './helpers.js';

const SERVER = 'tertulia.local';

interface Harness {
  server: TestServer;
  /** Connects and registers (CAP LS 302 + REQ + END when caps are given). */
  client(nick: string, caps?: string[]): Promise<TestClient>;
  /** Connects without sending anything. */
  raw(): Promise<TestClient>;
  sasl(
    nick: string,
    mechanism: 'PLAIN' | 'SCRAM-SHA-256',
    account: string,
    password: string,
    caps?: string[],
  ): ReturnType<typeof connectWithSasl>;
  /** Registers an account with IRCv3 REGISTER on a throwaway connection. */
  account(name: string, password: string): Promise<void>;
}

const noticeFrom = (service: string) => (m: Received) =>
  m.command === 'NOTICE' && m.source?.startsWith(`${service}!services@`) === true;

/** A line that may already have arrived with the welcome burst (before the mark), or later. */
function seenOrWait(c: TestClient, pred: (m: Received) => boolean): Promise<Received> {
  const earlier = c.received.find(pred);
  return earlier !== undefined ? Promise.resolve(earlier) : c.waitFor(pred);
}

/** Every capability of a (possibly multi-line) CAP LS 302 reply, name → value. */
async function capLs(c: TestClient): Promise<Map<string, string | null>> {
  c.send('CAP LS 302');
  const caps = new Map<string, string | null>();
  for (;;) {
    const m = await c.expect('CAP', '*', 'LS');
    for (const item of m.params.at(-1)!.split(' ')) {
      if (item === '') continue;
      const eq = item.indexOf('=');
      caps.set(eq === -1 ? item : item.slice(0, eq), eq === -1 ? null : item.slice(eq + 1));
    }
    if (!(m.params.length === 4 && m.params[2] === '*')) return caps;
  }
}

for (const backend of backends()) {
  describe(`accounts on ${backend.name}`, () => {
    after(() => backend.cleanup());

    async function boot(t: TestContext, overrides: Partial<Config> = {}): Promise<Harness> {
      const database = overrides.database !== undefined ? overrides.database : await backend.fresh();
      // These tests are about logging in and services, with people who leave when their
      // connection closes (the REGISTER helper's throwaway nick must not stay on as an
      // always-on person); always-on, the default, is tested in people, always-on-restart
      // and catch-up.
      const server = await startServer({ serverName: SERVER, alwaysOn: false, ...overrides, database });
      const clients: TestClient[] = [];
      t.after(async () => {
        for (const c of clients) c.close();
        await server.stop();
      });
      const h: Harness = {
        server,
        async client(nick, caps = []) {
          const c = await TestClient.register(server.port, nick, caps);
          clients.push(c);
          return c;
        },
        async raw() {
          const c = await TestClient.connect(server.port);
          clients.push(c);
          return c;
        },
        async sasl(nick, mechanism, account, password, caps = []) {
          const r = await connectWithSasl(server.port, nick, mechanism, account, password, caps);
          clients.push(r.client);
          return r;
        },
        async account(name, password) {
          const c = await h.client(`reg${Math.random().toString(36).slice(2, 8)}`);
          c.send(`REGISTER ${name} * :${password}`);
          await c.waitFor((m) => m.command === 'REGISTER' && m.params[0] === 'SUCCESS');
          c.send('QUIT');
          await c.waitClosed();
        },
      };
      return h;
    }

    // ------------------------------------------------------------------ capabilities

    test('sasl-3.2 §Mechanism list in CAP LS, draft/account-registration §Capability: CAP LS 302 offers sasl=PLAIN,SCRAM-SHA-256,EXTERNAL, account-registration, account-tag, account-notify', async (t) => {
      const h = await boot(t);
      const c = await h.raw();
      const caps = await capLs(c);
      assert.equal(caps.get('sasl'), 'PLAIN,SCRAM-SHA-256,EXTERNAL');
      assert.deepEqual(caps.get('draft/account-registration')?.split(',').sort(), [
        'before-connect',
        'custom-account-name',
      ]);
      assert.ok(caps.has('account-tag'));
      assert.ok(caps.has('account-notify'));
      assert.ok(caps.has('extended-join'));
    });

    test('sasl-3.2 §Advertisement when authentication is unavailable: without a store sasl is not offered and CAP REQ sasl is NAKed; REGISTER says TEMPORARILY_UNAVAILABLE; NickServ says so', async (t) => {
      const h = await boot(t);
      const live = h.server.tertulia.server;
      const store = live.store;
      live.store = null;
      t.after(() => {
        live.store = store;
      });
      const c = await h.raw();
      const caps = await capLs(c);
      assert.ok(!caps.has('sasl'));
      assert.ok(!caps.has('draft/account-registration'));
      assert.ok(caps.has('account-tag'), 'account-tag and account-notify need no store');
      c.send('CAP REQ :sasl');
      await c.expect('CAP', '*', 'NAK', 'sasl');
      c.send('CAP END');
      await c.registerAs('alice');
      c.send('REGISTER * * :hunter22');
      const fail = await c.expect('FAIL', 'REGISTER', 'TEMPORARILY_UNAVAILABLE');
      assert.equal(fail.params[2], 'alice');
      c.send('PRIVMSG NickServ :IDENTIFY hunter22');
      const notice = await c.waitFor(noticeFrom('NickServ'));
      assert.match(notice.params[1]!, /not available/);
    });

    // ------------------------------------------------------------------ register + SASL

    test('draft/account-registration §Responses: REGISTER SUCCESS logs in (900); a new connection logs in with SASL PLAIN (RFC 4616 §2): 900, 903, then the welcome', async (t) => {
      const h = await boot(t);
      const a = await h.client('alice');
      a.send('REGISTER * alice@example.org :correct horse');
      const lines = await a.until((m) => m.command === 'REGISTER' || m.command === 'FAIL');
      const success = lines.at(-1)!;
      assert.deepEqual(success.params.slice(0, 2), ['SUCCESS', 'alice']);
      const loggedIn = await a.expect('900');
      assert.deepEqual(loggedIn.params.slice(0, 3), ['alice', 'alice!~alice@127.0.0.1', 'alice']);
      a.send('QUIT');
      await a.waitClosed();

      const { client: b, result } = await h.sasl('alice', 'PLAIN', 'alice', 'correct horse');
      assert.equal(result.outcome.command, '903');
      const n900 = result.lines.find((m) => m.command === '900');
      assert.ok(n900, '900 RPL_LOGGEDIN comes before 903');
      assert.equal(n900.params[2], 'alice');
      assert.equal(
        result.lines.findIndex((m) => m.command === '001'),
        -1,
        'no welcome before CAP END',
      );
      b.send('WHOIS alice');
      const whois = await b.until((m) => m.command === '318');
      assert.deepEqual(whois.find((m) => m.command === '330')?.params.slice(1, 3), ['alice', 'alice']);
    });

    test('RFC 5802 §5 / RFC 7677: SASL SCRAM-SHA-256 with a real client: the server proves it knows the credentials (v=), 903; the store holds only the scrypt hash and SCRAM keys', async (t) => {
      const h = await boot(t);
      await h.account('Sam', 'open sesame');
      const { client, result } = await h.sasl('sam', 'SCRAM-SHA-256', 'Sam', 'open sesame');
      assert.equal(result.outcome.command, '903');
      assert.equal(result.serverVerified, true, 'server-final-message carries the right ServerSignature');
      assert.equal(result.lines.find((m) => m.command === '900')?.params[2], 'Sam');
      client.send('WHOIS sam');
      const whois = await client.until((m) => m.command === '318');
      assert.equal(whois.find((m) => m.command === '330')?.params[2], 'Sam');

      const record = await h.server.tertulia.server.store!.getAccount('sam');
      assert.ok(record);
      assert.match(record.passwordHash, /^scrypt\$/);
      assert.ok(record.scram !== null && record.scram.iterations >= 4096);
      assert.ok(!JSON.stringify(record).includes('open sesame'), 'the password itself is never stored');
    });

    test('RFC 5802 §5: SCRAM with a wrong password fails at the proof with 904, like an unknown account (which still gets a salt)', async (t) => {
      const h = await boot(t);
      await h.account('sam', 'open sesame');
      const wrong = await h.sasl('sam1', 'SCRAM-SHA-256', 'sam', 'open sesamo');
      assert.equal(wrong.result.outcome.command, '904');
      const unknown = await h.sasl('sam2', 'SCRAM-SHA-256', 'nobody', 'open sesamo');
      assert.equal(unknown.result.outcome.command, '904');
      assert.equal(unknown.result.outcome.params[1], wrong.result.outcome.params[1]);
      // Both got a server-first-message (a salt) before failing.
      for (const r of [wrong.result, unknown.result]) {
        assert.ok(r.lines.filter((m) => m.command === 'AUTHENTICATE' && m.params[0] !== '+').length >= 1);
      }
    });

    test('sasl-3.1 §The AUTHENTICATE command: a 400-byte response ends with AUTHENTICATE +; longer ones span chunks', async (t) => {
      const h = await boot(t);
      // \0alice\0 + 293 bytes = 300 bytes = exactly 400 base64 characters.
      const exact = 'p'.repeat(293);
      await h.account('alice', exact);
      const c = await h.raw();
      c.nick = 'alice';
      c.send('CAP LS 302');
      c.send('CAP REQ :sasl');
      c.send('NICK alice');
      c.send('USER alice 0 * :A');
      await c.expect('CAP', '*', 'ACK');
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      const b64 = Buffer.from(`\0alice\0${exact}`).toString('base64');
      assert.equal(b64.length, 400);
      c.send(`AUTHENTICATE ${b64}`);
      await c.sync();
      assert.equal(
        c.since.filter((m) => /^90\d$/.test(m.command)).length,
        0,
        'a full 400-byte chunk waits for more',
      );
      c.send('AUTHENTICATE +');
      await c.expect('903');
      // A 500-byte-ish response (two chunks) works too, after logging out via a new connection.
      await h.account('bob', 'q'.repeat(300));
      const { result } = await h.sasl('bob', 'PLAIN', 'bob', 'q'.repeat(300));
      assert.equal(result.outcome.command, '903');
    });

    test('sasl-3.1 §Numerics: 905 for a chunk over 400 bytes, 906 for *, 908 + 904 for an unknown mechanism, 904 for a malformed PLAIN message; sasl-3.2 §SASL Reauthentication: AUTHENTICATE again after success', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      const c = await h.raw();
      c.nick = 'alice';
      c.send('CAP LS 302');
      c.send('CAP REQ :sasl');
      c.send('NICK alice');
      c.send('USER alice 0 * :A');
      await c.expect('CAP', '*', 'ACK');
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      c.send(`AUTHENTICATE ${'A'.repeat(401)}`);
      await c.expect('905');
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      c.send('AUTHENTICATE *');
      await c.expect('906');
      c.send('AUTHENTICATE X-UNKNOWN');
      const mechs = await c.expect('908');
      assert.equal(mechs.params[1], 'PLAIN,SCRAM-SHA-256,EXTERNAL');
      await c.expect('904');
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      sendResponse(c, Buffer.from('alice\0secret')); // only one NUL
      await c.expect('904');
      const ok = await authenticate(c, 'PLAIN', 'alice', 'secret');
      assert.equal(ok.outcome.command, '903');
      // sasl-3.2: "Servers SHOULD allow a client, authenticated or otherwise, to reauthenticate".
      const again = await authenticate(c, 'PLAIN', 'alice', 'secret');
      assert.equal(again.outcome.command, '903');
      c.send('CAP END');
      await c.expect('001');
    });

    test('sasl-3.1 §The AUTHENTICATE command "The server MAY place a limit on the total length of a response": endless full 400-byte chunks get 904 (905 is for one parameter over 400 bytes), and AUTHENTICATE PLAIN then starts over', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      const c = await h.client('alice', ['sasl']);
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      for (let i = 0; i < 30; i++) c.send(`AUTHENTICATE ${'QUFB'.repeat(100)}`);
      const failed = await c.waitFor((m) => m.command === '904' || m.command === '905');
      assert.equal(failed.command, '904');
      // The rest of the chain is not a response any more: each line is a (bad) mechanism name.
      await c.sync();
      c.mark();
      const ok = await authenticate(c, 'PLAIN', 'alice', 'secret');
      assert.equal(ok.outcome.command, '903');
    });

    test('sasl-3.1 "If authentication fails, a 904 or 905 numeric will be sent and the client MAY retry from the AUTHENTICATE <mechanism> command": after a 904 for bad base64, AUTHENTICATE PLAIN starts over', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      const c = await h.client('alice', ['sasl']);
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      c.send('AUTHENTICATE not*base64');
      await c.expect('904');
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      sendResponse(c, Buffer.from('\0alice\0secret'));
      await c.expect('903');
    });

    test('sasl-3.2 §SASL Reauthentication: after registration a logged-in client reauthenticates to another account; channel peers with account-notify see the new ACCOUNT', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      await h.account('alicework', 'other');
      const bob = await h.client('bob', ['account-notify']);
      // The connection's nick is nobody's account, so the switch of account does not touch it
      // (a registered nick follows its account: nick protection would rename it).
      const { client: alice, result } = await h.sasl('desk', 'PLAIN', 'alice', 'secret', ['account-notify']);
      assert.equal(result.outcome.command, '903');
      alice.send('JOIN #room');
      await alice.expect('366');
      bob.send('JOIN #room');
      await bob.expect('366');
      const r = await authenticate(alice, 'PLAIN', 'alicework', 'other');
      assert.equal(r.outcome.command, '903');
      assert.ok(r.lines.some((m) => m.command === '900' && m.params[2] === 'alicework'));
      await bob.expect('ACCOUNT', 'alicework');
      bob.send('WHOIS desk');
      const whois = await bob.until((m) => m.command === '318');
      assert.equal(whois.find((m) => m.command === '330')?.params[2], 'alicework');
    });

    test('sasl-3.1: CAP END sent before 903 (pipelined after the response) waits for the check; the client registers logged in', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      const c = await h.raw();
      c.nick = 'alice';
      c.send('CAP LS 302');
      c.send('CAP REQ :sasl');
      c.send('NICK alice');
      c.send('USER alice 0 * :A');
      c.send('AUTHENTICATE PLAIN');
      sendResponse(c, Buffer.from('\0alice\0secret'));
      c.send('CAP END');
      const lines = await c.until((m) => m.command === '001');
      const order = lines.map((m) => m.command).filter((x) => ['900', '903', '001'].includes(x));
      assert.deepEqual(order, ['900', '903', '001']);
      c.send('WHOIS alice');
      const whois = await c.until((m) => m.command === '318');
      assert.ok(whois.some((m) => m.command === '330'));
    });

    test('sasl-3.1: completing registration while the exchange waits for the client aborts it with 906 and registers without an account', async (t) => {
      const h = await boot(t);
      const c = await h.raw();
      c.nick = 'alice';
      c.send('CAP LS 302');
      c.send('CAP REQ :sasl');
      c.send('NICK alice');
      c.send('USER alice 0 * :A');
      c.send('AUTHENTICATE PLAIN');
      await c.expect('AUTHENTICATE', '+');
      c.send('CAP END');
      const lines = await c.until((m) => m.command === '001');
      assert.ok(lines.some((m) => m.command === '906'));
      c.send('WHOIS alice');
      const whois = await c.until((m) => m.command === '318');
      assert.ok(!whois.some((m) => m.command === '330'));
    });

    test('sasl-3.2 §SASL Reauthentication: AUTHENTICATE after registration logs in; channel peers with account-notify see ACCOUNT', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      const bob = await h.client('bob', ['account-notify']);
      // Under a nick of its own: a registered one is not lent before logging in (nick-grace 0).
      const alice = await h.client('ally', ['sasl', 'account-notify']);
      alice.send('JOIN #room');
      await alice.expect('366');
      bob.send('JOIN #room');
      await bob.expect('366');
      alice.mark();
      const r = await authenticate(alice, 'PLAIN', 'alice', 'secret');
      assert.equal(r.outcome.command, '903');
      const seen = await bob.expect('ACCOUNT', 'alice');
      assert.match(seen.source!, /^ally!/);
      // account-notify: "including themselves" (it comes with the 900, before 903).
      assert.ok(r.lines.some((m) => m.command === 'ACCOUNT' && m.params[0] === 'alice'));
    });

    // ------------------------------------------------------------------ bad input

    test('sasl-3.1 904 / NickServ: a wrong password and an account that does not exist get the same answer', async (t) => {
      const h = await boot(t);
      const accounts = accountsOf(h.server.tertulia.server)!;
      accounts.guard.setDelays(20);
      await h.account('alice', 'secret');
      const wrong = await h.sasl('x1', 'PLAIN', 'alice', 'nope');
      const ghost = await h.sasl('x2', 'PLAIN', 'ghost', 'nope');
      assert.equal(wrong.result.outcome.command, '904');
      assert.equal(ghost.result.outcome.command, '904');
      assert.deepEqual(wrong.result.outcome.params.slice(1), ghost.result.outcome.params.slice(1));
      const c = await h.client('carol');
      c.send('PRIVMSG NickServ :IDENTIFY alice nope');
      const n1 = await c.waitFor(noticeFrom('NickServ'));
      c.send('PRIVMSG NickServ :IDENTIFY ghost nope');
      const n2 = await c.waitFor(noticeFrom('NickServ'));
      assert.equal(n1.params[1], n2.params[1]);
      assert.equal(n1.params[1], 'Invalid account name or password.');
      // Both names are counted the same way by the login guard.
      const failures = (name: string) => accounts.guard.pairs.failures(`${name} 127.0.0.1`);
      assert.equal(failures('alice'), 2);
      assert.equal(failures('alice'), failures('ghost'));
    });

    test('failed logins: the delay grows per (account, address) and per address, a delayed attempt waits (and succeeds) rather than being rejected, success resets it', async (t) => {
      const h = await boot(t);
      const accounts = accountsOf(h.server.tertulia.server)!;
      const base = 150;
      accounts.guard.setDelays(base);
      await h.account('alice', 'secret');
      await h.account('bob', 'bobpass');
      const c = await h.client('carol');
      const attempt = async (text: string): Promise<{ ms: number; reply: string }> => {
        const t0 = Date.now();
        c.send(`PRIVMSG NickServ :${text}`);
        const n = await c.waitFor(noticeFrom('NickServ'), 10_000);
        return { ms: Date.now() - t0, reply: n.params[1]! };
      };
      await attempt('IDENTIFY alice wrong1');
      const second = await attempt('IDENTIFY alice wrong2');
      const third = await attempt('IDENTIFY alice wrong3');
      assert.ok(second.ms >= base - 10, `2nd attempt waited ${second.ms} ms`);
      assert.ok(third.ms >= 2 * base - 10, `3rd attempt waited ${third.ms} ms`);
      assert.equal(accounts.guard.pairs.failures('alice 127.0.0.1'), 3);
      // The right password after failures waits its turn and then works.
      const fourth = await attempt('IDENTIFY alice secret');
      assert.equal(fourth.reply, 'You are now logged in as alice.');
      assert.ok(fourth.ms >= 4 * base - 10, `4th attempt waited ${fourth.ms} ms`);
      assert.equal(accounts.guard.pairs.failures('alice 127.0.0.1'), 0, 'success resets the count');
      assert.equal(accounts.guard.networks.failures('127.0.0.1'), 0, "the owner's typos are forgiven");
      // Per address: after a failure on one account, another account from the same address
      // waits too (and still succeeds).
      const miss = await h.sasl('x1', 'PLAIN', 'alice', 'wrong again');
      assert.equal(miss.result.outcome.command, '904');
      const t0 = Date.now();
      const other = await h.sasl('bob', 'PLAIN', 'bob', 'bobpass');
      assert.equal(other.result.outcome.command, '903');
      assert.ok(Date.now() - t0 >= base - 10, 'the address is delayed as well');
    });

    test('draft/account-registration §Responses: ACCOUNT_EXISTS, BAD_ACCOUNT_NAME, UNACCEPTABLE_PASSWORD, INVALID_EMAIL, ALREADY_AUTHENTICATED, NEED_NICK', async (t) => {
      const h = await boot(t);
      await h.account('alice', 'secret');
      const c = await h.client('bob');
      const fail = async (line: string): Promise<Received> => {
        c.send(line);
        return c.waitFor((m) => m.command === 'FAIL' || m.command === 'REGISTER');
      };
      let r = await fail('REGISTER ALICE * :other');
      assert.deepEqual(r.params.slice(0, 3), ['REGISTER', 'ACCOUNT_EXISTS', 'ALICE']);
      r = await fail('REGISTER NickServ * :pw');
      assert.deepEqual(r.params.slice(0, 3), ['REGISTER', 'BAD_ACCOUNT_NAME', 'NickServ']);
      assert.match(r.params.at(-1)!, /service/);
      r = await fail('REGISTER 1abc * :pw');
      assert.deepEqual(r.params.slice(0, 2), ['REGISTER', 'BAD_ACCOUNT_NAME']);
      r = await fail('REGISTER Guest12345 * :pw');
      assert.deepEqual(r.params.slice(0, 2), ['REGISTER', 'BAD_ACCOUNT_NAME']);
      r = await fail('REGISTER * * :');
      assert.deepEqual(r.params.slice(0, 3), ['REGISTER', 'UNACCEPTABLE_PASSWORD', 'bob']);
      assert.match(r.params.at(-1)!, /empty/);
      r = await fail(`REGISTER * * :${'x'.repeat(301)}`);
      assert.deepEqual(r.params.slice(0, 3), ['REGISTER', 'UNACCEPTABLE_PASSWORD', 'bob']);
      assert.match(r.params.at(-1)!, /300 bytes/);
      r = await fail('REGISTER * not-an-email :pw');
      assert.deepEqual(r.params.slice(0, 2), ['REGISTER', 'INVALID_EMAIL']);
      r = await fail('REGISTER * * :goodpass');
      assert.deepEqual(r.params.slice(0, 2), ['SUCCESS', 'bob']);
      r = await fail('REGISTER other * :goodpass');
      assert.deepEqual(r.params.slice(0, 3), ['REGISTER', 'ALREADY_AUTHENTICATED', 'bob']);
      // Before NICK (before-connect is offered, so REGISTER is accepted pre-registration).
      const early = await h.raw();
      early.send('REGISTER * * :pw');
      const needNick = await early.expect('FAIL', 'REGISTER', 'NEED_NICK');
      assert.equal(needNick.params[2], '*');
    });

    test('draft/account-registration §Capability before-connect: REGISTER before CAP END, then the connection completes logged in', async (t) => {
      const h = await boot(t);
      const c = await h.raw();
      c.nick = 'dora';
      c.send('CAP LS 302');
      c.send('CAP REQ :draft/account-registration');
      c.send('NICK dora');
      c.send('USER dora 0 * :D');
      c.send('REGISTER * * :early bird');
      await c.expect('REGISTER', 'SUCCESS', 'dora');
      c.send('CAP END');
      await c.expect('001');
      c.send('WHOIS dora');
      const whois = await c.until((m) => m.command === '318');
      assert.equal(whois.find((m) => m.command === '330')?.params[2], 'dora');
    });

    // ------------------------------------------------------------------ NickServ

    test('NickServ REGISTER/IDENTIFY/LOGOUT: NOTICEs from NickServ!services@server, 900 and 901, and clear errors', async (t) => {
      const h = await boot(t);
      const c = await h.client('erin', ['account-notify']);
      /** Sends a command to NickServ; its reply, and the numerics that came with it. */
      const ns = async (text: string): Promise<{ reply: string; numerics: Received[] }> => {
        c.send(`PRIVMSG NickServ :${text}`);
        const lines = await c.until(
          (m) => noticeFrom('NickServ')(m) && !m.params[1]!.includes('is a registered nick'),
        );
        const n = lines.at(-1)!;
        assert.equal(n.source, `NickServ!services@${SERVER}`);
        assert.equal(n.params[0], c.nick);
        return { reply: n.params[1]!, numerics: lines.filter((m) => /^\d{3}$/.test(m.command)) };
      };
      assert.match((await ns('REGISTER')).reply, /Syntax/);
      assert.match((await ns(`REGISTER ${'z'.repeat(301)}`)).reply, /300 bytes/);
      const r = await ns('REGISTER hunter22 erin@example.org');
      assert.match(r.reply, /Registered the account erin/);
      assert.deepEqual(
        r.numerics.map((m) => [m.command, m.params[2]]),
        [['900', 'erin']],
      );
      assert.match((await ns('REGISTER again')).reply, /already logged in/);
      c.send('PRIVMSG NickServ :LOGOUT');
      const out = await c.until((m) => m.command === 'NICK');
      assert.ok(out.some((m) => m.command === '901'));
      // Logged out, it may not keep the registered nick (nick-grace 0): a guest nick, and why.
      const guest = out.at(-1)!.params[0]!;
      assert.match(guest, /^Guest\d+$/);
      c.nick = guest;
      const why = await c.waitFor(noticeFrom('NickServ'));
      assert.match(why.params[1]!, /erin is a registered nick.*changed to Guest\d+.*IDENTIFY erin/);
      assert.match((await ns('IDENTIFY erin wrong')).reply, /^Invalid account name or password\.$/);
      c.send('PRIVMSG NickServ :IDENTIFY erin hunter22');
      const back = await c.until((m) => m.command === 'NICK');
      assert.deepEqual(
        back.filter((m) => m.command === '900').map((m) => m.params[2]),
        ['erin'],
      );
      // Logging in gives the nick back.
      assert.equal(back.at(-1)!.params[0], 'erin');
      c.nick = 'erin';
      // A taken account cannot be registered again (erin left; ERIN asks for the nick and
      // is welcomed as a guest, since it did not log in).
      c.send('QUIT');
      await c.waitClosed();
      const d = await h.client('ERIN');
      assert.match(d.nick, /^Guest\d+$/);
      d.mark();
      d.send('REGISTER erin * :x');
      await d.expect('FAIL', 'REGISTER', 'ACCOUNT_EXISTS');
      const g = await h.client('Guest4242');
      g.send('PRIVMSG NickServ :REGISTER pw');
      assert.match((await g.waitFor(noticeFrom('NickServ'))).params[1]!, /Guest nicks cannot be registered/);
      g.send('PRIVMSG NickServ :FROB');
      assert.match((await g.waitFor(noticeFrom('NickServ'))).params[1]!, /Unknown command FROB/);
    });

    test('NickServ IDENTIFY then JOIN in one burst: the JOIN waits, so the founder-style account is already set for extended-join peers', async (t) => {
      const h = await boot(t);
      await h.account('fay', 'pw1234');
      const peer = await h.client('peer', ['extended-join']);
      peer.send('JOIN #r');
      await peer.expect('366');
      // Welcomed as a guest (fay is registered, and it did not use SASL); IDENTIFY gives fay back.
      const c = await h.client('fay');
      c.send('PRIVMSG NickServ :IDENTIFY fay pw1234');
      c.send('JOIN #r');
      const join = await peer.waitFor((m) => m.command === 'JOIN' && m.source!.startsWith('fay!'));
      assert.equal(join.params[1], 'fay');
    });

    // ------------------------------------------------------------------ nick protection

    test('registered nick protection (nick-grace 0, the default): a connection asking for a registered nick without SASL is welcomed as a guest at once (RPL_WELCOME carries the nick the client has), told why and how to log in; NICK to it gets 433', async (t) => {
      const h = await boot(t);
      accountsOf(h.server.tertulia.server)!.guard.setDelays(20);
      await h.account('ana', 'anapw');
      await h.account('bob', 'bobpw');
      const watcher = await h.client('watcher', ['account-tag', 'message-tags']);
      watcher.send('JOIN #plaza');
      await watcher.expect('366');

      const impostor = await h.client('ana');
      // modern.ircdocs.horse §RPL_WELCOME: the first parameter is the client's nick.
      assert.match(impostor.nick, /^Guest\d+$/);
      const why = await seenOrWait(impostor, noticeFrom('NickServ'));
      assert.match(
        why.params[1]!,
        /ana is a registered nick.*you are Guest\d+ here.*IDENTIFY ana <password>.*SASL/,
      );
      impostor.send('JOIN #plaza');
      await impostor.expect('366');
      impostor.send('PRIVMSG #plaza :soy ana, lo juro');
      const said = await watcher.expect('PRIVMSG', '#plaza', 'soy ana, lo juro');
      assert.equal(said.source!.split('!')[0], impostor.nick);
      assert.equal(said.tags['account'], undefined);
      // After the welcome, NICK to it is refused: 433 and a NickServ notice (the nick stays).
      impostor.send('NICK ana');
      const refused = await impostor.expect('433');
      assert.equal(refused.params[1], 'ana');
      assert.match((await impostor.waitFor(noticeFrom('NickServ'))).params[1]!, /IDENTIFY ana <password>/);
      impostor.send('NICK ANA');
      await impostor.expect('433');
      // Logged in to another account does not help.
      const { client: bob } = await h.sasl('bob', 'PLAIN', 'bob', 'bobpw');
      bob.send('NICK ana');
      await bob.expect('433');
      // A wrong password does not give it either.
      impostor.send('PRIVMSG NickServ :IDENTIFY ana wrong');
      await impostor.waitFor(noticeFrom('NickServ'));
      watcher.send('WHOIS ana');
      const nobody = await watcher.until((m) => m.command === '318');
      assert.ok(nobody.some((m) => m.command === '401'));
      await watcher.sync();
      // Nobody in the room ever saw the impostor as ana.
      assert.equal(watcher.received.filter((m) => m.source?.startsWith('ana!')).length, 0);

      // The owner, with SASL, has the nick at once and hears nothing from NickServ.
      const { client: ana } = await h.sasl('ana', 'PLAIN', 'ana', 'anapw');
      assert.equal(ana.received.find((m) => m.command === '001')?.params[0], 'ana');
      await ana.sync();
      assert.equal(ana.received.filter(noticeFrom('NickServ')).length, 0);
      // A guest that logs in to the account it asked for gets the nick back (here: once free).
      ana.send('QUIT');
      await ana.waitClosed();
      impostor.mark();
      impostor.send('PRIVMSG NickServ :IDENTIFY ana anapw');
      const renamed = await impostor.expect('NICK', 'ana');
      assert.match(renamed.source!, /^Guest\d+!/);
      assert.equal(accountsOf(h.server.tertulia.server)!.graceCount, 0);
    });

    test('registered nick protection with nick-grace > 0 (IRC clients that identify late): NickServ warns, and after nick-grace the connection is renamed to a unique guest nick with a notice; logging in within the grace cancels it', async (t) => {
      const h = await boot(t, { nickGrace: 1 });
      await h.account('gina', 'pw');
      const watcher = await h.client('watcher');
      watcher.send('JOIN #g');
      await watcher.expect('366');

      const intruder = await h.client('gina');
      const warn = await seenOrWait(intruder, noticeFrom('NickServ'));
      assert.match(warn.params[1]!, /gina is a registered nick.*1 second/);
      intruder.send('JOIN #g');
      await intruder.expect('366');
      const nick = await intruder.waitFor((m) => m.command === 'NICK', 5000);
      assert.match(nick.params[0]!, /^Guest\d+$/);
      const why = await intruder.waitFor(noticeFrom('NickServ'));
      assert.match(why.params[1]!, /did not log in to gina.*changed to Guest\d+/);
      // Others in the room see the rename like any NICK.
      const seen = await watcher.waitFor((m) => m.command === 'NICK' && m.source!.startsWith('gina!'));
      assert.equal(seen.params[0], nick.params[0]);

      // The owner can now take the nick back, and identifying within the grace keeps it.
      const owner = await h.client('gina');
      await seenOrWait(owner, noticeFrom('NickServ'));
      owner.send('PRIVMSG NickServ :IDENTIFY pw');
      await owner.expect('900');
      await new Promise((r) => setTimeout(r, 1600));
      await owner.sync();
      assert.equal(owner.since.filter((m) => m.command === 'NICK').length, 0);
      owner.send('WHOIS gina');
      const whois = await owner.until((m) => m.command === '318');
      assert.equal(whois.find((m) => m.command === '311')?.params[1], 'gina');

      // Two guests never collide.
      const accounts = accountsOf(h.server.tertulia.server)!;
      const names = new Set(Array.from({ length: 50 }, () => accounts.guestNick()));
      assert.equal(names.size, 50);
    });

    test('registered nick protection: a connection logged in with SASL under its registered nick is never warned', async (t) => {
      const h = await boot(t, { nickGrace: 1 });
      await h.account('hana', 'pw');
      const { client } = await h.sasl('hana', 'PLAIN', 'hana', 'pw');
      await new Promise((r) => setTimeout(r, 300));
      await client.sync();
      assert.equal(client.received.filter(noticeFrom('NickServ')).length, 0);
      assert.equal(accountsOf(h.server.tertulia.server)!.graceCount, 0);
    });

    // ------------------------------------------------------------------ the account travels

    test('account-tag, extended-join, WHOIS 330, WHOX %a and account-notify: peers see who is logged in', async (t) => {
      const h = await boot(t);
      await h.account('ivy', 'pw');
      const bob = await h.client('bob', ['account-tag', 'extended-join', 'account-notify', 'message-tags']);
      bob.send('JOIN #room');
      await bob.expect('366');
      const { client: ivy } = await h.sasl('ivy', 'PLAIN', 'ivy', 'pw');
      ivy.send('JOIN #room');
      // extended-join: JOIN <channel> <account> :<realname>
      const join = await bob.waitFor((m) => m.command === 'JOIN' && m.source!.startsWith('ivy!'));
      assert.deepEqual(join.params, ['#room', 'ivy', 'ivy Tester']);
      ivy.send('PRIVMSG #room :hola');
      const msg = await bob.expect('PRIVMSG', '#room', 'hola');
      assert.equal(msg.tags['account'], 'ivy');
      // account-tag §Format: the tag goes on every message the user sends (NICK, QUIT too).
      ivy.send('NOTICE #room :aviso');
      assert.equal((await bob.expect('NOTICE', '#room', 'aviso')).tags['account'], 'ivy');
      ivy.send('NICK ivy_');
      assert.equal((await bob.expect('NICK', 'ivy_')).tags['account'], 'ivy');
      ivy.send('NICK ivy');
      assert.equal((await bob.expect('NICK', 'ivy')).tags['account'], 'ivy');
      bob.send('WHOIS ivy');
      const whois = await bob.until((m) => m.command === '318');
      assert.deepEqual(whois.find((m) => m.command === '330')?.params, [
        'bob',
        'ivy',
        'ivy',
        'is logged in as',
      ]);
      bob.send('WHO #room %tna,42');
      const who = await bob.until((m) => m.command === '315');
      const rows = who.filter((m) => m.command === '354').map((m) => m.params.slice(1));
      assert.deepEqual(
        rows.sort((a, b) => a[1]!.localeCompare(b[1]!)),
        [
          ['42', 'bob', '0'],
          ['42', 'ivy', 'ivy'],
        ],
      );
      // A guest who joins, then registers, then logs out: ACCOUNT name, then ACCOUNT *.
      const jo = await h.client('jo');
      jo.send('JOIN #room');
      await bob.waitFor((m) => m.command === 'JOIN' && m.source!.startsWith('jo!'));
      const guestJoin = bob.received.findLast((m) => m.command === 'JOIN' && m.source!.startsWith('jo!'))!;
      assert.equal(guestJoin.params[1], '*');
      jo.send('REGISTER * * :pw');
      await bob.expect('ACCOUNT', 'jo');
      jo.send('PRIVMSG NickServ :LOGOUT');
      const out = await bob.expect('ACCOUNT', '*');
      assert.equal(out.tags['account'], 'jo', 'the tag carries the account it had');
      ivy.send('QUIT :adiós');
      const quit = await bob.waitFor((m) => m.command === 'QUIT' && m.source!.startsWith('ivy!'));
      assert.equal(quit.tags['account'], 'ivy');
    });

    // ------------------------------------------------------------------ services as users

    test('services are pseudo-users: WHOIS NickServ answers 311/312/318 (no 401), ISON and WHO list them, MONITOR reports them online, their nicks are reserved', async (t) => {
      const h = await boot(t);
      const c = await h.client('kim');
      c.send('WHOIS NickServ');
      const whois = await c.until((m) => m.command === '318');
      assert.ok(!whois.some((m) => m.command === '401'));
      assert.deepEqual(whois.find((m) => m.command === '311')?.params.slice(1, 4), [
        'NickServ',
        'services',
        SERVER,
      ]);
      assert.ok(whois.some((m) => m.command === '312'));
      c.send('ISON nickserv chanserv nobody');
      const ison = await c.expect('303');
      assert.equal(ison.params[1], 'NickServ ChanServ');
      c.send('WHO ChanServ');
      const who = await c.until((m) => m.command === '315');
      assert.equal(who.find((m) => m.command === '352')?.params[5], 'ChanServ');
      c.send('MONITOR + NickServ');
      const online = await c.expect('730');
      assert.match(online.params[1]!, /^NickServ!services@/);
      c.send('NICK chanserv');
      await c.expect('432');
    });

    // ------------------------------------------------------------------ ChanServ

    test('ChanServ REGISTER: after a restart on the same database the topic, modes and bans are back (and bind the first joiner), only the founder and listed operators get +o, from ChanServ', async (t) => {
      const database = await backend.fresh();
      // Without always-on (like boot): the restart must bring back the room, not its people.
      const first = await startServer({ serverName: SERVER, database, alwaysOn: false });
      let second: TestServer | null = null;
      const clients: TestClient[] = [];
      t.after(async () => {
        for (const c of clients) c.close();
        await first.stop();
        await second?.stop();
      });
      const reg = async (port: number, nick: string, caps: string[] = []): Promise<TestClient> => {
        const c = await TestClient.register(port, nick, caps);
        clients.push(c);
        return c;
      };
      const cs = async (c: TestClient, text: string): Promise<string> => {
        c.send(`PRIVMSG ChanServ :${text}`);
        const n = await c.waitFor(noticeFrom('ChanServ'));
        return n.params[1]!;
      };

      const luz = await reg(first.port, 'luz');
      luz.send('REGISTER * * :founderpw');
      await luz.expect('900');
      const max = await reg(first.port, 'max');
      max.send('REGISTER * * :maxpw');
      await max.expect('900');
      const guest = await reg(first.port, 'nobody');
      assert.match(await cs(guest, 'REGISTER #plaza'), /Log in first/);
      // A guest creates the room: it stays unregistered, and ChanServ says how to register it.
      guest.send('JOIN #plaza');
      await guest.expect('366');
      assert.match(
        (await guest.waitFor(noticeFrom('ChanServ'))).params[1]!,
        /#plaza is not registered.*REGISTER #plaza/,
      );
      luz.send('JOIN #plaza');
      await luz.expect('366');
      assert.match((await luz.waitFor(noticeFrom('ChanServ'))).params[1]!, /#plaza is not registered/);
      assert.match(await cs(guest, 'INFO #plaza'), /not registered/);
      assert.match(await cs(max, 'REGISTER #plaza'), /Join #plaza first/);
      max.send('JOIN #plaza');
      await max.expect('366');
      await max.waitFor(noticeFrom('ChanServ')); // not registered
      assert.match(await cs(max, 'REGISTER #plaza'), /must be an operator/);
      guest.send('MODE #plaza +o luz');
      await luz.expect('MODE', '#plaza', '+o');
      assert.match(await cs(luz, 'REGISTER #plaza'), /now registered to your account luz/);
      assert.match(await cs(luz, 'REGISTER #plaza'), /already registered/);
      luz.send('TOPIC #plaza :Bienvenidos a la plaza');
      await luz.expect('TOPIC', '#plaza');
      luz.send('MODE #plaza +ms');
      await luz.expect('MODE', '#plaza', '+ms');
      luz.send('MODE #plaza +b spam!*@*');
      await luz.expect('MODE', '#plaza', '+b');
      assert.match(await cs(max, 'ACCESS #plaza ADD max'), /Only #plaza's founder/);
      assert.match(await cs(luz, 'ACCESS #plaza ADD nosuchaccount'), /no account named/);
      assert.match(await cs(luz, 'ACCESS #plaza ADD max'), /max now gets operator status/);
      await max.waitFor((m) => m.command === 'MODE' && m.params[1] === '+o' && m.params[2] === 'max');
      assert.match(await cs(luz, 'ACCESS #plaza LIST'), /luz \(founder\), max/);
      const info = await cs(guest, 'INFO #plaza');
      assert.match(info, /registered to luz/);
      await first.stop();

      second = await startServer({
        serverName: SERVER,
        database,
        dataDir: first.config.dataDir,
        alwaysOn: false,
      });
      // The restored ban binds even the first to join the room again.
      const spam = await reg(second.port, 'spam');
      spam.send('JOIN #plaza');
      await spam.expect('474', 'spam', '#plaza');
      // A stranger creates the room again: no +o for them in a registered room.
      const stranger = await reg(second.port, 'stranger', ['multi-prefix']);
      stranger.send('JOIN #plaza');
      const burst = await stranger.until((m) => m.command === '366');
      assert.equal(burst.find((m) => m.command === '332')?.params[2], 'Bienvenidos a la plaza');
      const names = burst.find((m) => m.command === '353')!;
      assert.equal(names.params.at(-1), 'stranger');
      stranger.send('MODE #plaza');
      const modes = await stranger.expect('324');
      assert.equal(modes.params[2], '+mnst');
      stranger.send('MODE #plaza b');
      const bans = await stranger.until((m) => m.command === '368');
      assert.deepEqual(
        bans.filter((m) => m.command === '367').map((m) => m.params[2]),
        ['spam!*@*'],
      );
      stranger.mark();
      // The founder comes back and gets +o from ChanServ on join.
      const { client: luz2 } = await connectWithSasl(second.port, 'luz', 'PLAIN', 'luz', 'founderpw');
      clients.push(luz2);
      luz2.send('JOIN #plaza');
      const own = await luz2.until((m) => m.command === '366');
      assert.ok(
        own
          .find((m) => m.command === '353')!
          .params.at(-1)!
          .split(' ')
          .includes('@luz'),
      );
      const op = await stranger.waitFor((m) => m.command === 'MODE' && m.params[2] === 'luz');
      assert.deepEqual(op.params, ['#plaza', '+o', 'luz']);
      assert.match(op.source!, /^ChanServ!services@/);
      // The listed operator logs in after joining: ChanServ gives +o on login.
      const max2 = await reg(second.port, 'max');
      max2.send('JOIN #plaza');
      await max2.expect('366');
      max2.send('PRIVMSG NickServ :IDENTIFY max maxpw');
      const maxOp = await stranger.waitFor((m) => m.command === 'MODE' && m.params[2] === 'max');
      assert.equal(maxOp.params[1], '+o');
      // Changes after the restart are written through too; DROP needs the founder.
      luz2.send('TOPIC #plaza :Nuevo tema');
      await luz2.expect('TOPIC', '#plaza');
      await accountsOf(second.tertulia.server)!.flush();
      const stored = await second.tertulia.server.store!.getChannel(foldCase('#plaza'));
      assert.equal(stored?.topic?.text, 'Nuevo tema');
      assert.equal(stored?.founder, 'luz');
      assert.deepEqual(stored?.operators, ['max']);
      assert.match(await cs(max2, 'DROP #plaza'), /Only #plaza's founder/);
      assert.match(await cs(luz2, 'DROP #plaza'), /no longer registered/);
      assert.equal(await second.tertulia.server.store!.getChannel('#plaza'), null);
    });
  });
}
