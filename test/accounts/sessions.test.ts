/**
 * SESSIONS (src/core/commands/sessions.ts) and NickServ SESSIONS over real sockets: a person
 * sees its connections (client, address, since), ends one from another (that device gets an
 * ERROR saying from where, the person stays), turns always-on off and on; guests and other
 * people's sessions are refused with standard replies
 * (https://ircv3.net/specs/extensions/standard-replies).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

describe('a person’s sessions', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await srv?.stop();
  });
  const device = async (account: string): Promise<TestClient> => {
    const { client, result } = await connectWithSasl(
      srv.port,
      account,
      'PLAIN',
      account,
      `secret-${account}`,
    );
    assert.equal(result.outcome.command, '903');
    clients.push(client);
    return client;
  };
  const sessions = async (c: TestClient, ...args: string[]): Promise<Received[]> => {
    c.mark();
    c.send(['SESSIONS', ...args].join(' '));
    return c.until(
      (m) =>
        (m.command === 'SESSIONS' && ['ENDOFLIST', 'ENDED'].includes(m.params[0]!)) ||
        (m.command === 'SESSIONS' && m.params[0] === 'ALWAYS-ON' && args[0] === 'ALWAYS-ON') ||
        m.command === 'FAIL',
    );
  };
  const items = (lines: Received[]): string[][] =>
    lines.filter((m) => m.command === 'SESSIONS' && m.params[0] === 'ITEM').map((m) => m.params.slice(1));

  test('SESSIONS lists each connection of the account; END closes another one, which is told why, and the person stays', async () => {
    srv = await startServer();
    await TestClient.registerAccount(srv.port, 'ana');
    await TestClient.registerAccount(srv.port, 'otro');
    const laptop = await device('ana');
    const phone = await device('ana');
    const listed = await sessions(phone);
    assert.deepEqual(listed[0]!.params, ['ALWAYS-ON', 'on'], 'always-on first (the default)');
    const rows = items(listed);
    assert.equal(rows.length, 2);
    for (const [id, address, since, , client] of rows) {
      assert.match(id!, /^\d+$/);
      assert.equal(address, '127.0.0.1');
      assert.ok(Date.now() - Date.parse(since!) < 60_000, `since is an ISO time: ${since}`);
      assert.equal(client, 'IRC');
    }
    assert.deepEqual(
      rows.map((r) => r[3]),
      ['other', 'this'],
      'oldest first; the asking connection is marked',
    );

    // Someone else cannot end ana's session, nor see that it exists.
    const otro = await device('otro');
    const refused = await sessions(otro, 'END', rows[0]![0]!);
    assert.deepEqual(refused.at(-1)!.params.slice(0, 3), ['SESSIONS', 'NO_SUCH_SESSION', rows[0]![0]!]);
    const guest = await TestClient.register(srv.port, 'invitado');
    clients.push(guest);
    assert.deepEqual((await sessions(guest)).at(-1)!.params.slice(0, 2), ['SESSIONS', 'ACCOUNT_REQUIRED']);

    const ended = await sessions(phone, 'END', rows[0]![0]!);
    assert.deepEqual(ended.at(-1)!.params, ['ENDED', rows[0]![0]!]);
    const error = await laptop.waitFor((m) => m.command === 'ERROR');
    assert.match(error.params[0]!, /\[Ended from your other session \(IRC, 127\.0\.0\.1\)\]/);
    await laptop.waitClosed();
    assert.equal(items(await sessions(phone)).length, 1);
    otro.send('WHOIS ana');
    const whois = await otro.until((m) => m.command === '318');
    assert.ok(
      whois.some((m) => m.command === '311'),
      'ana is still on the network',
    );
  });

  test('SESSIONS ALWAYS-ON OFF and ON switch the account (as NickServ SET ALWAYS-ON does); NickServ SESSIONS says it in words and ends one by its number', async () => {
    await TestClient.registerAccount(srv.port, 'bea');
    const one = await device('bea');
    const two = await device('bea');
    assert.deepEqual((await sessions(one, 'ALWAYS-ON', 'OFF')).at(-1)!.params, ['ALWAYS-ON', 'off']);
    one.send('PRIVMSG NickServ :SET ALWAYS-ON');
    assert.match((await one.expect('NOTICE')).params[1]!, /Always-on is off for bea/);
    assert.deepEqual((await sessions(one, 'ALWAYS-ON', 'ON')).at(-1)!.params, ['ALWAYS-ON', 'on']);

    one.mark();
    one.send('PRIVMSG NickServ :SESSIONS');
    one.send('PING words-done');
    const words = (await one.until((m) => m.command === 'PONG'))
      .filter((m) => m.command === 'NOTICE')
      .map((m) => m.params[1]!);
    assert.equal(words[0], 'bea has 2 sessions:');
    assert.match(
      words[1]!,
      /^ {2}1\. IRC from 127\.0\.0\.1, since \d{4}-\d\d-\d\d \d\d:\d\d UTC \(this one\)$/,
    );
    assert.match(words[2]!, /^ {2}2\. IRC from 127\.0\.0\.1, since .* UTC$/);
    one.send('PRIVMSG NickServ :SESSIONS END 2');
    await two.waitFor((m) => m.command === 'ERROR');
    await two.waitClosed();
  });
});
