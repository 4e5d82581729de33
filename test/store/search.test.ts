/**
 * Full-text search and Web Push subscriptions in the storage layer, on SQLite (FTS5) and
 * the real PostgreSQL (GIN over tsvector): the same assertions on both back ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ParsedQuery, parseSearchQuery } from '../../src/protocol/search-query.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { SearchHit, SearchRequest, Store, StoredMessage } from '../../src/store/store.js';
import { type Backend, message, postgresBackend, type Raw, sqliteBackend } from './helpers.js';

const T = 1_700_000_000_000;

function q(text: string): ParsedQuery {
  const parsed = parseSearchQuery(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed;
}

function request(text: string, over: Partial<SearchRequest> = {}): SearchRequest {
  return {
    query: q(text),
    conversations: ['#room', '#other'],
    identity: null,
    fromNick: null,
    after: null,
    before: null,
    order: 'newest',
    limit: 50,
    from: null,
    ...over,
  };
}

const texts = (hits: SearchHit[]): string[] => hits.map((h) => h.message.text ?? '');

function searchSuite(backend: Backend): void {
  let store: Store;
  const msgs: StoredMessage[] = [];
  const add = (conversation: string, dt: number, text: string | null, over: Partial<StoredMessage> = {}) => {
    const m = message(conversation, T + dt, { text, ...over });
    msgs.push(m);
    return m;
  };

  before(async () => {
    store = await backend.open(await backend.location());
    add('#room', 1, 'Hola a todos, ¿quién viene mañana al café?');
    add('#room', 2, 'Yo voy al CAFE de siempre', { sender: 'Bob!b@h' });
    add('#room', 3, 'the deploy broke again');
    add('#room', 4, 'deploy fixed; broke nothing this time');
    add('#other', 5, 'café in another room');
    add('#secret', 6, 'café somewhere private');
    add('dm:a:alice a:bob', 7, 'café just for alice and bob');
    add('#room', 8, null, { command: 'TAGMSG', clientTags: { '+react': '☕' } });
    add('#room', 9, 'mail alice@example.com or see https://example.org/cafe-menu');
    add('#room', 10, 'caffeine and cafeteria');
    await store.append(msgs.slice(0, 5));
    await store.append(msgs.slice(5));
  });
  after(async () => {
    await store.close();
    await backend.dispose();
  });

  it('matches words regardless of case and accents, only in the conversations asked for', async () => {
    const hits = await store.search(request('cafe'));
    assert.deepEqual(texts(hits), [
      'mail alice@example.com or see https://example.org/cafe-menu',
      'café in another room',
      'Yo voy al CAFE de siempre',
      'Hola a todos, ¿quién viene mañana al café?',
    ]);
    assert.deepEqual(texts(await store.search(request('MANANA'))), [
      'Hola a todos, ¿quién viene mañana al café?',
    ]);
  });

  it('private conversations are searched for their participants only (identity)', async () => {
    assert.deepEqual(texts(await store.search(request('just', { identity: 'a:bob' }))), [
      'café just for alice and bob',
    ]);
    assert.deepEqual(await store.search(request('just', { identity: 'a:carol' })), []);
    assert.deepEqual(await store.search(request('private')), []);
  });

  it('every word must appear; "phrases" in order; -word excludes; word* is a prefix', async () => {
    assert.deepEqual(texts(await store.search(request('deploy broke'))), [
      'deploy fixed; broke nothing this time',
      'the deploy broke again',
    ]);
    assert.deepEqual(texts(await store.search(request('"deploy broke"'))), ['the deploy broke again']);
    assert.deepEqual(texts(await store.search(request('deploy -fixed'))), ['the deploy broke again']);
    assert.deepEqual(texts(await store.search(request('caf*', { conversations: ['#room'] }))), [
      'caffeine and cafeteria',
      'mail alice@example.com or see https://example.org/cafe-menu',
      'Yo voy al CAFE de siempre',
      'Hola a todos, ¿quién viene mañana al café?',
    ]);
  });

  it('addresses and links are split into words the same way on both back ends', async () => {
    assert.deepEqual(texts(await store.search(request('example'))), [
      'mail alice@example.com or see https://example.org/cafe-menu',
    ]);
    assert.deepEqual(texts(await store.search(request('menu'))), [
      'mail alice@example.com or see https://example.org/cafe-menu',
    ]);
  });

  it('filters by sender nick and by time (both bounds inclusive)', async () => {
    assert.deepEqual(texts(await store.search(request('cafe', { fromNick: 'bob' }))), [
      'Yo voy al CAFE de siempre',
    ]);
    assert.deepEqual(texts(await store.search(request('cafe', { after: T + 2, before: T + 5 }))), [
      'café in another room',
      'Yo voy al CAFE de siempre',
    ]);
  });

  it('pages with a keyset position in every order, never repeating or skipping a hit', async () => {
    for (const order of ['newest', 'oldest', 'relevance'] as const) {
      const all = await store.search(request('cafe', { order, limit: 100 }));
      assert.equal(all.length, 4);
      const paged: string[] = [];
      let from: SearchHit['position'] | null = null;
      for (;;) {
        const page: SearchHit[] = await store.search(request('cafe', { order, limit: 3, from }));
        paged.push(...page.map((h) => h.message.msgid));
        if (page.length < 3) break;
        from = page[page.length - 1]!.position;
      }
      assert.deepEqual(
        paged,
        all.map((h) => h.message.msgid),
        order,
      );
    }
    const oldest = await store.search(request('cafe', { order: 'oldest', limit: 2 }));
    assert.deepEqual(texts(oldest), [
      'Hola a todos, ¿quién viene mañana al café?',
      'Yo voy al CAFE de siempre',
    ]);
  });

  it('relevance puts the better match first', async () => {
    const hits = await store.search(request('deploy broke', { order: 'relevance' }));
    assert.equal(hits.length, 2);
    assert.ok(hits[0]!.score >= hits[1]!.score);
    const single = await store.search(request('cafe', { order: 'relevance', limit: 100 }));
    for (let i = 1; i < single.length; i++) assert.ok(single[i - 1]!.score >= single[i]!.score);
  });

  it('pruned messages disappear from search; a limit of 0 returns nothing', async () => {
    const location = await backend.location();
    const s = await backend.open(location);
    try {
      await s.append([message('#p', T, { text: 'old news' }), message('#p', T + 100, { text: 'new news' })]);
      assert.equal((await s.search(request('news', { conversations: ['#p'] }))).length, 2);
      assert.equal(await s.prune(T + 50), 1);
      assert.deepEqual(texts(await s.search(request('news', { conversations: ['#p'] }))), ['new news']);
      assert.deepEqual(await s.search(request('news', { conversations: ['#p'], limit: 0 })), []);
    } finally {
      await s.close();
    }
  });

  it('the index follows text rewritten or blanked in place (edits, redactions)', async () => {
    const location = await backend.location();
    const s = await backend.open(location);
    try {
      const a = message('#e', T, { text: 'typo here' });
      const b = message('#e', T + 1, { text: 'to be redacted' });
      await s.append([a, b]);
      await s.close();
      const raw = await location.raw();
      try {
        await raw.run('UPDATE messages SET text = ? WHERE msgid = ?', ['fixed here', a.msgid]);
        await raw.run('UPDATE messages SET text = NULL WHERE msgid = ?', [b.msgid]);
      } finally {
        await raw.close();
      }
      const again = await backend.open(location);
      try {
        const only = { conversations: ['#e'] };
        assert.deepEqual(await again.search(request('typo', only)), []);
        assert.deepEqual(texts(await again.search(request('fixed', only))), ['fixed here']);
        assert.deepEqual(await again.search(request('redacted', only)), []);
      } finally {
        await again.close();
      }
    } finally {
      await s.close();
    }
  });

  it('web push subscriptions: replace by endpoint, remove only by owner, list accounts', async () => {
    const sub = {
      endpoint: 'https://push.example/abc',
      account: 'alice',
      p256dh: 'BPk',
      auth: 'au',
      caps: 3,
      createdAt: T,
    };
    await store.addPushSubscription(sub);
    await store.addPushSubscription({ ...sub, endpoint: 'https://push.example/def', createdAt: T + 1 });
    assert.deepEqual(
      (await store.pushSubscriptions('alice')).map((s) => s.endpoint),
      ['https://push.example/abc', 'https://push.example/def'],
    );
    assert.deepEqual(await store.pushAccounts(), ['alice']);
    // The same browser endpoint registered by bob now belongs to bob.
    await store.addPushSubscription({ ...sub, account: 'bob', p256dh: 'BPk2', createdAt: T + 2 });
    assert.deepEqual(await store.pushSubscriptions('bob'), [
      { ...sub, account: 'bob', p256dh: 'BPk2', createdAt: T + 2 },
    ]);
    assert.deepEqual(await store.pushAccounts(), ['alice', 'bob']);
    assert.equal(await store.removePushSubscription('https://push.example/abc', 'alice'), false);
    assert.equal(await store.removePushSubscription('https://push.example/abc', 'bob'), true);
    assert.equal(await store.removePushSubscription('https://push.example/def', null), true);
    assert.deepEqual(await store.pushAccounts(), []);
  });
}

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`search and push subscriptions on ${backend.name}`, () => searchSuite(backend));
}

/**
 * SQLite fills its index after the history commit (migration v7): rows above
 * search_index_state.indexed_to are committed but not indexed yet. These put rows there
 * directly (a second connection, as a crash between the commit and the indexing leaves them)
 * and check deletion, restart and freshness against FTS5's own integrity checks: the plain
 * one checks the index's structure, and with rank 1 it also compares the index with the
 * messages table, which only holds once everything is indexed and while no message has NULL
 * text (those are never indexed, as before v7, so these tests store text in every row).
 */
