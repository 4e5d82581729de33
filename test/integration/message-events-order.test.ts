/**
 * DESIGN.md: "Each connection receives what the server accepted in the order it accepted
 * it" (issue 15 "Ordering"), for the messages that act on messages too: reactions
 * (`+draft/react`), edits (`+draft/edit`) and REDACT (draft/message-redaction §Command) check
 * history before they are delivered, and must still keep their place among the plain
 * messages and commands accepted before and after them, on the sender's own connection and
 * across connections (docs/ARCHITECTURE.md "Order of deliveries"). Both storage back ends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { METRICS_AUTH, startServer, type TestServer } from '../helpers/server.js';

const CAPS = ['message-tags', 'echo-message', 'server-time', 'draft/message-redaction'];
const ROUNDS = 200;
const CROSS_ROUNDS = 40;

/** What a recipient saw in the room, one word per line that matters to the order. */
function story(lines: readonly Received[], room: string): string[] {
  const out: string[] = [];
  for (const m of lines) {
    if (m.params[0] !== room) continue;
    if (m.command === 'PRIVMSG') out.push(m.params[1]!);
    else if (m.command === 'TAGMSG' && m.tags['+draft/react'] !== undefined)
      out.push(`react:${m.tags['+draft/react']}`);
    else if (m.command === 'REDACT') out.push('redact');
    else if (m.command === 'TOPIC') out.push(`topic:${m.params[1]}`);
  }
  return out;
}

