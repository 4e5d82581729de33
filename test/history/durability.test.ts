/**
 * "Durable before acknowledged": kill -9 the real server process while several clients
 * send; after a restart on the same database, every message any client received (its own
 * echo or someone else's) is in history exactly once, and in the order it was delivered.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { type SpawnedServer, spawnServe } from '../helpers/spawn-server.js';

function serve(dataDir: string, database: string | null): Promise<SpawnedServer> {
  const args = [
    `--data-dir=${dataDir}`,
    '--flood-burst=100000',
    '--flood-rate=100000',
    '--flood-queue=100000',
    '--history-limit=10000',
    '--log-level=warn',
  ];
  if (database !== null) args.push(`--database=${database}`);
  return spawnServe(args);
}

/** Pages backwards through a room's whole history. */
async function fullHistory(c: TestClient, room: string): Promise<Received[]> {
  const all: Received[] = [];
  let before = '*';
  for (;;) {
    c.send(
      before === '*'
        ? `CHATHISTORY LATEST ${room} * 1000`
        : `CHATHISTORY BEFORE ${room} msgid=${before} 1000`,
    );
    const start = await c.waitFor((m) => m.command === 'BATCH' && m.params[0]!.startsWith('+'), 20_000);
    const id = start.params[0]!.slice(1);
    const lines = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`, 20_000);
    const page = lines.filter((m) => m.command === 'PRIVMSG');
    if (page.length === 0) return all;
    all.unshift(...page);
    before = page[0]!.tags['msgid']!;
  }
}

/** True when `sub` appears in `seq` in the same relative order. */
function isSubsequence(sub: string[], seq: string[]): boolean {
  let i = 0;
  for (const x of seq) if (i < sub.length && sub[i] === x) i++;
  return i === sub.length;
}

for (const backend of backends()) {
  describe(`kill -9 durability on ${backend.name}`, () => {
    const children: ChildProcess[] = [];
    after(async () => {
      for (const c of children) c.kill('SIGKILL');
      await backend.cleanup();
    });

    test('every message any client received is in history exactly once, in delivery order', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-kill-'));
      const database = await backend.fresh();
      const first = await serve(dataDir, database);
      children.push(first.child);
      const caps = ['echo-message', 'message-tags', 'server-time', 'batch'];
      const senders = await Promise.all(
        [0, 1, 2, 3].map((i) => TestClient.register(first.port, `sender${i}`, caps)),
      );
      for (const c of senders) {
        c.socket.setNoDelay(true);
        c.send('JOIN #durable');
        await c.expect('366');
      }
      // Everyone sends steadily until the server is killed mid-stream.
      let stop = false;
      const pumps = senders.map(async (c, i) => {
        for (let n = 0; !stop && !c.closed; n++) {
          c.send(`PRIVMSG #durable :s${i}-${n}`);
          if (n % 20 === 19) await new Promise((r) => setTimeout(r, 5));
        }
      });
      // Wait until a good number of messages have been delivered, then kill -9.
      await senders[0]!.waitFor(
        () => senders[0]!.received.filter((m) => m.command === 'PRIVMSG').length >= 400,
        20_000,
      );
      first.child.kill('SIGKILL');
      await first.exited;
      stop = true;
      await Promise.all(pumps);
      await Promise.all(senders.map((c) => c.waitClosed(5000).catch(() => c.close())));

      const received = senders.map((c) =>
        c.received.filter((m) => m.command === 'PRIVMSG' && m.params[0] === '#durable'),
      );
      const seen = new Set(received.flat().map((m) => m.tags['msgid']!));
      assert.ok(seen.size >= 400, `clients received ${seen.size} messages before the kill`);

      const second = await serve(dataDir, database);
      children.push(second.child);
      const reader = await TestClient.register(second.port, 'reader', ['draft/chathistory', ...caps]);
      reader.send('JOIN #durable');
      await reader.expect('366');
      const stored = await fullHistory(reader, '#durable');
      const storedIds = stored.map((m) => m.tags['msgid']!);
      assert.equal(new Set(storedIds).size, storedIds.length, 'no message is stored twice');
      const storedSet = new Set(storedIds);
      const missing = [...seen].filter((id) => !storedSet.has(id));
      assert.deepEqual(missing, [], 'every message a client received is in history');
      for (const [i, list] of received.entries()) {
        assert.ok(
          isSubsequence(
            list.map((m) => m.tags['msgid']!),
            storedIds,
          ),
          `sender${i} received messages in history order`,
        );
      }
      // Each sender's own messages are stored in the order it sent them.
      for (let i = 0; i < senders.length; i++) {
        const mine = stored.map((m) => m.params[1]!).filter((t) => t.startsWith(`s${i}-`));
        const seqs = mine.map((t) => Number(t.split('-')[1]));
        assert.deepEqual(
          seqs,
          [...seqs].sort((a, b) => a - b),
          `sender${i}'s messages keep their order`,
        );
      }
      reader.close();
      second.child.kill('SIGTERM');
      assert.equal(await second.exited, 0);
    });
  });
}
