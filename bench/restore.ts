/**
 * The `restore` scenario: how long a restart takes to put offline always-on accounts back in
 * their rooms, and what each one costs in memory (docs/PEOPLE.md, always-on across restarts).
 *
 * For each size it seeds a fresh SQLite data dir (seed-always-on.ts), starts tertulia on it
 * (its own process, beside the one the other scenarios use) and reads: the restore time the
 * server logs (`always_on.restored`, from reading the store to the last person in its rooms),
 * the time from spawn to the IRC listener accepting (node start-up, migrations, restore,
 * listeners), and RSS once it listens, against a server on an empty data dir: the difference
 * per account is what an offline always-on account costs.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { now, sleep } from './clock.js';
import { readRss } from './procfs.js';
import type { ScenarioDef, ScenarioOutcome } from './scenarios.js';
import { seedAlwaysOn } from './seed-always-on.js';
import { startTertulia } from './server.js';

interface Measured {
  restoreMs: number | null;
  listenMs: number;
  rss: number | null;
}

/** Starts tertulia on a data dir seeded with `accounts` offline always-on accounts. */
async function measure(
  accounts: number,
  rooms: number,
  roomsEach: number,
  cpus: string | null,
  log: (m: string) => void,
): Promise<Measured> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tertulia-bench-restore-'));
  try {
    await seedAlwaysOn(dataDir, { accounts, rooms, roomsEach });
    log(`restore: ${accounts} offline always-on accounts seeded; starting tertulia on them`);
    const logFile = join(dataDir, 'server.log');
    const started = now();
    const server = await startTertulia({
      dataDir,
      logFile,
      database: null,
      cpus,
      nodeArgs: [],
      // Info level in JSON, for the restore's own timing line.
      extraFlags: ['--log-level', 'info', '--log-format', 'json'],
      timeoutMs: 300_000,
    });
    const listenMs = now() - started;
    // Let the start-up garbage be collected before RSS is read.
    await sleep(1000);
    const rss = readRss(server.info.pid);
    await server.stop();
    const line = readFileSync(logFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('"event":"always_on.restored"'));
    const restored = line === undefined ? null : (JSON.parse(line) as { people: number; ms: number });
    if (restored !== null && restored.people !== accounts)
      throw new Error(`restored ${restored.people} people of ${accounts}`);
    return { restoreMs: restored?.ms ?? null, listenMs, rss };
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (x: number | null): number | null => (x === null ? null : Math.round(x));

export const restore: ScenarioDef = {
  name: 'restore',
  summary:
    'a restart with offline always-on accounts (SQLite): restore time, start-up time, memory per account',
  params: {
    small: { full: 10_000, quick: 50, help: 'offline always-on accounts, first run' },
    large: { full: 100_000, quick: 200, help: 'offline always-on accounts, second run' },
    rooms: { full: 1000, quick: 5, help: 'rooms the accounts are spread over' },
    rooms_each: { full: 3, quick: 2, help: 'rooms each account is in' },
  },
  async run(ctx, p): Promise<ScenarioOutcome> {
    if (ctx.server.kind !== 'tertulia') throw new Error('restore starts tertulia itself: no --host/--port');
    const cpus = ctx.server.cpus;
    const [rooms, each] = [p.n('rooms'), p.n('rooms_each')];
    const base = await measure(0, rooms, each, cpus, ctx.log);
    const results: ScenarioOutcome['results'] = { baseline_rss_mb: round((base.rss ?? 0) / 2 ** 20) };
    for (const size of ['small', 'large'] as const) {
      const n = p.n(size);
      const m = await measure(n, rooms, each, cpus, ctx.log);
      results[`${size}_accounts`] = n;
      results[`${size}_restore_ms`] = m.restoreMs;
      results[`${size}_listen_ms`] = round(m.listenMs);
      results[`${size}_rss_mb`] = round((m.rss ?? 0) / 2 ** 20);
      results[`${size}_bytes_per_account`] =
        m.rss === null || base.rss === null ? null : round((m.rss - base.rss) / n);
    }
    return { results, charts: [] };
  },
};
