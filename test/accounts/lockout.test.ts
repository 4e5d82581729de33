/**
 * Lock-outs (issue 14, item 1), over real sockets with the production delays: an attacker
 * guessing an account's password in parallel, from several loopback addresses
 * (127.0.0.x), must neither lock its owner out nor get unbounded guesses. The owner logs in
 * during the flood by SASL PLAIN, NickServ IDENTIFY and HTTP Basic (the search API), each
 * through the same login guard (src/core/accounts/login-guard.ts).
 *
 * The figures (how long the owner waited, how many guesses were checked) are printed as
 * test diagnostics for docs/SECURITY.md; the assertions are on what a user sees, not on time.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { accountsOf } from '../../src/core/accounts/index.js';
import { PAIR_PENDING } from '../../src/core/accounts/login-guard.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { authenticate } from './helpers.js';

/** A connection from `local` (a 127.0.0.x address) with the sasl capability, not registered. */
async function saslConnection(port: number, local: string, nick: string): Promise<TestClient> {
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress: local }, () => resolve(s));
    s.once('error', reject);
  });
  const c = TestClient.fromSocket(socket);
  c.nick = nick;
  c.send('CAP LS 302');
  c.send('CAP REQ :sasl');
  await c.expect('CAP', '*', 'ACK');
  return c;
}

const outcome = (m: Received): boolean => ['903', '904', '905', '906', '907'].includes(m.command);

/** GET /api/search with HTTP Basic from `local`; resolves with the status. */
function searchAs(port: number, local: string, user: string, password: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: '127.0.0.1',
        port,
        localAddress: local,
        path: '/api/search?q=hola',
        headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

describe('lock-outs: parallel guessing against an account, with the production delays', () => {
  let server: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    server = await startServer();
    await TestClient.registerAccount(server.port, 'alice', 'the-right-one');
  });

  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test("an attacker flooding wrong passwords from 5 addresses in parallel does not keep the owner out: SASL PLAIN, NickServ IDENTIFY and HTTP Basic from the owner's address all succeed during the flood", async (t) => {
    const guard = accountsOf(server.tertulia.server)!.guard;
    // Baseline: the same login with no attack going on.
    const tb = Date.now();
    const calm = await saslConnection(server.port, '127.0.0.7', 'calm');
    clients.push(calm);
    assert.equal((await authenticate(calm, 'PLAIN', 'alice', 'the-right-one')).outcome.command, '903');
    const baselineMs = Date.now() - tb;
    calm.close();
    const before = { ...guard.counts };
    const attackers: TestClient[] = [];
    for (let a = 2; a <= 6; a++) {
      for (let k = 0; k < 8; k++)
        attackers.push(await saslConnection(server.port, `127.0.0.${a}`, `x${a}${k}`));
    }
    clients.push(...attackers);
    let running = true;
    let answered = 0;
    let loggedIn = 0;
    const flood = attackers.map(async (c, i) => {
      try {
        while (running) {
          c.send('AUTHENTICATE PLAIN');
          await c.expect('AUTHENTICATE', '+');
          c.send(`AUTHENTICATE ${Buffer.from(`\0alice\0guess-${i}-${answered}`).toString('base64')}`);
          // A guess may wait its turn for up to the longest delay (30 s).
          const r = await c.waitFor(outcome, 60_000);
          if (r.command !== '904') loggedIn++;
          answered++;
        }
      } catch {
        // The connection was closed at the end of the test while a guess was waiting.
      }
    });
    // Let the flood build up: every attacker address now has failures and attempts in hand.
    await new Promise((r) => setTimeout(r, 3000));

    const t0 = Date.now();
    const owner = await saslConnection(server.port, '127.0.0.7', 'alice');
    clients.push(owner);
    const sasl = await authenticate(owner, 'PLAIN', 'alice', 'the-right-one');
    const saslMs = Date.now() - t0;
    assert.equal(sasl.outcome.command, '903', 'the owner logs in by SASL during the flood');

    const t1 = Date.now();
    const other = await TestClient.register(server.port, 'carol');
    clients.push(other);
    // NickServ from a second address of the owner (127.0.0.1, where the account was made).
    other.send('PRIVMSG NickServ :IDENTIFY alice the-right-one');
    const n = await other.waitFor(
      (m) => m.command === 'NOTICE' && m.source?.startsWith('NickServ!') === true,
    );
    const identifyMs = Date.now() - t1;
    assert.equal(n.params[1], 'You are now logged in as alice.');

    const t2 = Date.now();
    const status = await searchAs(server.httpPort, '127.0.0.8', 'alice', 'the-right-one');
    const httpMs = Date.now() - t2;
    assert.equal(status, 200, 'HTTP Basic (search API) works for the owner during the flood');

    running = false;
    for (const c of attackers) c.close();
    await Promise.all(flood);
    assert.equal(loggedIn, 0, 'no wrong guess ever logged in');
    const checked = guard.counts.checked - before.checked;
    const refused = guard.counts.refused - before.refused;
    t.diagnostic(
      `owner waited: SASL ${saslMs} ms (${baselineMs} ms with no attack), IDENTIFY ${identifyMs} ms, HTTP ${httpMs} ms; ` +
        `attacker: ${answered} answers from 40 connections on 5 addresses, ${checked - 3} checked, ${refused} refused unchecked`,
    );
  });

  test(`a parallel guesser from one address gets at most ${PAIR_PENDING} of 40 simultaneous guesses checked; the rest are told "too many login attempts"`, async () => {
    const conns = await Promise.all(
      Array.from({ length: 40 }, (_, i) => saslConnection(server.port, '127.0.0.9', `p${i}`)),
    );
    clients.push(...conns);
    for (const c of conns) c.send('AUTHENTICATE PLAIN');
    await Promise.all(conns.map((c) => c.expect('AUTHENTICATE', '+')));
    const wrong = Buffer.from('\0alice\0not-it').toString('base64');
    for (const c of conns) c.send(`AUTHENTICATE ${wrong}`);
    const answers = await Promise.all(conns.map((c) => c.waitFor(outcome, 60_000)));
    assert.ok(answers.every((m) => m.command === '904'));
    const refused = answers.filter((m) => m.params[1]!.includes('too many login attempts'));
    const checked = answers.length - refused.length;
    assert.ok(checked >= 1 && checked <= PAIR_PENDING, `${checked} of 40 guesses were checked`);
  });
});