for (const backend of backends()) {
  describe(`order of reactions, edits and REDACT on ${backend.name}`, () => {
    let server: TestServer;
    const clients: TestClient[] = [];
    before(async () => {
      server = await startServer({
        database: await backend.fresh(),
        floodBurst: 100_000,
        floodRate: 100_000,
        floodQueue: 100_000,
      });
    });
    after(async () => {
      for (const c of clients) c.close();
      await server.stop();
      await backend.cleanup();
    });
    const reg = async (nick: string, caps: string[] = CAPS): Promise<TestClient> => {
      const c = await TestClient.register(server.port, nick, caps);
      clients.push(c);
      return c;
    };

    /** PRIVMSG/NOTICE/TAGMSG the server has accepted so far (tertulia_messages_in_total). */
    const acceptedSoFar = async (): Promise<number> => {
      const text = await (
        await fetch(`http://127.0.0.1:${server.httpPort}/metrics`, { headers: METRICS_AUTH })
      ).text();
      const line = text.split('\n').find((l) => l.startsWith('tertulia_messages_in_total '));
      return Number(line!.split(' ')[1]);
    };
    /** Resolves once the server has accepted `count` messages in all (over HTTP, which no gate holds). */
    const acceptedUpTo = async (count: number): Promise<void> => {
      while ((await acceptedSoFar()) < count) await new Promise((r) => setImmediate(r));
    };

    test(`${ROUNDS} rounds of PRIVMSG, reaction, edit, PRIVMSG, REDACT, PRIVMSG sent at once reach everyone (the sender's echo too) in that order`, async () => {
      const alice = await reg('alice');
      const bob = await reg('bob');
      const plain = await reg('plain', []);
      for (const c of [alice, bob, plain]) {
        c.send('JOIN #events');
        await c.expect('366');
      }
      alice.send('PRIVMSG #events :start');
      let prev = (await alice.expect('PRIVMSG', '#events', 'start')).tags['msgid']!;
      await bob.expect('PRIVMSG', '#events', 'start');
      await plain.expect('PRIVMSG', '#events', 'start');
      const from = { alice: alice.received.length, bob: bob.received.length, plain: plain.received.length };
      for (let i = 0; i < ROUNDS; i++) {
        // One write: the server accepts these lines in this order (the REDACT waits for the
        // sender's messages before it to be durable; the PRIVMSG after it then pipelines).
        alice.sendRaw(
          `PRIVMSG #events :p${i}\r\n` +
            `@+draft/react=r${i};+draft/reply=${prev} TAGMSG #events\r\n` +
            `@+draft/edit=${prev} PRIVMSG #events :e${i}\r\n` +
            `PRIVMSG #events :q${i}\r\n` +
            `REDACT #events ${prev}\r\n` +
            `PRIVMSG #events :z${i}\r\n`,
        );
        prev = (await alice.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `z${i}`, 20_000)).tags[
          'msgid'
        ]!;
      }
      await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `z${ROUNDS - 1}`, 20_000);
      await plain.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `z${ROUNDS - 1}`, 20_000);

      const round = (i: number, full: boolean): string[] =>
        full
          ? [`p${i}`, `react:r${i}`, `e${i}`, `q${i}`, 'redact', `z${i}`]
          : [`p${i}`, `e${i}`, `q${i}`, `z${i}`];
      const expected = (full: boolean): string[] =>
        Array.from({ length: ROUNDS }, (_, i) => round(i, full)).flat();
      // alice and bob have message-tags and draft/message-redaction: every line; plain gets
      // no TAGMSG (message-tags §TAGMSG) and no REDACT (redaction §Command: only with the cap).
      assert.deepEqual(
        story(alice.received.slice(from.alice), '#events'),
        expected(true),
        'alice (echo-message)',
      );
      assert.deepEqual(story(bob.received.slice(from.bob), '#events'), expected(true), 'bob');
      assert.deepEqual(story(plain.received.slice(from.plain), '#events'), expected(false), 'plain');
    });

    test(`across connections (${CROSS_ROUNDS} rounds): a reaction or REDACT accepted before another client's PRIVMSG or TOPIC reaches a third client before it, and after a PRIVMSG accepted before it`, async () => {
      const ana = await reg('ana');
      const ben = await reg('ben');
      const cris = await reg('cris');
      const loader = await reg('loader', []);
      for (const c of [ana, ben, cris]) {
        c.send('JOIN #cross');
        await c.expect('366');
      }
      loader.send('JOIN #load');
      await loader.expect('366');
      const filler = 'f'.repeat(300);
      const LOAD = 300;
      /**
       * Keeps the history writer busy for a while, so what checks history is slow; resolves
       * with the count of accepted messages once the server has accepted the load.
       */
      const load = async (): Promise<number> => {
        const count = await acceptedSoFar();
        let lines = '';
        for (let i = 0; i < LOAD; i++) lines += `PRIVMSG #load :${i} ${filler}\r\n`;
        loader.sendRaw(lines);
        await acceptedUpTo(count + LOAD);
        return count + LOAD;
      };

      // ben may redact only his own messages: each round's target is one of his.
      ben.send('PRIVMSG #cross :first');
      let target = (await ben.expect('PRIVMSG', '#cross', 'first')).tags['msgid']!;
      await cris.expect('PRIVMSG', '#cross', 'first');
      const start = cris.received.length;
      const expected: string[] = [];
      for (let i = 0; i < CROSS_ROUNDS; i++) {
        // ben's reaction is accepted, then ana's PRIVMSG: cris sees them in that order.
        let count = await load();
        ben.send(`@+draft/react=x${i};+draft/reply=${target} TAGMSG #cross`);
        await acceptedUpTo(count + 1);
        ana.send(`PRIVMSG #cross :a${i}`);
        expected.push(`react:x${i}`, `a${i}`);
        // Her echo: a${i} is accepted, so the count below starts after it.
        await ana.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `a${i}`, 20_000);
        // ana's PRIVMSG is accepted, then ben's REDACT and a PRIVMSG he sends right after it
        // (so the test knows the REDACT was accepted), then ana's TOPIC.
        count = await load();
        ana.send(`PRIVMSG #cross :b${i}`);
        await acceptedUpTo(count + 1);
        ben.sendRaw(`REDACT #cross ${target}\r\nPRIVMSG #cross :m${i}\r\n`);
        await acceptedUpTo(count + 2);
        ana.send(`TOPIC #cross :t${i}`);
        expected.push(`b${i}`, 'redact', `m${i}`, `topic:t${i}`);
        target = (await ben.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `m${i}`, 20_000)).tags[
          'msgid'
        ]!;
        await cris.waitFor((m) => m.command === 'TOPIC' && m.params[1] === `t${i}`, 20_000);
      }
      assert.deepEqual(story(cris.received.slice(start), '#cross'), expected);
    });
  });
}
