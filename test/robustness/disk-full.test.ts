/**
 * Storage that cannot write (issue 14, item 6): every message is refused with
 * `FAIL PRIVMSG MESSAGE_ERROR` and shown to nobody, and the console says so once, not once
 * per message; when writes work again it says so once, with the count of refused messages.
 *
 * The failure is real: the test process's file-size limit (RLIMIT_FSIZE, set with
 * util-linux `prlimit` on this very process, which runs the server and its SQLite writer
 * thread) is lowered to one byte, so every write to the database and its WAL fails with
 * EFBIG as it would on a full disk (Node ignores SIGXFSZ), and then raised again.
 *
 * A NOTICE that cannot be stored is dropped without `FAIL NOTICE MESSAGE_ERROR`: RFC 2812
 * §3.3.2, servers "MUST NOT send any error reply back to the client on receipt of a notice".
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { WriteFailureLog } from '../../src/core/write-failures.js';
import { createLogger } from '../../src/log/logger.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

function fileSizeLimit(limit: string): void {
  execFileSync('prlimit', ['--pid', String(process.pid), `--fsize=${limit}:unlimited`]);
}

describe('history writes failing (a full disk)', () => {
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

  test('300 refused messages log one ERROR line, and one line with the count when writes work again; nobody sees a refused message', async () => {
    const alice = await TestClient.register(server.port, 'alice', ['echo-message']);
    const bob = await TestClient.register(server.port, 'bob');
    clients.push(alice, bob);
    alice.send('JOIN #room');
    await alice.expect('366');
    bob.send('JOIN #room');
    await bob.expect('366');
    alice.send('PRIVMSG #room :stored');
    await bob.expect('PRIVMSG', '#room', 'stored');

    const refused = 300;
    fileSizeLimit('1');
    try {
      for (let i = 0; i < refused; i++) alice.send(`PRIVMSG #room :lost ${i}`);
      for (let i = 0; i < refused; i++) await alice.expect('FAIL', 'PRIVMSG', 'MESSAGE_ERROR');
    } finally {
      fileSizeLimit('unlimited');
    }
    alice.send('PRIVMSG #room :stored again');
    await bob.expect('PRIVMSG', '#room', 'stored again');
    await alice.expect('PRIVMSG', '#room', 'stored again');
    await bob.sync();
    assert.ok(!bob.received.some((m) => m.params[1]?.startsWith('lost ')), 'no refused message was shown');

    const failing = server.logs.filter((l) => l.includes('could not store a message'));
    assert.equal(failing.length, 1, `one line for the condition, got:\n${failing.join('\n')}`);
    assert.match(failing[0]!, /ERROR/);
    const recovered = server.logs.filter((l) => l.includes('messages are stored again'));
    assert.equal(recovered.length, 1);
    assert.match(recovered[0]!, new RegExp(`after ${refused} refused`));
    assert.ok(!server.logs.some((l) => l.includes('lost ')), 'message contents never reach the log');
  });

  test('RFC 2812 §3.3.2: a NOTICE that cannot be stored is shown to nobody and answered with nothing; a PRIVMSG in the same spell gets FAIL MESSAGE_ERROR', async () => {
    const nora = await TestClient.register(server.port, 'nora', ['echo-message']);
    const beto = await TestClient.register(server.port, 'beto');
    clients.push(nora, beto);
    nora.send('JOIN #notices');
    await nora.expect('366');
    beto.send('JOIN #notices');
    await beto.expect('366');
    nora.send('NOTICE #notices :stored');
    await beto.expect('NOTICE', '#notices', 'stored');
    await nora.expect('NOTICE', '#notices', 'stored');
    nora.mark();

    fileSizeLimit('1');
    try {
      nora.send('NOTICE #notices :lost notice');
      nora.send('NOTICE beto :lost private notice');
      nora.send('PRIVMSG #notices :lost message');
      await nora.expect('FAIL', 'PRIVMSG', 'MESSAGE_ERROR');
    } finally {
      fileSizeLimit('unlimited');
    }
    await nora.sync();
    assert.deepEqual(
      nora.received.filter((m) => m.command === 'FAIL').map((m) => m.raw),
      [
        `:${server.config.serverName} FAIL PRIVMSG MESSAGE_ERROR :Your message could not be stored and was not delivered; please retry`,
      ],
      'only the PRIVMSG was answered',
    );
    nora.send('NOTICE #notices :stored again');
    await beto.expect('NOTICE', '#notices', 'stored again');
    assert.ok(!beto.received.some((m) => m.params[1]?.startsWith('lost ')), 'nothing refused was shown');
  });
});

test('while writes keep failing, a reminder with the count at most once a minute (explicit clock)', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const log = new WriteFailureLog(createLogger({ logLevel: 'info', logFormat: 'json' }, sink));
  const err = new Error('database or disk is full');
  for (let t = 0; t < 150_000; t += 10) log.failed(err, t); // 15,000 refusals over 150 s
  log.succeeded(150_000);
  const events = lines.map((l) => JSON.parse(l) as { event: string; refused?: number });
  assert.deepEqual(
    events.map((e) => e.event),
    ['history.write_failing', 'history.write_failing', 'history.write_failing', 'history.write_recovered'],
  );
  assert.deepEqual(
    events.map((e) => e.refused),
    [undefined, 6001, 12001, 15000],
  );
});