describe('search index filled after the commit (sqlite)', () => {
  const backend = sqliteBackend();
  after(() => backend.dispose());

  const insertRaw = async (raw: Raw, m: StoredMessage): Promise<void> =>
    raw.run(
      `INSERT INTO messages (msgid, time, command, conversation, target, sender, sender_account, text,
         client_tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [m.msgid, m.time, m.command, m.conversation, m.target, m.sender, m.senderAccount, m.text, null],
    );
  const backlog = async (raw: Raw): Promise<number> =>
    (
      await raw.all<{ n: number }>(
        'SELECT coalesce((SELECT max(id) FROM messages), 0) - indexed_to AS n FROM search_index_state',
      )
    )[0]!.n;
  const integrityCheck = async (raw: Raw, againstContent: boolean): Promise<void> =>
    raw.run(
      againstContent
        ? "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)"
        : "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')",
    );

  it('a message pruned or redacted before it was indexed never shows in search', async () => {
    const location = await backend.location();
    const store = await backend.open(location);
    const raw = await location.raw();
    try {
      await store.append([message('#x', T, { text: 'indexed before' })]);
      assert.equal(texts(await store.search(request('before', { conversations: ['#x'] }))).length, 1);
      const old = message('#x', T + 1, { text: 'pruned unseen' });
      const redacted = message('#x', T + 100, { text: 'redacted unseen' });
      const kept = message('#x', T + 101, { text: 'kept unseen' });
      for (const m of [old, redacted, kept]) await insertRaw(raw, m);
      assert.equal(await backlog(raw), 3);
      // Prune runs on the store's own connection and REDACT on its writer thread; neither
      // indexes, so both delete rows the index has never seen.
      assert.equal(await store.prune(T + 50), 2);
      await integrityCheck(raw, false);
      assert.equal(
        await store.redact({
          msgid: 'redact-1',
          redacted: redacted.msgid,
          conversation: '#x',
          target: '#x',
          time: T + 102,
          sender: 'alice!a@h',
          senderAccount: 'alice',
          reason: null,
        }),
        true,
      );
      await integrityCheck(raw, false);
      const only = { conversations: ['#x'] };
      assert.deepEqual(await store.search(request('pruned', only)), []);
      assert.deepEqual(await store.search(request('redacted', only)), []);
      assert.deepEqual(texts(await store.search(request('unseen', only))), ['kept unseen']);
      // The search brought the index up to date: it now matches the table exactly.
      assert.equal(await backlog(raw), 0);
      await integrityCheck(raw, false);
      await integrityCheck(raw, true);
      // Deleting and rewriting indexed rows still updates the index (the triggers).
      await raw.run('UPDATE messages SET text = ? WHERE msgid = ?', ['kept rewritten', kept.msgid]);
      assert.deepEqual(await store.search(request('unseen', only)), []);
      assert.deepEqual(texts(await store.search(request('rewritten', only))), ['kept rewritten']);
      await raw.run('DELETE FROM messages WHERE msgid = ?', [kept.msgid]);
      assert.deepEqual(await store.search(request('rewritten', only)), []);
      await integrityCheck(raw, true);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('messages left unindexed are indexed when the store opens again', async () => {
    const location = await backend.location();
    await (await backend.open(location)).close();
    const raw = await location.raw();
    const waiting = Array.from({ length: 4500 }, (_, i) =>
      message('#y', T + i, { text: i === 4499 ? 'needle' : `haystack ${i}` }),
    );
    try {
      for (const m of waiting) await insertRaw(raw, m);
      await raw.run('UPDATE messages SET text = ? WHERE msgid = ?', ['edited meanwhile', waiting[0]!.msgid]);
      await raw.run('DELETE FROM messages WHERE msgid = ?', [waiting[1]!.msgid]);
      assert.equal(await backlog(raw), 4500);
      await integrityCheck(raw, false);
    } finally {
      await raw.close();
    }
    const store = await backend.open(location);
    const check = await location.raw();
    try {
      // Indexed at open, in chunks, before any search asked.
      assert.equal(await backlog(check), 0);
      await integrityCheck(check, true);
      const only = { conversations: ['#y'] };
      assert.deepEqual(texts(await store.search(request('needle', only))), ['needle']);
      assert.deepEqual(await store.search(request('haystack 0', only)), []);
      assert.deepEqual(texts(await store.search(request('edited', only))), ['edited meanwhile']);
      assert.deepEqual(await store.search(request('haystack 1', only)), []);
      for (const i of [2, 1999, 2000, 2001, 4498]) {
        assert.deepEqual(texts(await store.search(request(`haystack ${i}`, only))), [`haystack ${i}`]);
      }
    } finally {
      await check.close();
      await store.close();
    }
  });

  it('under a steady stream of batches the index keeps pace, a chunk behind at most', async () => {
    const location = await backend.location();
    const store = new SqliteStore(location.database.slice('sqlite:'.length), { writerThread: true });
    const raw = await location.raw();
    try {
      // 1,500 messages in batches of 100, each right after the last: the writer is never
      // quiet long enough for the idle timer, so only the chunk after a reply can index.
      for (let b = 0; b < 15; b++) {
        await store.append(
          Array.from({ length: 100 }, (_, i) => message('#p', T + b * 100 + i, { text: `pace ${b} ${i}` })),
        );
      }
      // A chunk is 256; the last batch's own chunk may still be running after its reply.
      assert.ok((await backlog(raw)) < 2 * 256, `backlog ${await backlog(raw)} after 1,500 messages`);
      await integrityCheck(raw, false);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  it('the writer thread fills the index by itself once history is quiet, without a search', async () => {
    const location = await backend.location();
    const store = new SqliteStore(location.database.slice('sqlite:'.length), { writerThread: true });
    const raw = await location.raw();
    try {
      // Fewer than a chunk, in small batches: nothing is indexed while they keep coming.
      for (let i = 0; i < 30; i++) await store.append([message('#q', T + i, { text: `quiet ${i}` })]);
      // Then, with no search asking, the backlog drains once the writer has been idle.
      const deadline = Date.now() + 10_000;
      while ((await backlog(raw)) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(await backlog(raw), 0, 'the idle writer indexed what was waiting');
      await integrityCheck(raw, true);
    } finally {
      await raw.close();
      await store.close();
    }
  });

  for (const writerThread of [true, false]) {
    it(`a search right after an append finds it (${writerThread ? 'writer thread' : 'no writer thread'})`, async () => {
      const location = await backend.location();
      const store = new SqliteStore(location.database.slice('sqlite:'.length), { writerThread });
      try {
        // More than a chunk at once, so the search has to wait for several.
        const batch = Array.from({ length: 5000 }, (_, i) =>
          message('#z', T + i, { text: i === 4999 ? 'fresh needle' : `fresh ${i}` }),
        );
        await store.append(batch);
        const only = { conversations: ['#z'] };
        assert.deepEqual(texts(await store.search(request('needle', only))), ['fresh needle']);
        for (const i of [0, 1999, 2000, 4000, 4998]) {
          assert.deepEqual(texts(await store.search(request(`fresh ${i}`, only))), [`fresh ${i}`]);
        }
        for (let i = 0; i < 20; i++) {
          const m = message('#z', T + 10_000 + i, { text: `burst${i} word` });
          await store.append([m]);
          assert.deepEqual(texts(await store.search(request(`burst${i}`, only))), [`burst${i} word`]);
        }
        const raw = await location.raw();
        try {
          await integrityCheck(raw, true);
        } finally {
          await raw.close();
        }
      } finally {
        await store.close();
      }
    });
  }
});
