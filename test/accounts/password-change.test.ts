/**
 * Changing a password (NickServ SET PASSWORD), over real sockets: only with the current
 * password, through the login guard; the new one works for SASL PLAIN and SCRAM-SHA-256 and
 * the old one no longer does; every other device of the account is closed with a reason
 * (issue 13: "its password changed while devices are attached: they are logged out with a
 * reason"), and the device that changed it stays.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

describe('NickServ SET PASSWORD', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    srv = await startServer();
    await TestClient.registerAccount(srv.port, 'ana');
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });
  const device = async (password: string, mechanism: 'PLAIN' | 'SCRAM-SHA-256' = 'PLAIN') => {
    const { client, result } = await connectWithSasl(srv.port, 'ana', mechanism, 'ana', password);
    clients.push(client);
    return { client, outcome: result.outcome.command };
  };
  const nickServ = async (c: TestClient, text: string): Promise<string> => {
    c.mark();
    c.send(`PRIVMSG NickServ :${text}`);
    const notice = await c.waitFor(
      (m) => m.command === 'NOTICE' && m.source?.startsWith('NickServ!') === true,
    );
    return notice.params[1]!;
  };

  test('needs the current password and a good new one; then the other devices are closed with a reason and only the new password logs in', async () => {
    const { client: laptop } = await device('secret-ana');
    const { client: phone } = await device('secret-ana');
    const guest = await TestClient.register(srv.port, 'invitado');
    clients.push(guest);

    assert.match(await nickServ(guest, 'SET PASSWORD x y'), /logged in/);
    assert.match(
      await nickServ(laptop, 'SET PASSWORD wrong-one nueva-clave-larga'),
      /not your current password/,
    );
    assert.match(
      await nickServ(laptop, `SET PASSWORD secret-ana ${'x'.repeat(301)}`),
      /longer than 300 bytes/,
    );
    // Nothing changed so far: the phone is still there and the old password still works.
    const { client: tablet, outcome: still } = await device('secret-ana');
    assert.equal(still, '903');

    assert.match(
      await nickServ(laptop, 'SET PASSWORD secret-ana nueva clave larga'),
      /Your password is changed\. Your 2 other session\(s\) were closed\./,
    );
    for (const other of [phone, tablet]) {
      const error = await other.waitFor((m) => m.command === 'ERROR');
      assert.match(error.params[0]!, /Password changed from another session/);
      await other.waitClosed();
    }
    // The device that changed it stays, logged in.
    laptop.send('WHOIS ana');
    const whois = await laptop.until((m) => m.command === '318');
    assert.ok(
      whois.some((m) => m.command === '330' && m.params[2] === 'ana'),
      'still logged in as ana',
    );

    assert.equal((await device('secret-ana')).outcome, '904', 'the old password is refused');
    assert.equal((await device('nueva clave larga')).outcome, '903', 'SASL PLAIN with the new one');
    assert.equal(
      (await device('nueva clave larga', 'SCRAM-SHA-256')).outcome,
      '903',
      'SCRAM with the new one',
    );
  });
});
