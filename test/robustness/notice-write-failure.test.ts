/**
 * A NOTICE that cannot be stored (a full disk) is dropped without `FAIL NOTICE MESSAGE_ERROR`:
 * RFC 2812 §3.3.2, servers "MUST NOT send any error reply back to the client on receipt of a
 * notice". A PRIVMSG in the same spell still gets its FAIL (disk-full.test.ts).
 *
 * The failure is real, as in disk-full.test.ts: this process's file-size limit (which the
 * server and its SQLite writer thread share) is lowered to one byte, then raised again.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

function fileSizeLimit(limit: string): void {
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${limit}:unlimited`]);
}

describe('a NOTICE whose history write fails', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    fileSizeLimit('unlimited');
    for (const c of clients) c.close();
    await server.stop();
  });

  test('RFC 2812 §3.3.2: is shown to nobody and answered with nothing; PRIVMSG gets FAIL MESSAGE_ERROR', async () => {
    const alice = await TestClient.register(server.port, 'alice', ['echo-message']);
    const bob = await TestClient.register(server.port, 'bob');
    clients.push(alice, bob);
    alice.send('JOIN #room');
    await alice.expect('366');
    bob.send('JOIN #room');
    await bob.expect('366');
    alice.send('NOTICE #room :stored');
    await bob.expect('NOTICE', '#room', 'stored');
    await alice.expect('NOTICE', '#room', 'stored');
    alice.mark();

    fileSizeLimit('1');
    try {
      alice.send('NOTICE #room :lost notice');
      alice.send('NOTICE bob :lost private notice');
      alice.send('PRIVMSG #room :lost message');
      await alice.expect('FAIL', 'PRIVMSG', 'MESSAGE_ERROR');
    } finally {
      fileSizeLimit('unlimited');
    }
    await alice.sync();
    assert.deepEqual(
      alice.received.filter((m) => m.command === 'FAIL').map((m) => m.raw),
      [
        `:${server.config.serverName} FAIL PRIVMSG MESSAGE_ERROR :Your message could not be stored and was not delivered; please retry`,
      ],
      'only the PRIVMSG was answered',
    );
    alice.send('NOTICE #room :stored again');
    await bob.expect('NOTICE', '#room', 'stored again');
    assert.ok(!bob.received.some((m) => m.params[1]?.startsWith('lost ')), 'nothing refused was shown');
  });
});
