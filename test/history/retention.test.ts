/**
 * README "History": --history-retention-days deletes older history; the server prunes at
 * start and then hourly. Checked against the real store the server runs on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/open.js';
import type { StoredMessage } from '../../src/store/store.js';
import { startServer } from '../helpers/server.js';

function message(msgid: string, time: number): StoredMessage {
  return {
    msgid,
    time,
    command: 'PRIVMSG',
    conversation: '#old',
    target: '#old',
    sender: 'a!~a@127.0.0.1',
    senderAccount: null,
    text: msgid,
    clientTags: null,
  };
}

test('--history-retention-days: messages older than the age are pruned, newer ones kept', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-retention-'));
  const seed = await openStore({ database: null, dataDir });
  const day = 86_400_000;
  await seed.append([message('ancient', Date.now() - 3 * day), message('recent', Date.now() - 60_000)]);
  await seed.close();

  const srv = await startServer({ dataDir, database: null, historyRetentionDays: 1 });
  try {
    const store = srv.tertulia.server.store!;
    const deadline = Date.now() + 5000;
    while ((await store.findMessage('ancient')) !== null) {
      assert.ok(Date.now() < deadline, 'the old message was not pruned');
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.notEqual(await store.findMessage('recent'), null, 'newer history is kept');
  } finally {
    await srv.stop();
  }
});
