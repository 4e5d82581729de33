/**
 * Full-text search end to end, over real sockets on both storage back ends: SEARCH
 * (soju.im/search) over IRC and GET /api/search over HTTP, with CHATHISTORY's access rule
 * (rooms you are in, your own private conversations; guests only this connection's).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SearchApiHit } from '../../src/client/search.js';
import { connectWithSasl } from '../accounts/helpers.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const CAPS = ['batch', 'server-time', 'message-tags', 'echo-message', 'soju.im/search', 'labeled-response'];

/** Sends a SEARCH and returns the batch type and the messages in it. */
async function search(c: TestClient, attrs: string): Promise<{ type: string; lines: Received[] }> {
  c.send(`SEARCH ${attrs}`);
  const start = await c.waitFor((m) => m.command === 'BATCH' && m.params[0]!.startsWith('+'));
  const id = start.params[0]!.slice(1);
  const lines = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`);
  return {
    type: start.params[1]!,
    lines: lines.filter((m) => m.command === 'PRIVMSG' || m.command === 'NOTICE'),
  };
}

const texts = (r: { lines: Received[] }): string[] => r.lines.map((m) => m.params[1]!);

for (const backend of backends()) {
  describe(`search on ${backend.name}`, () => {
    let srv: TestServer;
    const clients: TestClient[] = [];
    let ana: TestClient;
    let ben: TestClient;
    let carol: TestClient;
    /** msgid of each message as its sender's echo carried it. */
    const sent = new Map<string, string>();

    async function say(c: TestClient, target: string, text: string): Promise<void> {
      c.send(`PRIVMSG ${target} :${text}`);
      const echo = await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === text);
      sent.set(text, echo.tags['msgid']!);
    }

    const api = async (
      path: string,
      user = 'ana',
    ): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await fetch(`http://127.0.0.1:${srv.httpPort}${path}`, {
        headers: { Authorization: `Basic ${Buffer.from(`${user}:secret-${user}`).toString('base64')}` },
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };

    before(async () => {
      srv = await startServer({ database: await backend.fresh() });
      await TestClient.registerAccount(srv.port, 'ana');
      await TestClient.registerAccount(srv.port, 'ben');
      ana = (await connectWithSasl(srv.port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
      ben = (await connectWithSasl(srv.port, 'ben', 'PLAIN', 'ben', 'secret-ben', CAPS)).client;
      carol = await TestClient.register(srv.port, 'carol', CAPS);
      clients.push(ana, ben, carol);
      for (const c of [ana, ben, carol]) {
        c.send('JOIN #lobby');
        await c.expect('366');
      }
      ben.send('JOIN #hideout');
      await ben.expect('366');
      ben.send('MODE #hideout +s');
      await ben.expect('MODE');
      await say(ana, '#lobby', 'the deploy broke again');
      await say(ben, '#Lobby', 'Deploy fixed, café for everyone');
      await say(carol, '#lobby', 'I only drink tea');
      await say(ben, '#hideout', 'deploy plan nobody else may read');
      await say(ana, 'ben', 'the deploy keys are in the vault');
      await say(carol, 'ben', 'deploy question from a guest');
    });
    after(async () => {
      for (const c of clients) c.close();
      await srv.stop();
      await backend.cleanup();
    });

    test('soju.im/search is offered in CAP LS', async () => {
      const c = await TestClient.connect(srv.port);
      clients.push(c);
      c.send('CAP LS 302');
      const lines = await c.until((m) => m.command === 'CAP' && m.params[1] === 'LS' && m.params[2] !== '*');
      const caps = lines.filter((m) => m.command === 'CAP').flatMap((m) => m.params.at(-1)!.split(' '));
      assert.ok(caps.includes('soju.im/search'));
    });

    test('soju.im/search: a batch of the readable matches, oldest first, as first sent', async () => {
      const r = await search(ana, 'text=deploy');
      assert.equal(r.type, 'soju.im/search');
      assert.deepEqual(texts(r), [
        'the deploy broke again',
        'Deploy fixed, café for everyone',
        'the deploy keys are in the vault',
      ]);
      // Same msgid, source and target as the original messages (search §Returned message notes).
      assert.deepEqual(
        r.lines.map((m) => m.tags['msgid']),
        texts(r).map((t) => sent.get(t)),
      );
      assert.match(r.lines[1]!.source ?? '', /^ben!/);
      assert.equal(r.lines[1]!.params[0], '#lobby');
      assert.ok(r.lines.every((m) => /^\d{4}-\d\d-\d\dT/.test(m.tags['time'] ?? '')));
    });

    test('case and accents do not matter; a room you are not in and others’ DMs stay hidden', async () => {
      assert.deepEqual(texts(await search(ana, 'text=CAFE')), ['Deploy fixed, café for everyone']);
      assert.deepEqual(texts(await search(ana, 'text=deploy;in=#hideout')), []);
      assert.deepEqual(texts(await search(ana, 'text=nobody')), []);
      assert.deepEqual(texts(await search(ben, 'text=nobody')), ['deploy plan nobody else may read']);
      assert.deepEqual(texts(await search(ana, 'text=guest')), []);
    });

    test('in=<nick> searches that private conversation; from=, limit= and before=/after= filter', async () => {
      assert.deepEqual(texts(await search(ana, 'text=deploy;in=ben')), ['the deploy keys are in the vault']);
      assert.deepEqual(texts(await search(ben, 'text=deploy;from=ANA')), [
        'the deploy broke again',
        'the deploy keys are in the vault',
      ]);
      const newest = await search(ana, 'text=deploy;limit=2');
      assert.deepEqual(texts(newest), [
        'Deploy fixed, café for everyone',
        'the deploy keys are in the vault',
      ]);
      // Paging back: everything at or before the oldest time seen so far.
      const older = await search(ana, `text=deploy;before=${newest.lines[0]!.tags['time']};limit=10`);
      assert.ok(texts(older).includes('the deploy broke again'));
      const first = await search(ana, `text=deploy;after=${newest.lines[0]!.tags['time']};limit=1`);
      assert.deepEqual(texts(first), ['Deploy fixed, café for everyone']);
    });

    test('a guest searches its rooms and the private messages of this connection only', async () => {
      assert.deepEqual(texts(await search(carol, 'text=deploy')), [
        'the deploy broke again',
        'Deploy fixed, café for everyone',
        'deploy question from a guest',
      ]);
      const stranger = await TestClient.register(srv.port, 'dave', CAPS);
      clients.push(stranger);
      assert.deepEqual(texts(await search(stranger, 'text=deploy')), []);
      assert.deepEqual(texts(await search(stranger, 'text=deploy;in=#lobby')), []);
    });

    test('bad searches get standard replies; nothing a user types is a query syntax error', async () => {
      ana.send('SEARCH');
      await ana.expect('FAIL', 'SEARCH', 'NEED_MORE_PARAMS');
      ana.send('SEARCH in=#lobby');
      await ana.expect('FAIL', 'SEARCH', 'INVALID_PARAMS', 'text');
      ana.send('SEARCH text=-deploy');
      await ana.expect('FAIL', 'SEARCH', 'INVALID_PARAMS', 'text');
      ana.send('SEARCH text=deploy;limit=lots');
      await ana.expect('FAIL', 'SEARCH', 'INVALID_PARAMS', 'limit');
      ana.send('SEARCH text=deploy;before=yesterday');
      await ana.expect('FAIL', 'SEARCH', 'INVALID_PARAMS', 'before');
      for (const nasty of ['"unclosed', 'a AND OR NOT', '*', 'NEAR(a b)', "it's", 'x:y^z', '((((']) {
        const escaped = nasty.replace(/\\/g, '\\\\').replace(/;/g, '\\:').replace(/ /g, '\\s');
        ana.send(`SEARCH text=${escaped}`);
        const reply = await ana.waitFor(
          (m) => (m.command === 'BATCH' && m.params[0]!.startsWith('+')) || m.command === 'FAIL',
        );
        if (reply.command === 'BATCH') {
          await ana.waitFor((m) => m.command === 'BATCH' && m.params[0] === `-${reply.params[0]!.slice(1)}`);
        } else assert.equal(reply.params[1], 'INVALID_PARAMS', nasty);
      }
      // The connection is fine afterwards.
      // Attribute values are escaped as tag values (a space is \s).
      assert.deepEqual(texts(await search(ana, 'text="deploy\\sbroke"')), ['the deploy broke again']);
    });

    test('labeled-response: the search batch comes back inside the labeled reply', async () => {
      ana.send('@label=s1 SEARCH text=vault');
      const lines = await ana.until(
        (m) => m.command === 'BATCH' && m.params[0]!.startsWith('-') && !m.tags['batch'],
      );
      const outer = lines[0]!;
      assert.equal(outer.tags['label'], 's1');
      assert.ok(
        lines.some((m) => m.command === 'PRIVMSG' && m.params[1] === 'the deploy keys are in the vault'),
      );
    });

    test('GET /api/search: ranked hits with highlights, paged by cursor', async () => {
      const { status, body } = await api('/api/search?q=deploy');
      assert.equal(status, 200);
      const hits = body['hits'] as SearchApiHit[];
      assert.equal(body['order'], 'relevance');
      assert.deepEqual(hits.map((h) => h.text).sort(), [
        'Deploy fixed, café for everyone',
        'the deploy broke again',
        'the deploy keys are in the vault',
      ]);
      for (const h of hits) {
        assert.equal(h.msgid, sent.get(h.text));
        assert.deepEqual(
          h.highlights.map(([s, e]) => h.text.slice(s, e).toLowerCase()),
          ['deploy'],
        );
      }
      const dm = hits.find((h) => h.private)!;
      assert.equal(dm.target, 'ben');
      assert.equal(dm.from, 'ana');
      assert.equal(hits.find((h) => h.from === 'ben')!.target, '#lobby');

      const cafe = (await api('/api/search?q=cafe%20everyone')).body['hits'] as SearchApiHit[];
      assert.deepEqual(
        cafe[0]!.highlights.map(([s, e]) => cafe[0]!.text.slice(s, e)),
        ['café', 'everyone'],
      );

      for (const order of ['relevance', 'newest', 'oldest']) {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 10; page++) {
          const q: string = `/api/search?q=deploy&order=${order}&limit=1${cursor === null ? '' : `&cursor=${cursor}`}`;
          const r = await api(q);
          assert.equal(r.status, 200);
          seen.push(...(r.body['hits'] as SearchApiHit[]).map((h) => h.text));
          cursor = r.body['cursor'] as string | null;
          if (cursor === null) break;
        }
        assert.equal(seen.length, 3, order);
        assert.equal(new Set(seen).size, 3, order);
        if (order === 'newest') assert.equal(seen[0], 'the deploy keys are in the vault');
        if (order === 'oldest') assert.equal(seen[0], 'the deploy broke again');
      }
    });

    test('GET /api/search: the account’s rooms and conversations only; errors are clear', async () => {
      const hidden = await api('/api/search?q=nobody');
      assert.deepEqual(hidden.body['hits'], []);
      assert.deepEqual((await api('/api/search?q=deploy&in=%23hideout')).body['hits'], []);
      const benSees = await api('/api/search?q=deploy&in=%23hideout', 'ben');
      assert.deepEqual(
        (benSees.body['hits'] as SearchApiHit[]).map((h) => h.text),
        ['deploy plan nobody else may read'],
      );
      const inDm = await api('/api/search?q=deploy&in=ana', 'ben');
      assert.deepEqual(
        (inDm.body['hits'] as SearchApiHit[]).map((h) => h.text),
        ['the deploy keys are in the vault'],
      );

      const anonymous = await fetch(`http://127.0.0.1:${srv.httpPort}/api/search?q=deploy`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Basic/);
      const wrong = await fetch(`http://127.0.0.1:${srv.httpPort}/api/search?q=deploy`, {
        headers: { Authorization: `Basic ${Buffer.from('ana:nope').toString('base64')}` },
      });
      assert.equal(wrong.status, 401);
      for (const [query, error] of [
        ['q=', /at least one word/],
        ['q=-deploy', /at least one word/],
        ['q=deploy&limit=1000', /limit/],
        ['q=deploy&order=random', /order/],
        ['q=deploy&cursor=bogus', /cursor/],
        ['q=deploy&after=soon', /after/],
      ] as const) {
        const r = await api(`/api/search?${query}`);
        assert.equal(r.status, 400, query);
        assert.match(String(r.body['error']), error);
      }
      // A cursor from one order is refused by another.
      const page = await api('/api/search?q=deploy&limit=1&order=newest');
      const reused = await api(`/api/search?q=deploy&limit=1&order=oldest&cursor=${page.body['cursor']}`);
      assert.equal(reused.status, 400);
    });
  });
}
