/**
 * DESIGN.md: "Each connection receives what the server accepted in the order it accepted
 * it" (issue 15 "Ordering"). A PRIVMSG waits for its history write before it is delivered;
 * a command the server accepts after it on another connection (NICK, TOPIC) must still
 * reach a third client after the message, never before (docs/ARCHITECTURE.md "Order of
 * deliveries"). The history writer is kept busy by another room so that the write is slow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('order of deliveries across connections', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    server = await startServer({ floodBurst: 100_000, floodRate: 100_000, floodQueue: 100_000 });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test('a PRIVMSG accepted before a NICK and a TOPIC from others reaches a third client before them', async () => {
    const alice = await TestClient.register(server.port, 'alice', ['message-tags']);
    const bob = await TestClient.register(server.port, 'bob');
    const carol = await TestClient.register(server.port, 'carol');
    const loader = await TestClient.register(server.port, 'loader');
    clients.push(alice, bob, carol, loader);
    for (const c of [bob, alice, carol]) {
      // bob first: he creates the room, so he may set its topic.
      c.send('JOIN #order');
      await c.expect('366');
    }
    loader.send('JOIN #load');
    await loader.expect('366');
    await carol.sync();
    const start = carol.received.length;
    const filler = 'f'.repeat(300);

    /** alice says `text`; resolves once the server has accepted it (her typing TAGMSG to herself came back). */
    const accepted = async (text: string): Promise<void> => {
      let load = '';
      for (let i = 0; i < 2000; i++) load += `PRIVMSG #load :${i} ${filler}\r\n`;
      loader.sendRaw(load); // the history writer is busy for a while (no need to wait for it)
      const from = alice.received.length;
      alice.sendRaw(`PRIVMSG #order :${text}\r\n@+typing=active TAGMSG alice\r\n`);
      await alice.waitFor(
        () =>
          alice.received.slice(from).some((m) => m.command === 'TAGMSG' && m.tags['+typing'] === 'active'),
        20_000,
      );
    };

    await accepted('first');
    bob.send('NICK robert');
    await accepted('second');
    bob.send('TOPIC #order :after second');
    await carol.waitFor((m) => m.command === 'TOPIC', 20_000);

    const events = carol.received
      .slice(start)
      .map((m: Received) =>
        m.command === 'PRIVMSG'
          ? `PRIVMSG ${m.params[1]}`
          : m.command === 'NICK'
            ? `NICK ${m.params[0]}`
            : m.command === 'TOPIC'
              ? `TOPIC ${m.params[1]}`
              : null,
      )
      .filter((e) => e !== null);
    assert.deepEqual(events, ['PRIVMSG first', 'NICK robert', 'PRIVMSG second', 'TOPIC after second']);
  });
});
