/**
 * `tertulia serve --workers N`: N processes on one machine sharing its listeners
 * (node:cluster; Node 20 hands each new connection to the next worker in turn, round
 * robin), each a node of one network on the Redis bus (docs/CLUSTER.md).
 *
 * The primary accepts no clients. It checks the configuration, makes what must exist once
 * before anyone forks (data dir, generated TLS certificate, VAPID keys, the schema), starts
 * the workers, restarts one that crashes, and on SIGINT/SIGTERM asks every worker to shut
 * down cleanly and waits for them.
 */
import cluster, { type Worker } from 'node:cluster';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { defaultNodeName } from '../app.js';
import type { Config } from '../config/config.js';
import { loadTlsMaterial } from '../gateways/tls.js';
import { loadVapidKeys } from '../push/vapid-keys.js';
import { openStore, parseDatabase } from '../store/open.js';

/** The environment variable a worker learns its index from. */
export const WORKER_INDEX_ENV = 'TERTULIA_WORKER_INDEX';

/** IPC messages between the primary and its workers. */
export const READY_MESSAGE = 'tertulia:ready';
export const SHUTDOWN_MESSAGE = 'tertulia:shutdown';

/** A worker that dies sooner than this after starting is restarted only after a pause. */
const CRASH_LOOP_MS = 5000;

/** Why this configuration cannot run workers, or null. */
export function workersProblem(config: Config): string | null {
  if (config.workers <= 1) return null;
  if (config.clusterRedis === null) {
    return `--workers ${config.workers} needs --cluster-redis redis://host:port: the workers form one network through Redis`;
  }
  if (parseDatabase(config.database, config.dataDir).kind === 'sqlite') {
    return (
      `--workers ${config.workers} needs a database every worker reads and writes: use --database postgres://user@host/db. ` +
      'SQLite is refused: each worker runs its own writer thread and full-text indexer on the file, and they are not built to share it.'
    );
  }
  return null;
}

/** A worker's node name: the configured or derived name, then `-w<index>`. */
export function workerNodeName(config: Config, index: number, primaryPid: number): string {
  const base = config.clusterNode ?? defaultNodeName().replace(/-\d+$/, `-${primaryPid}`);
  return `${base.slice(0, 58)}-w${index}`;
}

/** Things made once, before forking, so workers do not race to create them. */
async function prepare(config: Config, log: Logger): Promise<void> {
  mkdirSync(config.dataDir, { recursive: true });
  if (config.tlsPort !== null || config.tlsCert !== null) await loadTlsMaterial(config, log);
  if (config.webpush) loadVapidKeys(config.dataDir);
  // Opening the store runs the migrations; the workers then find the schema current.
  const store = await openStore({ database: config.database, dataDir: config.dataDir });
  await store.close();
}

/** Runs the primary until every worker has exited; returns the exit code. */
export async function runPrimary(config: Config, log: Logger): Promise<number> {
  await prepare(config, log);
  const count = config.workers;
  const byIndex = new Map<number, Worker>();
  const startedAt = new Map<number, number>();
  let stopping = false;
  let ready = 0;
  let finish: ((code: number) => void) | undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const fork = (index: number): void => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    byIndex.set(index, worker);
    startedAt.set(index, Date.now());
    worker.on('message', (msg: unknown) => {
      if (msg !== READY_MESSAGE) return;
      ready++;
      if (ready === count) {
        // Printed at any level but "silent": scripts wait for it (as for the listening lines).
        const announce = config.logLevel === 'silent' ? log : log.child({}, { level: 'info' });
        announce.info(
          { event: 'workers.ready', workers: count },
          `tertulia: ${count} workers ready, sharing the listeners`,
        );
      }
    });
    worker.on('exit', (code, signal) => {
      if (byIndex.get(index) === worker) byIndex.delete(index);
      if (stopping) {
        if (byIndex.size === 0) finish?.(0);
        return;
      }
      const lived = Date.now() - (startedAt.get(index) ?? 0);
      log.error(
        { event: 'workers.crashed', index, code, signal },
        `worker ${index} exited (${signal ?? `code ${code}`}); restarting it`,
      );
      setTimeout(
        () => {
          if (!stopping) fork(index);
        },
        lived < CRASH_LOOP_MS ? 1000 : 0,
      );
    });
  };

  cluster.setupPrimary({ args: process.argv.slice(2) });
  for (let i = 1; i <= count; i++) fork(i);

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ event: 'forced-exit', signal }, `${signal} received again: stopping the workers now`);
      for (const w of byIndex.values()) w.process.kill('SIGKILL');
      return;
    }
    stopping = true;
    log.info({ event: 'shutdown', signal }, `${signal} received: stopping ${byIndex.size} workers`);
    if (byIndex.size === 0) finish?.(0);
    // Asked over IPC, so a worker that also got the terminal's SIGINT does not take it as a second one.
    for (const w of byIndex.values()) if (w.isConnected()) w.send(SHUTDOWN_MESSAGE);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => {
    for (const w of byIndex.values()) w.process.kill('SIGHUP');
  });
  const code = await done;
  process.off('SIGINT', stop);
  process.off('SIGTERM', stop);
  log.info({ event: 'stopped' }, 'stopped');
  return code;
}

export function isWorker(): boolean {
  return cluster.isWorker;
}
