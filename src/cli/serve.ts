/** `tertulia serve`: load the configuration, start the server, stop cleanly on a signal. */
import { mkdirSync } from 'node:fs';
import { startTertulia, type Tertulia } from '../app.js';
import type { Config } from '../config/config.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { formatHostPort, startBanner } from './start-banner.js';
import {
  isWorker,
  READY_MESSAGE,
  runPrimary,
  SHUTDOWN_MESSAGE,
  WORKER_INDEX_ENV,
  workerNodeName,
  workersProblem,
} from './workers.js';

/** After a clean shutdown, how long a leftover handle may keep the process alive. */
const EXIT_GRACE_MS = 5000;

function printError(message: string): void {
  for (const line of message.split('\n')) process.stderr.write(`tertulia: ${line}\n`);
}

/** Words a failure to start (usually from listen()) for a person. */
function describeStartError(err: unknown, config: Config): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  const where =
    e.syscall === 'listen' || e.syscall === 'bind'
      ? formatHostPort(e.address ?? config.host, e.port ?? config.ircPort ?? 0)
      : undefined;
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where ?? 'the configured address'}: the address is already in use (another server running? choose another --irc-port)`;
    case 'EACCES':
      return `cannot listen on ${where ?? 'the configured address'}: permission denied (ports below 1024 need privileges)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where ?? 'the configured address'}: ${config.host} is not an address of this machine (check --host)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve host "${config.host}" (check --host)`;
    default:
      return `failed to start: ${e.message ?? String(err)}`;
  }
}

export async function runServe(argv: readonly string[], version: string): Promise<number> {
  let config: Config;
  try {
    config = loadConfig({ argv, env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      printError(err.message);
      return 2;
    }
    throw err;
  }

  const problem = workersProblem(config);
  if (problem !== null) {
    printError(problem);
    return 2;
  }
  if (config.workers > 1 && isWorker()) {
    // A worker of `--workers N`: one node of the network, named after its index.
    const index = Number(process.env[WORKER_INDEX_ENV] ?? '0');
    config = { ...config, clusterNode: workerNodeName(config, index, process.ppid) };
  }

  const log = createLogger(config);

  if (config.workers > 1 && !isWorker()) {
    try {
      return await runPrimary(config, log);
    } catch (err) {
      printError(describeStartError(err, config));
      return 1;
    }
  }

  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (err) {
    printError(`cannot create data-dir "${config.dataDir}": ${(err as Error).message}`);
    return 1;
  }

  // Signal handlers go in before anything starts: a signal with no handler kills the process
  // outright, and scripts send one as soon as they read the listening line.
  let t: Tertulia | undefined;
  let stopSignal: NodeJS.Signals | undefined;
  let stopping = false;
  let finish: ((code: number) => void) | undefined;
  const stopped = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const shutdown = (server: Tertulia, signal: NodeJS.Signals) => {
    stopping = true;
    log.info({ event: 'shutdown', signal }, `${signal} received: shutting down`);
    server.shutdown('Server shutting down').then(
      () => finish?.(0),
      (err: unknown) => {
        log.error({ event: 'shutdown-failed', err }, 'shutdown failed');
        finish?.(1);
      },
    );
  };
  // A worker stopping at its primary's request may still get the terminal's own Ctrl+C.
  let askedByPrimary = false;
  const onStop = (signal: NodeJS.Signals) => {
    if (askedByPrimary) {
      askedByPrimary = false;
      return;
    }
    if (stopping || stopSignal !== undefined) {
      log.warn({ event: 'forced-exit', signal }, `${signal} received again: exiting now`);
      process.exit(1);
    }
    if (t !== undefined) shutdown(t, signal);
    else stopSignal = signal; // still starting: stop as soon as it is up
  };
  const onHangup = () => {
    if (t === undefined || stopping) return;
    log.info({ event: 'reload', signal: 'SIGHUP' }, 'SIGHUP received: reloading');
    t.reload().catch((err: unknown) => log.error({ event: 'reload-failed', err }, 'reload failed'));
  };
  // A worker is asked to stop by its primary (which got the signal), once.
  const onPrimaryMessage = (msg: unknown) => {
    if (msg !== SHUTDOWN_MESSAGE || stopping || stopSignal !== undefined) return;
    askedByPrimary = true;
    if (t !== undefined) shutdown(t, 'SIGTERM');
    else stopSignal = 'SIGTERM';
  };
  const removeHandlers = () => {
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    process.off('SIGHUP', onHangup);
    process.off('message', onPrimaryMessage);
  };
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  process.on('SIGHUP', onHangup);
  process.on('message', onPrimaryMessage);

  try {
    t = await startTertulia(config, log);
  } catch (err) {
    removeHandlers();
    printError(describeStartError(err, config));
    log.debug({ event: 'start-failed', err }, 'start-up failed');
    return 1;
  }

  // Scripts wait for these lines, so they print at any level but "silent".
  const announce = config.logLevel === 'silent' ? log : log.child({}, { level: 'info' });
  for (const l of t.listeners) {
    announce.info(
      { event: 'listening', transport: l.kind, host: l.host, port: l.port },
      `listening ${l.kind} ${formatHostPort(l.host, l.port)}`,
    );
  }
  if (t.listeners.length === 0)
    log.warn({ event: 'no-listeners' }, 'no listener is enabled; nobody can connect');
  // For the person who started it: where to go, in words (not parsed by anything).
  for (const line of startBanner(t.listeners, config.publicUrl)) announce.info({ event: 'start-hint' }, line);
  log.info(
    { event: 'ready', version, serverName: config.serverName, network: config.networkName },
    `tertulia ${version} ready: ${config.serverName} (network ${config.networkName})`,
  );
  if (stopSignal !== undefined) shutdown(t, stopSignal);
  if (isWorker()) process.send?.(READY_MESSAGE);

  const code = await stopped;
  removeHandlers();
  // A worker's IPC channel would keep it alive.
  if (isWorker()) process.disconnect?.();
  log.info({ event: 'stopped' }, 'stopped');
  // The process should now exit by itself; if some handle lingers, do not hang forever.
  setTimeout(() => {
    log.warn({ event: 'forced-exit' }, `still running ${EXIT_GRACE_MS} ms after shutdown: exiting`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
  return code;
}
