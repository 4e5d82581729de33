/**
 * `npm run bench` — tertulia's own load generator.
 *
 *   npm run bench -- [--host H --port P [--pid PID]] [--scenario NAME[:k=v,...]]... [--quick]
 *                    [--json FILE] [--html FILE] [--pin] [--workers N] [--database URL] ...
 *
 * Without --host/--port it starts tertulia itself (bin/tertulia.js serve on 127.0.0.1, an
 * ephemeral port, a fresh data dir, flood limits raised, otherwise the default configuration,
 * history on) and reads its PID for RSS and CPU. Load comes from worker threads, each holding
 * a share of the connections; this thread only coordinates and measures.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { WorkerPool } from './pool.js';
import { html, jsonLine, type ScenarioRecord, table } from './report.js';
import type { Context } from './run.js';
import { type Params, Resolved, resolveScenario, SCENARIOS } from './scenarios.js';
import { externalServer, type RunningServer, startTertulia } from './server.js';

const HELP = `Usage: npm run bench -- [options]

Runs load scenarios against tertulia (started by the bench unless --host/--port are given)
and prints a table and one JSON line per scenario (lines starting with {"scenario").

Options:
  --scenario NAME[:k=v,...]  a scenario to run, repeatable (default: all, in order):
                             ${SCENARIOS.map((s) => s.name).join(', ')}
                             e.g. --scenario fanout:members=100,senders=10
  --quick                    every scenario tiny (a few hundred ms each): a smoke test
  --duration MS, --warmup MS measurement window and warm-up of every timed scenario
  --host H --port P          benchmark an external server instead of starting tertulia
  --pid PID                  the external server's PID (for RSS and CPU readings)
  --database URL             tertulia's store (default: SQLite in the bench data dir); a
                             postgres:// URL without ?schema= gets a fresh schema, dropped after
  --pin                      pin the server to CPU 0 and the generator to the other CPUs
  --workers N                load-generating threads (default: CPUs - 1, at least 1, at most 4)
  --json FILE                append the JSON lines to FILE
  --html FILE                write the HTML report there (default: report.html in the run dir)
  --out-dir DIR              run directory (default: a new tertulia-bench-* in the temp dir)
  --keep                     keep the server's data dir after the run
  --node-arg ARG             extra node option for the started server (e.g. --cpu-prof), repeatable
  --server-workers N         run tertulia as serve --workers N (needs --cluster-redis and a
                             PostgreSQL --database); CPU and RSS are then the whole process tree
  --cluster-redis URL        run tertulia as a cluster node on this Redis (a fresh bus prefix);
                             with --server-workers 1 it is one node of a one-node cluster
  --server-flag ARG          extra tertulia serve argument, repeatable (e.g. --server-flag=--history-replay=0)
  --list                     list scenarios and their parameters
  --help
`;

function listScenarios(): string {
  return SCENARIOS.map((s) => {
    const params = Object.entries(s.params)
      .map(
        ([k, d]) =>
          `    ${k.padEnd(16)} ${String(Array.isArray(d.full) ? d.full.join('/') : d.full).padStart(14)}  (quick ${
            Array.isArray(d.quick) ? d.quick.join('/') : d.quick
          })  ${d.help}`,
      )
      .join('\n');
    return `${s.name}: ${s.summary}\n${params}`;
  }).join('\n\n');
}

function int(name: string, text: string | undefined): number | null {
  if (text === undefined) return null;
  const v = Number(text);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name}: expected a whole number, got "${text}"`);
  return v;
}

/** Pins this process (every thread it has so far; later ones inherit) to `cpus`. */
function pinSelf(cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      pid: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      json: { type: 'string' },
      html: { type: 'string' },
      pin: { type: 'boolean', default: false },
      workers: { type: 'string' },
      database: { type: 'string' },
      'out-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
      'node-arg': { type: 'string', multiple: true },
      'server-flag': { type: 'string', multiple: true },
      'server-workers': { type: 'string' },
      'cluster-redis': { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.list) {
    process.stdout.write(`${listScenarios()}\n`);
    return 0;
  }
  const external = values.host !== undefined || values.port !== undefined;
  if (external && (values.host === undefined || values.port === undefined)) {
    throw new Error('--host and --port go together');
  }
  const quick = values.quick;
  const overrides = { duration: int('duration', values.duration), warmup: int('warmup', values.warmup) };
  const specs = values.scenario ?? SCENARIOS.map((s) => s.name);
  const planned = specs.map((spec) => resolveScenario(spec, quick, overrides));

  const cpus = availableParallelism();
  let serverCpus: string | null = null;
  let genCpus: string | null = null;
  if (values.pin) {
    if (cpus < 2) process.stderr.write('bench: --pin needs at least 2 CPUs; not pinning\n');
    else {
      serverCpus = '0';
      genCpus = cpus === 2 ? '1' : `1-${cpus - 1}`;
      pinSelf(genCpus);
    }
  }
  const workers = int('workers', values.workers) ?? Math.max(1, Math.min(4, cpus - 1));
  const genCapacity = genCpus === null ? cpus : cpus - 1;
  if (workers < 1) throw new Error('--workers must be at least 1');

  const outDir =
    values['out-dir'] === undefined
      ? mkdtempSync(join(tmpdir(), 'tertulia-bench-'))
      : resolve(values['out-dir']);
  mkdirSync(outDir, { recursive: true });
  const dataDir = join(outDir, 'data');
  const htmlPath = resolve(values.html ?? join(outDir, 'report.html'));
  const log = (m: string): void => {
    process.stderr.write(`bench: ${m}\n`);
  };

  let server: RunningServer;
  if (external) {
    const port = int('port', values.port);
    if (port === null || port < 1 || port > 65535) throw new Error('--port: expected 1-65535');
    server = externalServer(values.host!, port, int('pid', values.pid));
  } else {
    log(`starting tertulia (data in ${dataDir})`);
    server = await startTertulia({
      dataDir,
      logFile: join(outDir, 'server.log'),
      database: values.database ?? null,
      cpus: serverCpus,
      nodeArgs: values['node-arg'] ?? [],
      extraFlags: [
        ...clusterFlags(values['server-workers'], values['cluster-redis']),
        ...(values['server-flag'] ?? []),
      ],
      serverWorkers: int('server-workers', values['server-workers']) ?? 1,
      timeoutMs: 30_000,
    });
    log(`tertulia pid ${server.info.pid} listening on ${server.info.host}:${server.info.port}`);
  }

  // Interrupted: stop the server we started and remove its data before leaving.
  const interrupted = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping`);
    void server.stop().finally(() => {
      if (!external && !values.keep) rmSync(dataDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  const pool = new WorkerPool(workers);
  const ctx: Context = {
    pool,
    workers,
    server: server.info,
    quick,
    token: `b${Math.floor(Math.random() * 36 ** 2)
      .toString(36)
      .padStart(2, '0')}`,
    duration: overrides.duration,
    warmup: overrides.warmup,
    log,
    workerOf: new Map(),
    nextId: 0,
    nextPhase: 1,
  };
  const started = new Date().toISOString();
  const records: ScenarioRecord[] = [];
  try {
    for (const { def, params } of planned) {
      log(`scenario ${def.name} (${describe(params)})`);
      const record: ScenarioRecord = {
        scenario: def.name,
        server: server.info,
        generator: {
          workers,
          cpus: genCpus,
          capacity: Math.min(workers, genCapacity),
          node: process.version,
        },
        date: new Date().toISOString(),
        ok: true,
        params,
        results: {},
        charts: [],
      };
      try {
        const outcome = await def.run(ctx, new Resolved(params));
        record.results = outcome.results;
        record.charts = outcome.charts;
      } catch (err) {
        record.ok = false;
        record.error = err instanceof Error ? err.message : String(err);
        log(`scenario ${def.name} failed: ${record.error}`);
        await pool.all({ op: 'close', ids: 'all', how: 'destroy', timeoutMs: 1000 }).catch(() => {});
        ctx.workerOf.clear();
      }
      records.push(record);
      const line = jsonLine(record);
      process.stdout.write(`${line}\n`);
      if (values.json !== undefined) appendFileSync(values.json, `${line}\n`);
    }
  } finally {
    await pool.close();
    await server.stop();
    if (!external && !values.keep) rmSync(dataDir, { recursive: true, force: true });
  }

  process.stdout.write(`\n${table(records)}\n`);
  writeFileSync(htmlPath, html(records, { started, command: `npm run bench -- ${argv.join(' ')}`.trim() }));
  process.stdout.write(`\nHTML report: ${htmlPath}\n`);
  return records.every((r) => r.ok) ? 0 : 1;
}

function describe(p: Params): string {
  return Object.entries(p)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : v}`)
    .join(' ');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);

/** serve flags for --server-workers / --cluster-redis (a fresh bus prefix per run). */
function clusterFlags(workers: string | undefined, redis: string | undefined): string[] {
  const flags: string[] = [];
  if (redis !== undefined) {
    flags.push(
      '--cluster-redis',
      redis,
      '--cluster-prefix',
      `bench-${process.pid}-${Date.now().toString(36)}`,
    );
  }
  if (workers !== undefined) flags.push('--workers', workers);
  return flags;
}
