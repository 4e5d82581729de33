/**
 * Cluster nodes as real processes: `tertulia serve --workers 2` sharing one port, a node
 * killed with SIGKILL (no goodbye) whose users leave with a netsplit QUIT, the refusals of
 * configurations that cannot work, and third-party clients on different nodes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import IRC from 'irc-framework';
import pg from 'pg';
import { ChatClient, type ChatMessage } from '../../src/client/index.js';
import { TestClient } from '../helpers/client.js';
import { dropPrefix, freshPrefix, known, REDIS_URL, startNode } from '../helpers/cluster.js';
import { POSTGRES_URL } from '../helpers/databases.js';
import { bin, root, type SpawnedServer, spawnServe } from '../helpers/spawn-server.js';

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

function serve(args: string[]): Promise<SpawnedServer> {
  const running = spawnServe(
    [
      `--data-dir=${mkdtempSync(join(tmpdir(), 'tertulia-cluster-'))}`,
      '--flood-burst=1000',
      '--flood-rate=1000',
      `--cluster-redis=${REDIS_URL}`,
      '--cluster-timeout=2',
      ...args,
    ],
    // With workers, the primary prints its IRC address before every worker is up.
    args.some((a) => a.startsWith('--workers')) ? /workers ready/ : undefined,
  );
  void running.then((server) =>
    cleanups.push(async () => {
      if (server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }),
  );
  return running;
}

async function freshSchema(): Promise<string> {
  const schema = `t_workers_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  cleanups.push(async () => {
    const db = new pg.Client({ connectionString: POSTGRES_URL });
    await db.connect();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
  });
  return `${POSTGRES_URL}?schema=${schema}`;
}

/** Which node a client is on, from its own WHOIS (312 says `(node …)`). */
/**
 * `serve --workers 2` on PostgreSQL, with one client on each worker, both in `room`
 * (each seeing the other's JOIN).
 */
async function twoWorkersInRoom(
  stem: string,
  room: string,
): Promise<{ server: SpawnedServer; nodeA: string; a: TestClient; nodeB: string; b: TestClient }> {
  const prefix = freshPrefix();
  cleanups.push(() => dropPrefix(prefix));
  const server = await serve([
    '--workers=2',
    `--cluster-prefix=${prefix}`,
    `--database=${await freshSchema()}`,
  ]);
  const [[nodeA, a], [nodeB, b]] = await onBothWorkers(server.port, stem);
  await known(a, b.nick);
  a.send(`JOIN ${room}`);
  await a.expect('366');
  b.send(`JOIN ${room}`);
  await a.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith(`${b.nick}!`) === true);
  return { server, nodeA, a, nodeB, b };
}

/**
 * Registers clients (nicks `<stem>0`, `<stem>1`…) until two of them are on different workers;
 * round robin sends consecutive connections to alternate workers. Returns [node, client] twice.
 */
async function onBothWorkers(
  port: number,
  stem: string,
): Promise<[[string, TestClient], [string, TestClient]]> {
  const byNode = new Map<string, TestClient>();
  for (let i = 0; byNode.size < 2; i++) {
    assert.ok(i < 20, 'connections never reached a second worker');
    const c = await TestClient.register(port, `${stem}${i}`);
    cleanups.push(() => c.close());
    const node = await nodeOf(c);
    if (!byNode.has(node)) byNode.set(node, c);
  }
  return [...byNode.entries()] as [[string, TestClient], [string, TestClient]];
}

async function nodeOf(c: TestClient): Promise<string> {
  c.send(`WHOIS ${c.nick}`);
  const reply = await c.until((m) => m.command === '318');
  const info = reply.find((m) => m.command === '312')!.params[3]!;
  return /\(node ([^)]+)\)$/.exec(info)![1]!;
}

