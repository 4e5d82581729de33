/**
 * SASL with a third-party client: irc-framework (Kiwi IRC's engine) registers an account
 * nowhere near our own code paths, then logs in with SASL PLAIN while connecting, and is
 * told clearly when the password is wrong. On both storage back ends.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import IRC from 'irc-framework';
import { TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer } from '../helpers/server.js';

function connect(
  port: number,
  nick: string,
  account: { account: string; password: string },
): { client: IRC.Client; outcome: Promise<{ event: string; data: unknown }> } {
  const client = new IRC.Client();
  const outcome = new Promise<{ event: string; data: unknown }>((resolve) => {
    for (const event of ['loggedin', 'sasl failed'])
      client.on(event, (data: unknown) => resolve({ event, data }));
  });
  client.connect({
    host: '127.0.0.1',
    port,
    nick,
    username: nick,
    gecos: nick,
    auto_reconnect: false,
    account,
  });
  return { client, outcome };
}

for (const backend of backends()) {
  describe(`irc-framework SASL on ${backend.name}`, () => {
    after(() => backend.cleanup());

    test('sasl-3.1 with irc-framework: SASL PLAIN logs in while connecting (900 → loggedin); a wrong password is reported (904 → sasl failed)', async (t) => {
      const server = await startServer({ database: await backend.fresh() });
      const clients: IRC.Client[] = [];
      t.after(async () => {
        for (const c of clients) c.quit('done');
        await server.stop();
      });
      const reg = await TestClient.register(server.port, 'zoe');
      reg.send('REGISTER * * :zoe password');
      await reg.expect('REGISTER', 'SUCCESS', 'zoe');
      reg.close();

      const good = connect(server.port, 'zoe', { account: 'zoe', password: 'zoe password' });
      clients.push(good.client);
      const ok = await good.outcome;
      assert.equal(ok.event, 'loggedin');
      assert.equal((ok.data as { account: string }).account, 'zoe');

      const bad = connect(server.port, 'zed', { account: 'zoe', password: 'not it' });
      clients.push(bad.client);
      const no = await bad.outcome;
      assert.equal(no.event, 'sasl failed');
    });
  });
}
