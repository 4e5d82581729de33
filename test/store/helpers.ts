/**
 * The two storage back ends as the shared suite sees them: fresh, isolated databases
 * (a temporary SQLite file; a PostgreSQL schema with a random name), raw SQL access for
 * the migration tests, and clean-up.
 *
 * PostgreSQL is the real server: TERTULIA_TEST_POSTGRES, or postgres://postgres@127.0.0.1:5432/test.
 * When it cannot be reached the PostgreSQL tests fail; they are never skipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { Store, StoredMessage } from '../../src/store/store.js';

export const PG_URL = process.env['TERTULIA_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Raw SQL on a location, `?` placeholders in both dialects. */
export interface Raw {
  run(sql: string, params?: unknown[]): Promise<void>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** One isolated database: a file, or a schema. */
export interface Location {
  /** The `database` setting that opens it through openStore. */
  database: string;
  /** A data-dir to pass along with it. */
  dataDir: string;
  raw(): Promise<Raw>;
}

export interface Backend {
  name: 'sqlite' | 'postgres';
  location(): Promise<Location>;
  /** Opens the store at a location, migrating only up to `migrateTo` when given. */
  open(location: Location, migrateTo?: number): Promise<Store>;
  /** Removes every location this backend made. */
  dispose(): Promise<void>;
}

function toDollar(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function sqliteBackend(): Backend {
  const dirs: string[] = [];
  return {
    name: 'sqlite',
    async location() {
      const dir = mkdtempSync(join(tmpdir(), 'tertulia-store-'));
      dirs.push(dir);
      const file = join(dir, 'test.db');
      return {
        database: `sqlite:${file}`,
        dataDir: dir,
        async raw() {
          const db = new Database(file);
          return {
            async run(sql, params = []) {
              db.prepare(sql).run(...params);
            },
            async all<T>(sql: string, params: unknown[] = []) {
              return db.prepare(sql).all(...params) as T[];
            },
            async close() {
              db.close();
            },
          };
        },
      };
    },
    async open(location, migrateTo) {
      return new SqliteStore(
        location.database.slice('sqlite:'.length),
        migrateTo === undefined ? {} : { migrateTo },
      );
    },
    async dispose() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  const schemas: string[] = [];
  const withSchema = (schema: string): string => {
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    return url.toString();
  };
  return {
    name: 'postgres',
    async location() {
      const schema = `tertulia_test_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return {
        database: withSchema(schema),
        dataDir: tmpdir(),
        async raw() {
          const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
          await client.connect();
          return {
            async run(sql, params = []) {
              await client.query(toDollar(sql), params);
            },
            async all<T>(sql: string, params: unknown[] = []) {
              return (await client.query(toDollar(sql), params)).rows as T[];
            },
            async close() {
              await client.end();
            },
          };
        },
      };
    },
    async open(location, migrateTo) {
      const schema = new URL(location.database).searchParams.get('schema');
      return PostgresStore.open({
        connectionString: PG_URL,
        schema,
        ...(migrateTo === undefined ? {} : { migrateTo }),
      });
    },
    async dispose() {
      const names = schemas.splice(0);
      if (names.length === 0) return;
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

let counter = 0;
const runId = randomBytes(4).toString('hex');

/** A message in `conversation` at `time`, with a unique msgid; fields can be overridden. */
export function message(
  conversation: string,
  time: number,
  over: Partial<StoredMessage> = {},
): StoredMessage {
  counter += 1;
  return {
    msgid: `${runId}-${counter}`,
    time,
    command: 'PRIVMSG',
    conversation,
    target: conversation.startsWith('dm:') ? 'peer' : conversation,
    sender: 'alice!alice@127.0.0.1',
    senderAccount: 'alice',
    text: `message ${counter}`,
    clientTags: null,
    ...over,
  };
}

export function msgids(messages: readonly StoredMessage[]): string[] {
  return messages.map((m) => m.msgid);
}
