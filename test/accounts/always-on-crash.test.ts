/**
 * Always-on through a crash (docs/PEOPLE.md): the nick an always-on person changes to is
 * stored when it changes, not only at its next join or disconnect, so a kill -9 of the real
 * server process brings the person back under the nick it had, and a new user finds it there
 * (in NAMES, and a DM to the new nick is accepted) before any device returns.
 *
 * SQLite only: its writes are synchronous on the main thread, so once the PONG that follows
 * the NICK is read the row is committed, and the kill cannot land between the two. On
 * PostgreSQL the write is a network round trip nothing on the wire waits for.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { type SpawnedServer, spawnServe } from '../helpers/spawn-server.js';
import { connectWithSasl } from './helpers.js';

describe('always-on through kill -9 (SQLite)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-always-on-crash-'));
  const children: ChildProcess[] = [];
  const clients: TestClient[] = [];
  const serve = async (): Promise<SpawnedServer> => {
    const server = await spawnServe([`--data-dir=${dataDir}`, '--log-level=warn']);
    children.push(server.child);
    return server;
  };
  after(() => {
    for (const c of clients) c.close();
    for (const child of children) child.kill('SIGKILL');
  });

  test('a nick changed just before a crash is the nick the person has after the restart', async () => {
    const first = await serve();
    await TestClient.registerAccount(first.port, 'rosa');
    const { client: rosa, result } = await connectWithSasl(
      first.port,
      'rosa',
      'PLAIN',
      'rosa',
      'secret-rosa',
    );
    clients.push(rosa);
    assert.equal(result.outcome.command, '903');
    rosa.send('JOIN #patio');
    await rosa.waitFor((m) => m.command === '366' && m.params[1] === '#patio');
    rosa.send('NICK rosita');
    await rosa.waitFor((m) => m.command === 'NICK' && m.params[0] === 'rosita');
    rosa.send('PING settled');
    await rosa.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'settled');

    first.child.kill('SIGKILL');
    await first.exited;
    rosa.close();

    const second = await serve();
    const ana = await TestClient.register(second.port, 'ana');
    clients.push(ana);
    ana.send('JOIN #patio');
    await ana.waitFor((m) => m.command === '366' && m.params[1] === '#patio');
    const names = (await ana.names('#patio')).map((n) => n.replace(/^[@+]/, ''));
    assert.ok(names.includes('rosita'), `#patio lists ${names.join(' ')}`);
    assert.ok(!names.includes('rosa'), `#patio lists ${names.join(' ')}`);
    ana.mark();
    ana.send('PRIVMSG rosita :¿estás?');
    const reply = await ana.waitFor((m) => m.command === '301' || m.command === '401');
    assert.equal(reply.command, '301', 'a DM to the stored nick is accepted (away), not 401');
  });
});
