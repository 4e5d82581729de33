/**
 * IRCv3 draft/webpush end to end, on both storage back ends: clients register over IRC,
 * the server pushes private messages and mentions to a real local push endpoint
 * (test/push/push-endpoint.ts), which decrypts each payload (RFC 8291) and verifies its
 * VAPID JWT (RFC 8292) with the key the server advertised in CAP LS.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { connectWithSasl } from '../accounts/helpers.js';
import { TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { METRICS_AUTH, startServer, type TestServer } from '../helpers/server.js';
import { PushEndpoint } from './push-endpoint.js';

const CAPS = ['message-tags', 'server-time', 'echo-message', 'draft/webpush'];

/** The value of draft/webpush in CAP LS 302. */
async function advertisedVapid(port: number): Promise<string> {
  const c = await TestClient.connect(port);
  try {
    c.send('CAP LS 302');
    // CAP LS 302 may span lines: `CAP * LS * :…` until one without the `*`.
    const lines = await c.until((m) => m.command === 'CAP' && m.params[1] === 'LS' && m.params[2] !== '*');
    const caps = lines.filter((m) => m.command === 'CAP').flatMap((m) => m.params.at(-1)!.split(' '));
    const cap = caps.find((x) => x.startsWith('draft/webpush='));
    assert.ok(cap !== undefined, `draft/webpush with a value in ${caps.join(' ')}`);
    const match = /^draft\/webpush=vapid=([A-Za-z0-9_-]+)$/.exec(cap);
    assert.ok(match !== null, cap);
    return match[1]!;
  } finally {
    c.close();
  }
}

