/**
 * openStore: the `database` setting, where the SQLite file goes and how it is set up,
 * PostgreSQL schemas from the URL, and errors that name the database but never a password.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openStore, parseDatabase, StoreOpenError } from '../../src/store/open.js';
import { PostgresStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { message, PG_URL } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tertulia-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parseDatabase', () => {
  it('null keeps tertulia.db in the data-dir', () => {
    assert.deepEqual(parseDatabase(null, '/var/lib/tertulia'), {
      kind: 'sqlite',
      path: '/var/lib/tertulia/tertulia.db',
    });
  });

  it('sqlite:FILE, sqlite:///abs and sqlite::memory:', () => {
    assert.deepEqual(parseDatabase('sqlite:chat.db', '/d'), { kind: 'sqlite', path: 'chat.db' });
    assert.deepEqual(parseDatabase('sqlite:/srv/chat.db', '/d'), { kind: 'sqlite', path: '/srv/chat.db' });
    assert.deepEqual(parseDatabase('sqlite:///srv/chat.db', '/d'), { kind: 'sqlite', path: '/srv/chat.db' });
    assert.deepEqual(parseDatabase('sqlite::memory:', '/d'), { kind: 'sqlite', path: ':memory:' });
    assert.throws(() => parseDatabase('sqlite:', '/d'), StoreOpenError);
  });

  it('postgres URLs: schema from ?schema= or a search_path option, both taken out of the URL', () => {
    const a = parseDatabase('postgres://u:pw@db.example:5433/chat?schema=tenant_1&sslmode=disable', '/d');
    assert.equal(a.kind, 'postgres');
    if (a.kind !== 'postgres') return;
    assert.equal(a.schema, 'tenant_1');
    assert.equal(a.connectionString, 'postgres://u:pw@db.example:5433/chat?sslmode=disable');
    assert.equal(a.display, 'postgres://u@db.example:5433/chat (schema tenant_1)');
    const b = parseDatabase('postgresql://db.example/chat?options=-c%20search_path%3Dother', '/d');
    assert.equal(b.kind === 'postgres' && b.schema, 'other');
    assert.equal(b.kind === 'postgres' && b.options, '-c search_path=other');
    assert.equal(b.kind === 'postgres' && b.display, 'postgresql://db.example/chat (schema other)');
    const c = parseDatabase('postgres://db.example/chat', '/d');
    assert.equal(c.kind === 'postgres' && c.schema, null);
  });

  it('refuses what it cannot use, without echoing a password', () => {
    assert.throws(() => parseDatabase('mysql://root@localhost/x', '/d'), StoreOpenError);
    assert.throws(
      () => parseDatabase('postgres://u:hunter22@h/db?schema=bad-name', '/d'),
      (err: Error) => {
        assert.ok(err instanceof StoreOpenError);
        assert.match(err.message, /postgres:\/\/u@h\/db/);
        assert.doesNotMatch(err.message, /hunter22/);
        return true;
      },
    );
  });
});

describe('openStore: sqlite', () => {
  it('creates the data-dir and an owner-only tertulia.db in WAL mode with synchronous=FULL', async () => {
    const dataDir = join(dir, 'a', 'b', 'data');
    const store = await openStore({ database: null, dataDir });
    try {
      assert.ok(store instanceof SqliteStore);
      assert.equal(store.kind, 'sqlite');
      const file = join(dataDir, 'tertulia.db');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const settings = await store.settings();
      assert.equal(settings['journal_mode'], 'wal');
      assert.equal(settings['synchronous'], '2', 'FULL');
      assert.equal(settings['busy_timeout'], '5000');
      assert.equal(settings['foreign_keys'], '1');
      const m = message('#r', 1);
      await store.append([m]);
      assert.deepEqual(await store.findMessage(m.msgid), m);
    } finally {
      await store.close();
    }
  });

  it('sqlite:FILE creates missing parent directories', async () => {
    const file = join(dir, 'x', 'y', 'chat.db');
    const store = await openStore({ database: `sqlite:${file}`, dataDir: join(dir, 'unused') });
    await store.close();
    assert.ok(statSync(file).isFile());
  });

  it('names the file when it cannot be opened', async () => {
    await assert.rejects(openStore({ database: `sqlite:${dir}`, dataDir: dir }), (err: Error) => {
      assert.ok(err instanceof StoreOpenError);
      assert.ok(err.message.startsWith(`cannot open database sqlite:${dir}:`), err.message);
      return true;
    });
  });
});

describe('openStore: postgres', () => {
  const schemas: string[] = [];
  const schemaName = (): string => {
    const name = `tertulia_open_${Math.random().toString(36).slice(2, 10)}`;
    schemas.push(name);
    return name;
  };
  after(async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      for (const name of schemas) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
    } finally {
      await client.end();
    }
  });

  it('creates the schema from ?schema= and commits synchronously whatever the URL asks', async () => {
    const schema = schemaName();
    const url = new URL(PG_URL);
    url.searchParams.set('schema', schema);
    url.searchParams.set('options', '-c synchronous_commit=off -c statement_timeout=12345');
    const store = await openStore({ database: url.toString(), dataDir: dir });
    try {
      assert.ok(store instanceof PostgresStore);
      const settings = await store.settings();
      assert.equal(settings['current_schema'], schema);
      assert.equal(settings['synchronous_commit'], 'on');
      await store.append([message('#r', 1)]);
    } finally {
      await store.close();
    }
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1',
        [schema],
      );
      assert.ok(rows[0].n >= 8, `${rows[0].n} tables in ${schema}`);
    } finally {
      await client.end();
    }
  });

  it('takes the schema from a search_path option too', async () => {
    const schema = schemaName();
    const url = new URL(PG_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const store = await openStore({ database: url.toString(), dataDir: dir });
    try {
      assert.equal((await (store as PostgresStore).settings())['current_schema'], schema);
    } finally {
      await store.close();
    }
  });

  it('an unreachable server: the error names the database and hides the password', async () => {
    await assert.rejects(
      openStore({ database: 'postgres://tertulia:s3cret-pw@127.0.0.1:1/chat?schema=x', dataDir: dir }),
      (err: Error) => {
        assert.ok(err instanceof StoreOpenError);
        assert.match(
          err.message,
          /^cannot open database postgres:\/\/tertulia@127\.0\.0\.1:1\/chat \(schema x\): /,
        );
        assert.doesNotMatch(err.message, /s3cret/);
        return true;
      },
    );
  });

  it('a missing database: the error names it', async () => {
    const url = new URL(PG_URL);
    url.pathname = '/tertulia_no_such_db';
    await assert.rejects(
      openStore({ database: url.toString(), dataDir: dir }),
      /tertulia_no_such_db.*does not exist/,
    );
  });
});
