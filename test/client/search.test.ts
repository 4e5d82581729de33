/**
 * The client library's search and web push helpers against a real server (both back ends):
 * ChatClient.search (SEARCH, soju.im/search) with local highlights, searchApi
 * (GET /api/search), and registerWebPush/unregisterWebPush (draft/webpush).
 */
import assert from 'node:assert/strict';
import { createECDH, randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { ChatClient } from '../../src/client/client.js';
import { searchApi } from '../../src/client/search.js';
import {
  applicationServerKey,
  parsePushPayload,
  registerWebPush,
  unregisterWebPush,
  vapidKey,
} from '../../src/client/webpush.js';
import { TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

for (const backend of backends()) {
  describe(`client library search and web push on ${backend.name}`, () => {
    let srv: TestServer | null = null;
    const clients: ChatClient[] = [];
    after(async () => {
      for (const c of clients) c.destroy();
      await srv?.stop();
      await backend.cleanup();
    });

    test('search() finds with highlights; searchApi() pages; web push registers', async () => {
      srv = await startServer({ database: await backend.fresh(), webpushAllowHttpLoopback: true });
      await TestClient.registerAccount(srv.port, 'ana');
      const ana = new ChatClient({
        host: '127.0.0.1',
        port: srv.port,
        nick: 'ana',
        password: 'secret-ana',
        reconnect: false,
      });
      const guest = new ChatClient({ host: '127.0.0.1', port: srv.port, nick: 'guest', reconnect: false });
      clients.push(ana, guest);
      await ana.connect();
      await guest.connect();
      ana.join('#lobby');
      guest.join('#lobby');
      await ana.names('#lobby');
      await guest.names('#lobby');
      const heard = new Promise<void>((resolve) =>
        guest.on('message', (m) => {
          if (m.text === 'Mañana hay café en la cocina') resolve();
        }),
      );
      ana.say('#lobby', 'Mañana hay café en la cocina');
      await heard;
      let live = 0;
      guest.on('message', () => live++);

      const hits = await guest.search('cafe manana');
      assert.equal(hits.length, 1);
      assert.equal(hits[0]!.from, 'ana');
      assert.equal(hits[0]!.conversation, '#lobby');
      assert.deepEqual(
        hits[0]!.highlights.map(([s, e]) => hits[0]!.text.slice(s, e)),
        ['Mañana', 'café'],
      );
      // Results are not live messages.
      assert.equal(live, 0);
      assert.deepEqual(await guest.search('cocina', { in: '#elsewhere' }), []);
      await assert.rejects(guest.search('-cocina'), /at least one word/);

      const page = await searchApi(
        `http://127.0.0.1:${srv.httpPort}`,
        { account: 'ana', password: 'secret-ana' },
        {
          q: 'cocina',
          limit: 5,
        },
      );
      assert.equal(page.hits.length, 1);
      assert.equal(page.cursor, null);
      assert.deepEqual(
        page.hits[0]!.highlights.map(([s, e]) => page.hits[0]!.text.slice(s, e)),
        ['cocina'],
      );
      await assert.rejects(
        searchApi(`http://127.0.0.1:${srv.httpPort}`, { account: 'ana', password: 'wrong' }, { q: 'x' }),
        /Wrong account name or password/,
      );

      // Web push: the key from CAP LS, as PushManager.subscribe wants it; register and unregister.
      const key = vapidKey(ana);
      assert.ok(key !== null);
      assert.equal(applicationServerKey(key).length, 65);
      const ecdh = createECDH('prime256v1');
      ecdh.generateKeys();
      const subscription = {
        endpoint: 'http://127.0.0.1:9/push/ana',
        keys: {
          p256dh: ecdh.getPublicKey().toString('base64url'),
          auth: randomBytes(16).toString('base64url'),
        },
      };
      await registerWebPush(ana, subscription);
      assert.deepEqual(
        (await srv.tertulia.server.store!.pushSubscriptions('ana')).map((s) => s.endpoint),
        [subscription.endpoint],
      );
      await assert.rejects(registerWebPush(guest, subscription), /Log in/);
      await unregisterWebPush(ana, subscription.endpoint);
      assert.deepEqual(await srv.tertulia.server.store!.pushSubscriptions('ana'), []);

      // What a service worker does with a payload.
      assert.deepEqual(
        parsePushPayload(
          '@msgid=abc;time=2026-01-02T03:04:05.000Z :ben!b@h PRIVMSG #lobby :\x01ACTION waves\x01',
        ),
        {
          from: 'ben',
          room: '#lobby',
          text: 'waves',
          action: true,
          msgid: 'abc',
          time: new Date('2026-01-02T03:04:05.000Z'),
        },
      );
      assert.equal(parsePushPayload(':server 001 ana :hi'), null);
    });
  });
}