for (const backend of backends()) {
  describe(`draft/webpush on ${backend.name}`, () => {
    const clients: TestClient[] = [];
    let srv: TestServer | null = null;
    let push: PushEndpoint | null = null;
    after(async () => {
      for (const c of clients) c.close();
      await srv?.stop();
      await push?.close();
      await backend.cleanup();
    });

    test('private messages and mentions reach a registered subscription, encrypted and VAPID-signed', async () => {
      push = await PushEndpoint.start();
      const database = await backend.fresh();
      const options = { database, webpushAllowHttpLoopback: true, webpushContact: 'mailto:ops@example.org' };
      srv = await startServer(options);
      const port = srv.port;
      const dataDir = srv.config.dataDir;
      await TestClient.registerAccount(port, 'ana');
      await TestClient.registerAccount(port, 'ben');

      // The VAPID key is advertised as the capability's value and kept, owner-only, in data-dir.
      const vapid = await advertisedVapid(port);
      assert.equal(Buffer.from(vapid, 'base64url').length, 65);
      const keyFile = join(dataDir, 'webpush', 'vapid.json');
      assert.equal(JSON.parse(readFileSync(keyFile, 'utf8')).publicKey, vapid);
      assert.equal(statSync(keyFile).mode & 0o077, 0);

      const ana = (await connectWithSasl(port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
      const ben = (await connectWithSasl(port, 'ben', 'PLAIN', 'ben', 'secret-ben', CAPS)).client;
      clients.push(ana, ben);

      // webpush §VAPIDPUBKEY (earlier drafts) gives the same key.
      ana.send('WEBPUSH VAPIDPUBKEY');
      assert.equal((await ana.expect('WEBPUSH', 'VAPIDPUBKEY')).params[1], vapid);

      // webpush §REGISTER: the server confirms with the endpoint.
      const phone = push.subscribe('/ana/phone');
      ana.send(`WEBPUSH REGISTER ${phone.url} ${phone.keys}`);
      await ana.expect('WEBPUSH', 'REGISTER', phone.url);

      // While ana is at her keyboard nothing is pushed; once away, a private message is.
      ben.send('PRIVMSG ana :are you there?');
      await ana.expect('PRIVMSG', 'ana', 'are you there?');
      ana.send('AWAY :lunch');
      await ana.expect('306');
      ben.send('PRIVMSG ana :ping while you are away');
      const delivered = await ana.expect('PRIVMSG', 'ana', 'ping while you are away');
      const [first] = await push.waitFor('/ana/phone', 1);
      // Exactly one IRC message, no CR LF, with the msgid the client saw (webpush §Implementation).
      assert.match(first!.payload, /^@\S+ :ben!\S+ PRIVMSG ana :ping while you are away$/);
      assert.ok(first!.payload.includes(`msgid=${delivered.tags['msgid']}`));
      assert.ok(first!.payload.includes('time='));
      assert.equal(first!.vapidKey, vapid);
      assert.equal(first!.claims.sub, 'mailto:ops@example.org');
      assert.equal(first!.headers['urgency'], 'high');

      // ana closes her client: mentions in an open room reach her; mentions in a room she
      // may not read, and messages that do not mention her, do not.
      ana.send('QUIT');
      await ana.waitClosed();
      ben.send('JOIN #lobby,#hideout');
      await ben.expect('366');
      await ben.expect('366');
      ben.send('MODE #hideout +s');
      await ben.expect('MODE');
      ben.send('PRIVMSG #lobby :nobody in particular');
      ben.send('PRIVMSG #hideout :ana must not read this');
      ben.send('PRIVMSG #lobby :ben talking to himself, ben');
      ben.send('PRIVMSG #lobby :ANA: standup in five');
      await ben.expect('PRIVMSG', '#lobby', 'ANA: standup in five');
      const [, mention] = await push.waitFor('/ana/phone', 2);
      assert.match(mention!.payload, / PRIVMSG #lobby :ANA: standup in five$/);
      await srv.tertulia.server.push!.drained();
      assert.equal(push.at('/ana/phone').length, 2);
      assert.deepEqual(push.errors, []);

      // Guests cannot register; bad endpoints and keys are refused with standard replies.
      const guest = await TestClient.register(port, 'guest1', CAPS);
      clients.push(guest);
      guest.send(`WEBPUSH REGISTER ${push.subscribe('/guest').url} ${phone.keys}`);
      await guest.expect('FAIL', 'WEBPUSH', 'ACCOUNT_REQUIRED');
      const ana2 = (await connectWithSasl(port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
      clients.push(ana2);
      for (const [endpoint, keys] of [
        ['http://push.example.org/x', phone.keys],
        ['https://10.1.2.3/x', phone.keys],
        ['https://user:pw@push.example.org/x', phone.keys],
        ['not a url', phone.keys],
        [phone.url, 'p256dh=AAAA;auth=BBBB'],
        [phone.url, 'auth=only'],
      ]) {
        ana2.send(`WEBPUSH REGISTER ${endpoint!.replace(/ /g, '%20')} ${keys}`);
        await ana2.expect('FAIL', 'WEBPUSH', 'INVALID_PARAMS', 'REGISTER');
      }
      ana2.send('WEBPUSH SUBSCRIBE x');
      await ana2.expect('FAIL', 'WEBPUSH', 'INVALID_PARAMS');
      ana2.send('QUIT');
      await ana2.waitClosed();

      // A subscription the push service has forgotten (410) is dropped (RFC 8030 §7.3).
      const laptop = push.subscribe('/ana/laptop');
      push.status.set('/ana/laptop', 410);
      const ana3 = (await connectWithSasl(port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
      ana3.send(`WEBPUSH REGISTER ${laptop.url} ${laptop.keys}`);
      await ana3.expect('WEBPUSH', 'REGISTER', laptop.url);
      // UNREGISTER of someone else's or an unknown endpoint is silently ignored.
      ana3.send('WEBPUSH UNREGISTER https://push.example.org/unknown');
      await ana3.expect('WEBPUSH', 'UNREGISTER', 'https://push.example.org/unknown');
      ana3.send('QUIT');
      await ana3.waitClosed();
      ben.send('PRIVMSG #lobby :ana, still there?');
      await push.waitFor('/ana/laptop', 1);
      await push.waitFor('/ana/phone', 3);
      await srv.tertulia.server.push!.drained();
      const store = srv.tertulia.server.store!;
      assert.deepEqual(
        (await store.pushSubscriptions('ana')).map((s) => s.endpoint),
        [phone.url],
      );
      const metrics = await (
        await fetch(`http://127.0.0.1:${srv.httpPort}/metrics`, { headers: METRICS_AUTH })
      ).text();
      assert.match(metrics, /tertulia_webpush_notifications_total\{outcome="gone"\} 1\n/);
      assert.match(metrics, /tertulia_webpush_notifications_total\{outcome="delivered"\} 3\n/);

      // Restarted on the same data: the same VAPID key, the subscription still there.
      await srv.stop();
      srv = await startServer({ ...options, dataDir });
      assert.equal(await advertisedVapid(srv.port), vapid);
      const benAgain = (await connectWithSasl(srv.port, 'ben', 'PLAIN', 'ben', 'secret-ben', CAPS)).client;
      clients.push(benAgain);
      // Always-on: ben (and ana, offline) are back in #lobby before anyone connects.
      assert.ok(benAgain.received.some((m) => m.command === 'JOIN' && m.params[0] === '#lobby'));
      benAgain.send('PRIVMSG #lobby :ana: after the restart');
      const afterRestart = await push.waitFor('/ana/phone', 4);
      assert.match(afterRestart[3]!.payload, /PRIVMSG #lobby :ana: after the restart$/);

      // UNREGISTER stops it.
      const ana4 = (await connectWithSasl(srv.port, 'ana', 'PLAIN', 'ana', 'secret-ana', CAPS)).client;
      clients.push(ana4);
      ana4.send(`WEBPUSH UNREGISTER ${phone.url}`);
      await ana4.expect('WEBPUSH', 'UNREGISTER', phone.url);
      ana4.send('AWAY :gone');
      await ana4.expect('306');
      benAgain.send('PRIVMSG ana :nobody will be notified');
      await ana4.expect('PRIVMSG', 'ana', 'nobody will be notified');
      await srv.tertulia.server.push!.drained();
      assert.equal(push.at('/ana/phone').length, 4);
      assert.deepEqual(push.errors, []);
    });

    test('clients that know nothing of it see no difference', async () => {
      srv ??= await startServer({ database: await backend.fresh() });
      const c = await TestClient.register(srv.port, 'plain');
      clients.push(c);
      c.send('CAP LIST');
      c.send('WEBPUSH');
      await c.expect('FAIL', 'WEBPUSH', 'NEED_MORE_PARAMS');
      await c.sync();
    });
  });
}
