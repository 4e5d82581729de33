/**
 * The server under test: tertulia started by the bench (`node bin/tertulia.js serve` on an
 * ephemeral port, flood and per-IP limits raised, history on as by default), or an external
 * server given by host and port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export interface ServerInfo {
  /** "tertulia" (started by the bench) or "external". */
  kind: 'tertulia' | 'external';
  host: string;
  port: number;
  /** For RSS and CPU readings; null when unknown. */
  pid: number | null;
  version: string | null;
  /** sqlite, postgres, or null (external: unknown). */
  database: 'sqlite' | 'postgres' | null;
  /** CPUs the server is pinned to, or null. */
  cpus: string | null;
  /** The command line that started it (self-started only). */
  command: string | null;
}

export interface RunningServer {
  info: ServerInfo;
  stop(): Promise<void>;
}

/** Limits raised so one machine's load generator is not treated as a flood. */
export const RAISED_LIMITS = [
  '--flood-burst',
  '1000000',
  '--flood-rate',
  '1000000',
  '--flood-queue',
  '1000000',
  '--max-connections-per-ip',
  '1000000',
  '--connect-rate-per-ip',
  '1000000',
  '--sendq-bytes',
  '67108864',
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function projectVersion(): string | null {
  try {
    return (
      (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? null
    );
  } catch {
    return null;
  }
}

export interface StartOptions {
  dataDir: string;
  logFile: string;
  database: string | null;
  /** Pin to these CPUs with taskset (e.g. "0"), or null. */
  cpus: string | null;
  nodeArgs: string[];
  extraFlags: string[];
  /** `serve --workers N`: wait until every worker is ready, not just the first listener. */
  serverWorkers?: number;
  timeoutMs: number;
}

export async function startTertulia(opts: StartOptions): Promise<RunningServer> {
  let database = opts.database;
  let createdSchema: string | null = null;
  if (database !== null && /^postgres(ql)?:\/\//i.test(database)) {
    const url = new URL(database);
    if (!url.searchParams.has('schema')) {
      createdSchema = `bench_${randomBytes(5).toString('hex')}`;
      url.searchParams.set('schema', createdSchema);
      database = url.toString();
    }
  }
  const bin = join(ROOT, 'bin', 'tertulia.js');
  const args = [
    ...opts.nodeArgs,
    bin,
    'serve',
    '--host',
    '127.0.0.1',
    '--irc-port',
    '0',
    // The HTTP listener stays on (as by default), on a free port rather than 8080.
    '--http-port',
    '0',
    // TLS likewise stays on, on a free port rather than 6697.
    '--tls-port',
    '0',
    // And plain text (nc), on a free port rather than 8888.
    '--text-port',
    '0',
    '--data-dir',
    opts.dataDir,
    '--log-level',
    'warn',
    ...RAISED_LIMITS,
    ...(database === null ? [] : ['--database', database]),
    ...opts.extraFlags,
  ];
  const [file, argv] =
    opts.cpus === null ? [process.execPath, args] : ['taskset', ['-c', opts.cpus, process.execPath, ...args]];
  // The default configuration: no TERTULIA_* variable from our environment leaks in.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TERTULIA_')) env[k] = v;
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT, env });
  const log = createWriteStream(opts.logFile);
  child.stderr?.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const port = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    let buffered = '';
    let found = false;
    const timer = setTimeout(
      () => reject(new Error(`tertulia did not start in ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (found) return;
      buffered += chunk.toString('utf8');
      const m = /listening irc (\S+):(\d+)/.exec(buffered);
      const allReady = (opts.serverWorkers ?? 1) <= 1 || /workers ready/.test(buffered);
      if (m !== null && allReady) {
        clearTimeout(timer);
        found = true;
        buffered = '';
        resolve({ host: m[1]!, port: Number(m[2]) });
      }
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tertulia exited with code ${code} before listening (see ${opts.logFile})`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child, exited);
    await dropSchema(database, createdSchema);
    throw err;
  });

  const display = (database ?? `sqlite:${join(opts.dataDir, 'tertulia.db')}`).replace(
    /\/\/([^:@/]+):[^@]*@/,
    '//$1:***@',
  );
  return {
    info: {
      kind: 'tertulia',
      host: port.host,
      port: port.port,
      pid: child.pid ?? null,
      version: projectVersion(),
      database: database?.startsWith('postgres') ? 'postgres' : 'sqlite',
      cpus: opts.cpus,
      command: `${file === 'taskset' ? `taskset -c ${opts.cpus} ` : ''}node ${args.join(' ').replace(database ?? '\0', display)}`,
    },
    async stop() {
      await stopChild(child, exited);
      log.end();
      await dropSchema(database, createdSchema);
    },
  };
}

/** SIGTERM (a clean shutdown, which also lets --cpu-prof write its profile), then SIGKILL. */
async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function dropSchema(database: string | null, schema: string | null): Promise<void> {
  if (database === null || schema === null) return;
  const url = new URL(database);
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } catch (err) {
    process.stderr.write(`bench: could not drop schema ${schema}: ${(err as Error).message}\n`);
  } finally {
    await client.end().catch(() => {});
  }
}

export function externalServer(host: string, port: number, pid: number | null): RunningServer {
  return {
    info: {
      kind: 'external',
      host,
      port,
      pid,
      version: null,
      database: null,
      cpus: null,
      command: null,
    },
    async stop() {},
  };
}
