/**
 * Measures HistoryWriter throughput: W concurrent writers (each awaiting its previous write,
 * like a client waiting for its echo) for a fixed number of messages, on SQLite (a file in
 * the temp dir) and PostgreSQL (a throw-away schema). Not a test; run by hand after a build:
 *
 *   node dist/test/store/measure-throughput.js [messages=20000] [writers=10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { HistoryWriter } from '../../src/store/group-commit.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store } from '../../src/store/store.js';
import { message, PG_URL } from './helpers.js';

const total = Number(process.argv[2] ?? 20_000);
const writers = Number(process.argv[3] ?? 10);

async function measure(name: string, store: Store, maxBatch?: number): Promise<void> {
  const writer = new HistoryWriter(store, maxBatch === undefined ? {} : { maxBatch });
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (next < total) {
        next += 1;
        const t0 = performance.now();
        await writer.write(message(`#bench${w % 3}`, Date.now(), { text: 'x'.repeat(80) }));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number): string => (latencies[Math.floor((latencies.length - 1) * p)] ?? 0).toFixed(2);
  console.log(
    `${name.padEnd(28)} ${Math.round(total / seconds)
      .toString()
      .padStart(7)} msg/s  ${writer.batches} transactions (${(total / writer.batches).toFixed(1)} msg each)` +
      `  latency p50 ${pct(0.5)} ms p99 ${pct(0.99)} ms`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'tertulia-bench-'));
const schema = `tertulia_bench_${process.pid}`;
try {
  console.log(`${total} messages, ${writers} concurrent writers`);
  for (const maxBatch of [undefined, 1]) {
    const label = maxBatch === undefined ? 'group commit' : 'one per transaction';
    const sqlite = new SqliteStore(join(dir, `bench-${maxBatch ?? 'g'}.db`));
    await measure(`sqlite, ${label}`, sqlite, maxBatch);
    await sqlite.close();
    const postgres = await PostgresStore.open({
      connectionString: PG_URL,
      schema: `${schema}_${maxBatch ?? 'g'}`,
    });
    await measure(`postgres, ${label}`, postgres, maxBatch);
    await postgres.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const s of [`${schema}_g`, `${schema}_1`]) await client.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await client.end();
}
