/**
 * Private history belongs to accounts: the two participants see their conversation again
 * from any later connection, and nobody else does, not even someone using one of the nicks.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { connectWithSasl } from '../accounts/helpers.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CAPS = ['draft/chathistory', 'batch', 'server-time', 'message-tags'];

async function history(c: TestClient, line: string): Promise<string[]> {
  c.send(line);
  const start = await c.waitFor((m) => m.command === 'BATCH' && m.params[0]!.startsWith('+'));
  const id = start.params[0]!.slice(1);
  const lines: Received[] = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`);
  return lines.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]!);
}

for (const backend of backends()) {
  describe(`private history by account on ${backend.name}`, () => {
    const clients: TestClient[] = [];
    let srv: TestServer | null = null;
    after(async () => {
      for (const c of clients) c.close();
      await srv?.stop();
      await backend.cleanup();
    });

    test('chathistory §Security: a private conversation follows its two accounts across connections', async () => {
      srv = await startServer({ database: await backend.fresh() });
      const port = srv.port;
      for (const name of ['ana', 'ben']) await TestClient.registerAccount(port, name);
      const ana = (await connectWithSasl(port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
      const ben = (await connectWithSasl(port, 'ben', 'PLAIN', 'ben', 'secret-ben', CAPS)).client;
      clients.push(ana, ben);
      ana.send('PRIVMSG ben :our secret');
      await ben.expect('PRIVMSG', 'ben', 'our secret');
      ben.send('PRIVMSG ana :safe with me');
      await ana.expect('PRIVMSG', 'ana', 'safe with me');
      ana.close();
      ben.send('QUIT');
      await ben.waitClosed();

      // Ben comes back under another nick: the conversation is still his, by account.
      const benAgain = (await connectWithSasl(port, 'benji', 'PLAIN', 'ben', 'secret-ben', CAPS)).client;
      clients.push(benAgain);
      assert.deepEqual(await history(benAgain, 'CHATHISTORY LATEST ana * 10'), [
        'our secret',
        'safe with me',
      ]);

      // Someone without either account sees nothing of it, whichever nick they ask about.
      const impostor = await TestClient.register(port, 'mallory', CAPS);
      clients.push(impostor);
      assert.deepEqual(await history(impostor, 'CHATHISTORY LATEST ben * 10'), []);
      assert.deepEqual(await history(impostor, 'CHATHISTORY LATEST benji * 10'), []);
    });
  });
}
