/**
 * Durability of acknowledged writes on SQLite: a child process writes through HistoryWriter
 * and reports each resolved write; the parent SIGKILLs it mid-stream, reopens the file and
 * finds every reported message there exactly once, in order (and nothing out of order
 * beyond them: what was stored is a prefix of what was written).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite.js';

const child = fileURLToPath(new URL('./fixtures/durable-writer.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tertulia-durable-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the writer until `killAfter` acknowledgements, SIGKILLs it; returns what it acknowledged. */
async function writeAndKill(
  file: string,
  killAfter: number,
): Promise<{ acked: Set<number>; signal: string | null }> {
  const proc = spawn(process.execPath, [child, file, '10'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked = new Set<number>();
  const exited = new Promise<string | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
  const lines = createInterface({ input: proc.stdout });
  for await (const line of lines) {
    if (!line.startsWith('ok ')) continue;
    acked.add(Number(line.slice(3)));
    if (acked.size === killAfter) proc.kill('SIGKILL');
  }
  return { acked, signal: await exited };
}

describe('sqlite durability under SIGKILL', () => {
  for (const [round, killAfter] of [
    [1, 300],
    [2, 1777],
    [3, 5000],
  ] as const) {
    it(`round ${round}: killed after ${killAfter} acknowledged writes`, async () => {
      const file = join(dir, `round-${round}.db`);
      const { acked, signal } = await writeAndKill(file, killAfter);
      assert.equal(signal, 'SIGKILL', 'the writer was killed, not finished');
      assert.ok(acked.size >= killAfter);

      const store = new SqliteStore(file);
      try {
        const stored = await store.latest('#durable', 1_000_000);
        const numbers = stored.map((m) => Number(m.msgid.slice('durable-'.length)));
        // Exactly once and in order: stored is 0, 1, 2, ... K-1 (batches commit whole, in order).
        for (const [i, n] of numbers.entries()) assert.equal(n, i, `stored message ${i} is durable-${n}`);
        assert.equal(new Set(numbers).size, numbers.length);
        for (const n of acked) assert.ok(n < numbers.length, `acknowledged durable-${n} is missing`);
        for (const m of stored) assert.equal(m.text, `message ${m.msgid.slice('durable-'.length)}`);
      } finally {
        await store.close();
      }
    });
  }
});
