/**
 * Opens the configured store:
 * - `database: null` → SQLite at `<dataDir>/tertulia.db` (dataDir is created if missing);
 * - `sqlite:FILE` → SQLite at FILE (relative to the working directory; `sqlite:///abs/path`
 *   is accepted too, and `sqlite::memory:` keeps everything in memory);
 * - `postgres://…` or `postgresql://…` → PostgreSQL. A `schema=NAME` query parameter (or a
 *   `search_path` in the `options` parameter) keeps the tables in that schema, created if
 *   missing; without it the server's default search_path is used.
 *
 * Migrations run before the store is returned. An error names the database it was about,
 * with any password in the URL left out.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PostgresStore, SCHEMA_NAME } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export interface OpenStoreConfig {
  database: string | null;
  dataDir: string;
  /** Errors from idle PostgreSQL connections (they are replaced); default: ignored. */
  onError?: (err: Error) => void;
}

/** Raised when the database cannot be opened or migrated; its message names the database. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

export type DatabaseSpec =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'postgres';
      /** The URL without our `schema` and `options` parameters. */
      connectionString: string;
      schema: string | null;
      /** The URL's `options` parameter (server settings such as `-c search_path=x`), or null. */
      options: string | null;
      display: string;
    };

/** Reads the `database` setting. Throws StoreOpenError for a value it cannot use. */
export function parseDatabase(database: string | null, dataDir: string): DatabaseSpec {
  if (database === null) return { kind: 'sqlite', path: join(dataDir, 'tertulia.db') };
  if (database.startsWith('sqlite:')) {
    let path = database.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path === '') throw new StoreOpenError('database "sqlite:" names no file');
    return { kind: 'sqlite', path };
  }
  if (/^postgres(ql)?:\/\//i.test(database)) {
    let url: URL;
    try {
      url = new URL(database);
    } catch {
      throw new StoreOpenError('database URL is not a valid postgres:// URL');
    }
    let schema = url.searchParams.get('schema');
    const options = url.searchParams.get('options');
    url.searchParams.delete('schema');
    url.searchParams.delete('options');
    if (schema === null && options !== null) {
      schema = /search_path\s*=\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(options)?.[1] ?? null;
    }
    const display = describePostgres(url, schema);
    if (schema !== null && !SCHEMA_NAME.test(schema)) {
      throw new StoreOpenError(`cannot open database ${display}: schema name must be a plain identifier`);
    }
    return { kind: 'postgres', connectionString: url.toString(), schema, options, display };
  }
  throw new StoreOpenError('database must be "sqlite:FILE" or a postgres:// URL');
}

/** postgres://user@host:port/db (schema x) — never the password, nor other query parameters. */
function describePostgres(url: URL, schema: string | null): string {
  const user = url.username === '' ? '' : `${decodeURIComponent(url.username)}@`;
  const path = url.pathname === '/' ? '' : url.pathname;
  return `${url.protocol}//${user}${url.host}${path}${schema === null ? '' : ` (schema ${schema})`}`;
}

export async function openStore(config: OpenStoreConfig): Promise<Store> {
  const spec = parseDatabase(config.database, config.dataDir);
  if (spec.kind === 'sqlite') {
    try {
      if (config.database === null) mkdirSync(config.dataDir, { recursive: true });
      return new SqliteStore(spec.path);
    } catch (err) {
      throw new StoreOpenError(`cannot open database sqlite:${spec.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  try {
    return await PostgresStore.open({
      connectionString: spec.connectionString,
      schema: spec.schema,
      extraOptions: spec.options,
      ...(config.onError === undefined ? {} : { onError: config.onError }),
    });
  } catch (err) {
    const message = redact((err as Error).message, spec.connectionString);
    throw new StoreOpenError(`cannot open database ${spec.display}: ${message}`, { cause: err });
  }
}

/** Drops the password of `connectionString` from a driver message, should one ever quote it. */
function redact(message: string, connectionString: string): string {
  const secrets: string[] = [];
  try {
    const url = new URL(connectionString);
    secrets.push(decodeURIComponent(url.password), url.searchParams.get('password') ?? '');
  } catch {}
  let out = message;
  for (const secret of secrets) if (secret.length >= 3) out = out.split(secret).join('***');
  return out;
}
