import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('messages', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  const reg = async (nick: string, caps: string[] = []): Promise<TestClient> => {
    const c = await TestClient.register(srv.port, nick, caps);
    clients.push(c);
    return c;
  };
  before(async () => {
    srv = await startServer({ logMessages: true });
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('seed 002: eight clients in one room each see everyone else’s messages, in order, once', async () => {
    const people = await Promise.all(Array.from({ length: 8 }, (_, i) => reg(`talker${i}`)));
    for (const p of people) {
      p.send('JOIN #crowd');
      await p.expect('366');
    }
    await Promise.all(people.map((p) => p.sync()));
    for (const p of people) p.mark();
    for (let round = 0; round < 3; round++) {
      for (const [i, p] of people.entries()) p.send(`PRIVMSG #crowd :round ${round} from ${i}`);
    }
    for (const [i, p] of people.entries()) {
      for (let n = 0; n < 3 * 7; n++) await p.expect('PRIVMSG', '#crowd');
      await p.sync();
      const got = p.received.filter((m) => m.command === 'PRIVMSG' && m.params[0] === '#crowd');
      const texts = got.map((m) => m.params[1]!);
      assert.equal(texts.length, 21, `talker${i} got 21 messages`);
      assert.ok(!texts.some((t) => t.endsWith(`from ${i}`)), 'no echo without echo-message');
      for (const [j] of people.entries()) {
        if (j === i) continue;
        const fromJ = texts.filter((t) => t.endsWith(` from ${j}`));
        assert.deepEqual(
          fromJ,
          [0, 1, 2].map((r) => `round ${r} from ${j}`),
          'per-sender order is kept',
        );
      }
    }
  });

  test('RFC 2812 §3.3.1: private messages reach only their recipient, with the sender as source', async () => {
    const a = await reg('pmA');
    const b = await reg('pmB');
    const c = await reg('pmC');
    a.send('PRIVMSG pmB :just for you');
    const got = await b.expect('PRIVMSG', 'pmB', 'just for you');
    assert.equal(got.source, 'pmA!~pma@127.0.0.1');
    c.send('PING after');
    const cSaw = await c.until((m) => m.command === 'PONG');
    assert.ok(!cSaw.some((m) => m.command === 'PRIVMSG'), 'a third user sees nothing');
    b.send('NOTICE pma :case-insensitive notice');
    await a.expect('NOTICE', 'pmA', 'case-insensitive notice');
  });

  test('several targets per command (TARGMAX) and 407 past the limit', async () => {
    const a = await reg('multiA');
    const b = await reg('multiB');
    const c = await reg('multiC');
    c.send('JOIN #multi');
    await c.expect('366');
    a.send('JOIN #multi');
    await a.expect('366');
    a.send('PRIVMSG multiB,#multi :to both');
    await b.expect('PRIVMSG', 'multiB', 'to both');
    await c.expect('PRIVMSG', '#multi', 'to both');
    a.send('PRIVMSG a,b,c,d,e :too many');
    await a.expect('407');
  });

  test('error numerics: 401 no such nick, 403 no such channel, 404 cannot send, 411 no recipient, 412 no text', async () => {
    const a = await reg('errA');
    a.send('PRIVMSG ghost :hello?');
    assert.equal((await a.expect('401')).params[1], 'ghost');
    a.send('PRIVMSG #void :hello?');
    assert.equal((await a.expect('403')).params[1], '#void');
    const b = await reg('errB');
    b.send('JOIN #closed');
    await b.expect('366');
    a.send('PRIVMSG #closed :let me in');
    assert.equal((await a.expect('404')).params[1], '#closed');
    a.send('PRIVMSG');
    await a.expect('411');
    a.send('PRIVMSG errB');
    await a.expect('412');
    a.send('PRIVMSG errB :');
    await a.expect('412');
  });

  test('unicode text passes through intact', async () => {
    const a = await reg('uniA');
    const b = await reg('uniB');
    const text = '¡Hola, señor! 你好 👋 — ça va?';
    a.send(`PRIVMSG uniB :${text}`);
    assert.equal((await b.expect('PRIVMSG')).params[1], text);
  });

  test('--log-messages shows `<alice> #room: text` on the console (seed 002)', async () => {
    const a = await reg('loudA');
    a.send('JOIN #logged');
    await a.expect('366');
    a.send('PRIVMSG #logged :this is logged');
    await a.sync();
    assert.ok(srv.logs.includes('<loudA> #logged: this is logged'), srv.logs.join('\n'));
  });

  test('message contents never reach the console without --log-messages', async () => {
    const quiet = await startServer();
    try {
      const a = await TestClient.register(quiet.port, 'quietA');
      const b = await TestClient.register(quiet.port, 'quietB');
      a.send('PRIVMSG quietB :top secret words');
      await b.expect('PRIVMSG');
      a.close();
      b.close();
      assert.ok(!quiet.logs.some((l) => l.includes('top secret words')));
    } finally {
      await quiet.stop();
    }
  });
});
