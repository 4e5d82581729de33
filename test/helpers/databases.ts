/**
 * The storage back ends every storage-dependent suite runs against: SQLite (the default,
 * a file in a temporary data dir) and the real PostgreSQL on 127.0.0.1:5432, each run in
 * a fresh schema that is dropped afterwards. PostgreSQL is never skipped: if it is not
 * reachable the suite fails, as it must in CI.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** A fresh database URL for one server (null: SQLite in the server's data dir). */
  fresh(): Promise<string | null>;
  /** Drops everything `fresh` created. */
  cleanup(): Promise<void>;
}

export const POSTGRES_URL =
  process.env['TERTULIA_TEST_POSTGRES'] ?? 'postgres://postgres@127.0.0.1:5432/test';

function postgresBackend(): Backend {
  const schemas: string[] = [];
  return {
    name: 'postgres',
    async fresh() {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      return `${POSTGRES_URL}?schema=${schema}`;
    },
    async cleanup() {
      if (schemas.length === 0) return;
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

function sqliteBackend(): Backend {
  return { name: 'sqlite', fresh: async () => null, cleanup: async () => {} };
}

export function backends(): Backend[] {
  return [sqliteBackend(), postgresBackend()];
}