describe('tertulia serve --workers', { timeout: 60_000 }, () => {
  it('refuses what cannot work, naming the fix', () => {
    const noRedis = spawnSync(process.execPath, [bin, 'serve', '--workers=2'], {
      cwd: root,
      encoding: 'utf8',
    });
    assert.equal(noRedis.status, 2);
    assert.match(noRedis.stderr, /--workers 2 needs --cluster-redis/);
    const sqlite = spawnSync(
      process.execPath,
      [bin, 'serve', '--workers=2', `--cluster-redis=${REDIS_URL}`],
      {
        cwd: root,
        encoding: 'utf8',
      },
    );
    assert.equal(sqlite.status, 2);
    assert.match(sqlite.stderr, /use --database postgres:\/\//);
  });

  it('two workers share one port; clients landing on different workers talk; SIGTERM stops all', async () => {
    const { server, a, b } = await twoWorkersInRoom('user', '#workers');
    b.send('PRIVMSG #workers :desde el otro núcleo');
    await a.expect('PRIVMSG', '#workers', 'desde el otro núcleo');
    a.send(`PRIVMSG ${b.nick} :en privado`);
    await b.expect('PRIVMSG', b.nick, 'en privado');
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    await a.waitFor((m) => m.command === 'ERROR');
    assert.match(server.output(), /stopped/);
  });

  it('a worker that crashes is restarted, and its users leave the others with a netsplit QUIT', async () => {
    const { server, nodeA, a, nodeB, b } = await twoWorkersInRoom('crash', '#crash');
    // Kill b's worker outright (no goodbye): find its pid from the primary's children.
    const pids = spawnSync('pgrep', ['-P', String(server.child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .map(Number);
    const victim = pids.find((pid) => nodeB.endsWith(`-w${pidIndex(pid)}`));
    assert.ok(victim !== undefined, `no worker pid for ${nodeB} among ${pids.join(',')}`);
    process.kill(victim, 'SIGKILL');
    const quit = await a.waitFor(
      (m) => m.command === 'QUIT' && m.source?.startsWith(`${b.nick}!`) === true,
      15_000,
    );
    // Either the timeout (netsplit `<our node> <lost node>`) or the restarted worker's hello.
    assert.equal(quit.params[0], `${nodeA} ${nodeB}`);
    await b.waitClosed();
    // The restarted worker takes new clients, who reach a.
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; ; i++) {
      assert.ok(i < 20);
      const c = await TestClient.register(server.port, `again${i}`);
      cleanups.push(() => c.close());
      if ((await nodeOf(c)) !== nodeB) continue;
      await known(c, a.nick);
      c.send(`PRIVMSG ${a.nick} :he vuelto`);
      await a.expect('PRIVMSG', a.nick, 'he vuelto');
      break;
    }
  });
});

/** A worker's index, from its environment (`TERTULIA_WORKER_INDEX`). */
function pidIndex(pid: number): string {
  const env = spawnSync('cat', [`/proc/${pid}/environ`], { encoding: 'utf8' }).stdout;
  return /TERTULIA_WORKER_INDEX=(\d+)/.exec(env)?.[1] ?? '?';
}

describe('a node killed without a goodbye', { timeout: 30_000 }, () => {
  it('its users quit for everyone else after the timeout, with a netsplit reason', async () => {
    const prefix = freshPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const local = await startNode(prefix, 'alive');
    cleanups.push(() => local.stop());
    const doomed = await serve([`--cluster-prefix=${prefix}`, '--cluster-node=doomed']);
    const alice = await TestClient.register(local.port, 'alice');
    cleanups.push(() => alice.close());
    const bob = await TestClient.register(doomed.port, 'bob');
    cleanups.push(() => bob.close());
    alice.send('JOIN #split');
    await alice.expect('366');
    bob.send('JOIN #split');
    await alice.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('bob!') === true);
    alice.send('MONITOR + bob');
    await alice.expect('730');
    doomed.child.kill('SIGKILL');
    const quit = await alice.waitFor(
      (m) => m.command === 'QUIT' && m.source?.startsWith('bob!') === true,
      15_000,
    );
    assert.equal(quit.params[0], 'alive doomed');
    await alice.expect('731', 'alice', 'bob');
    alice.send('NAMES #split');
    const names = await alice.until((m) => m.command === '366');
    assert.deepEqual(
      names.filter((m) => m.command === '353').flatMap((m) => m.params[3]!.split(' ')),
      ['@alice'],
    );
  });
});

describe('third-party clients on different nodes', { timeout: 30_000 }, () => {
  it('irc-framework on one node and the tertulia client library on another share a room', async () => {
    const prefix = freshPrefix();
    cleanups.push(() => dropPrefix(prefix));
    const n1 = await startNode(prefix, 'n1');
    cleanups.push(() => n1.stop());
    const n2 = await startNode(prefix, 'n2');
    cleanups.push(() => n2.stop());

    const kiwi = new IRC.Client();
    const kiwiMessages: Array<{ nick: string; target: string; message: string }> = [];
    kiwi.on('privmsg', (e: { nick: string; target: string; message: string }) => kiwiMessages.push(e));
    const kiwiJoins: string[] = [];
    kiwi.on('join', (e: { nick: string }) => kiwiJoins.push(e.nick));
    kiwi.connect({ host: '127.0.0.1', port: n1.port, nick: 'kiwi', username: 'kiwi', auto_reconnect: false });
    cleanups.push(() => kiwi.quit('bye'));
    await new Promise<void>((r) => kiwi.once('registered', () => r()));
    kiwi.join('#mix');

    const lib = new ChatClient({ host: '127.0.0.1', port: n2.port, nick: 'lib' });
    cleanups.push(() => lib.destroy());
    const libMessages: ChatMessage[] = [];
    lib.on('message', (m) => libMessages.push(m));
    const registered = lib.next('registered');
    await lib.connect();
    await registered;
    lib.join('#mix');
    await waitUntil(() => kiwiJoins.includes('lib'));
    lib.say('#mix', 'hola desde la biblioteca');
    await waitUntil(() =>
      kiwiMessages.some((m) => m.message === 'hola desde la biblioteca' && m.nick === 'lib'),
    );
    kiwi.say('#mix', 'hola desde irc-framework');
    await waitUntil(() =>
      libMessages.some((m) => m.text === 'hola desde irc-framework' && m.from === 'kiwi'),
    );
    kiwi.say('lib', 'en privado');
    await waitUntil(() => libMessages.some((m) => m.text === 'en privado' && m.private && m.from === 'kiwi'));
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
