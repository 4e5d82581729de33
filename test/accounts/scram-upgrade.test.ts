/**
 * Stored SCRAM-SHA-256 keys (issue 14, item 5): new accounts get keys at the configured
 * `scram-iterations` (600,000 by default, not RFC 7677's minimum of 4096), and an account
 * stored at a lower count is re-derived at the next login that carries the password (SASL
 * PLAIN, NickServ IDENTIFY). Over real sockets with a real SCRAM client, on the SQLite file
 * of a server restarted with a higher count (as an upgraded server would be).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { defaultConfig } from '../../src/config/schema.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { connectWithSasl } from './helpers.js';

const DEFAULT_ITERATIONS = defaultConfig().scramIterations;

/** The iteration count the server announces in its SCRAM server-first-message (`i=`). */
function announcedIterations(lines: { command: string; params: string[] }[]): number {
  for (const m of lines) {
    if (m.command !== 'AUTHENTICATE' || m.params[0] === '+') continue;
    const text = Buffer.from(m.params[0]!, 'base64').toString('utf8');
    const i = /(?:^|,)i=(\d+)/.exec(text);
    if (i !== null) return Number(i[1]);
  }
  throw new Error('no server-first-message');
}

describe('SCRAM-SHA-256 iteration count', () => {
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop();
  });

  test(`RFC 7677 §4 (at least 4096): a new account's keys use scram-iterations (default ${DEFAULT_ITERATIONS}), announced as i= and verified by a real client; an unknown account's decoy announces the same count`, async () => {
    assert.ok(DEFAULT_ITERATIONS >= 600_000);
    const server = await startServer({ scramIterations: DEFAULT_ITERATIONS });
    servers.push(server);
    await TestClient.registerAccount(server.port, 'alice', 'correct-horse');
    const stored = await server.tertulia.server.store!.getAccount('alice');
    assert.equal(stored?.scram?.iterations, DEFAULT_ITERATIONS);
    const { client, result } = await connectWithSasl(
      server.port,
      'alice',
      'SCRAM-SHA-256',
      'alice',
      'correct-horse',
    );
    clients.push(client);
    assert.equal(result.outcome.command, '903');
    assert.equal(result.serverVerified, true);
    assert.equal(announcedIterations(result.lines), DEFAULT_ITERATIONS);
    const ghost = await connectWithSasl(server.port, 'ghost', 'SCRAM-SHA-256', 'ghost', 'whatever');
    clients.push(ghost.client);
    assert.equal(ghost.result.outcome.command, '904');
    assert.equal(
      announcedIterations(ghost.result.lines),
      DEFAULT_ITERATIONS,
      'a missing account looks like a new one',
    );
  });

  test('an account stored at 4096 iterations still logs in by SCRAM, and is upgraded at its next SASL PLAIN login (and by NickServ IDENTIFY)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-scram-'));
    const old = await startServer({ dataDir, scramIterations: 4096 });
    await TestClient.registerAccount(old.port, 'bob', 'bob-password');
    await TestClient.registerAccount(old.port, 'carol', 'carol-password');
    await old.stop();

    const server = await startServer({ dataDir, scramIterations: DEFAULT_ITERATIONS });
    servers.push(server);
    const store = server.tertulia.server.store!;
    assert.equal((await store.getAccount('bob'))?.scram?.iterations, 4096);
    // Its old keys still work over SCRAM (the count travels with the keys).
    const before = await connectWithSasl(server.port, 'bob', 'SCRAM-SHA-256', 'bob', 'bob-password');
    clients.push(before.client);
    assert.equal(before.result.outcome.command, '903');
    assert.equal(announcedIterations(before.result.lines), 4096);
    // A PLAIN login carries the password: the keys are derived again at the new count.
    const plain = await connectWithSasl(server.port, 'bob2', 'PLAIN', 'bob', 'bob-password');
    clients.push(plain.client);
    assert.equal(plain.result.outcome.command, '903');
    assert.equal((await store.getAccount('bob'))?.scram?.iterations, DEFAULT_ITERATIONS);
    const afterwards = await connectWithSasl(server.port, 'bob3', 'SCRAM-SHA-256', 'bob', 'bob-password');
    clients.push(afterwards.client);
    assert.equal(afterwards.result.outcome.command, '903');
    assert.equal(afterwards.result.serverVerified, true);
    assert.equal(announcedIterations(afterwards.result.lines), DEFAULT_ITERATIONS);

    // NickServ IDENTIFY upgrades too.
    const c = await TestClient.register(server.port, 'dave');
    clients.push(c);
    c.send('PRIVMSG NickServ :IDENTIFY carol carol-password');
    await c.waitFor(
      (m) => m.command === 'NOTICE' && m.params[1] === 'You are now logged in as carol.',
      10_000,
    );
    assert.equal((await store.getAccount('carol'))?.scram?.iterations, DEFAULT_ITERATIONS);
  });
});
