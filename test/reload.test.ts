/** README "Configure": SIGHUP (Tertulia.reload) re-reads the MOTD file. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TestClient } from './helpers/client.js';
import { startServer } from './helpers/server.js';

test('reload re-reads the MOTD file: new connections see the new text', async () => {
  const probe = await startServer();
  const file = join(probe.config.dataDir, 'motd.txt');
  await probe.stop();
  writeFileSync(file, 'first edition\n');
  const srv = await startServer({ dataDir: probe.config.dataDir, motdFile: file });
  try {
    const before = await TestClient.register(srv.port, 'early');
    assert.ok(before.received.some((m) => m.command === '372' && m.params[1] === '- first edition'));
    before.close();
    writeFileSync(file, 'second edition\n');
    await srv.tertulia.reload();
    const after = await TestClient.register(srv.port, 'late');
    assert.ok(after.received.some((m) => m.command === '372' && m.params[1] === '- second edition'));
    after.close();
  } finally {
    await srv.stop();
  }
});
