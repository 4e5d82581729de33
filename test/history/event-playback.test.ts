/**
 * draft/event-playback (ircv3.net chathistory §Implementation: lines "that would normally
 * produce a local state change" in history batches) over real sockets, on both storage back
 * ends: a room's TOPIC changes are kept in history and replayed among its messages, as first
 * sent (msgid, time, source), to clients that negotiated the capability; clients that did not
 * get PRIVMSG and NOTICE only. A topic change is an event beside the page's messages: it does
 * not count toward the limit, and catching up with AFTER brings the changes made since.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const BASE = ['batch', 'server-time', 'message-tags', 'echo-message', 'draft/chathistory'];
const EVENTS = [...BASE, 'draft/event-playback'];

/** A CHATHISTORY request's lines, inside its batch. */
async function history(c: TestClient, line: string): Promise<Received[]> {
  c.send(line);
  const open = await c.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'chathistory');
  const id = open.params[0]!.slice(1);
  const all = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`);
  return all.slice(0, -1).filter((m) => m.tags['batch'] === id);
}

for (const backend of backends()) {
  describe(`draft/event-playback on ${backend.name}`, () => {
    let srv: TestServer;
    const clients: TestClient[] = [];
    before(async () => {
      srv = await startServer({ database: await backend.fresh() });
    });
    after(async () => {
      for (const c of clients) c.close();
      await srv.stop();
      await backend.cleanup();
    });
    const reg = async (nick: string, caps: string[]): Promise<TestClient> => {
      const c = await TestClient.register(srv.port, nick, caps);
      clients.push(c);
      return c;
    };

    test('TOPIC changes come back in history among the messages, as first sent, only with the capability', async () => {
      const op = await reg('epOp', EVENTS);
      const watcher = await reg('epWatch', EVENTS);
      const older = await reg('epOlder', BASE);
      for (const c of [op, watcher, older]) {
        c.send('JOIN #ep');
        await c.expect('366');
      }
      op.send('PRIVMSG #ep :one');
      const one = await watcher.expect('PRIVMSG', '#ep', 'one');
      op.send('TOPIC #ep :the plan');
      const set = await watcher.expect('TOPIC', '#ep', 'the plan');
      assert.match(set.tags['msgid'] ?? '', /^[A-Za-z0-9_-]+$/, 'a TOPIC carries a msgid live');
      op.send('PRIVMSG #ep :two');
      await watcher.expect('PRIVMSG', '#ep', 'two');
      op.send('TOPIC #ep :');
      const cleared = await watcher.expect('TOPIC', '#ep', '');

      const replay = await history(watcher, 'CHATHISTORY LATEST #ep * 10');
      assert.deepEqual(
        replay.map((m) => [m.command, m.params[1]]),
        [
          ['PRIVMSG', 'one'],
          ['TOPIC', 'the plan'],
          ['PRIVMSG', 'two'],
          ['TOPIC', ''],
        ],
      );
      for (const [got, live] of [
        [replay[1]!, set],
        [replay[3]!, cleared],
      ] as const) {
        assert.equal(got.tags['msgid'], live.tags['msgid'], 'the msgid as originally sent');
        assert.equal(got.tags['time'], live.tags['time']);
        assert.equal(got.source, live.source);
      }
      // The events do not count toward the limit: two messages asked, two messages given.
      assert.deepEqual(
        (await history(watcher, 'CHATHISTORY LATEST #ep * 2')).map((m) => m.command),
        ['PRIVMSG', 'TOPIC', 'PRIVMSG', 'TOPIC'],
      );
      // Catching up after the first message brings the changes made since.
      assert.deepEqual(
        (await history(watcher, `CHATHISTORY AFTER #ep msgid=${one.tags['msgid']} 10`)).map((m) => [
          m.command,
          m.params[1],
        ]),
        [
          ['TOPIC', 'the plan'],
          ['PRIVMSG', 'two'],
          ['TOPIC', ''],
        ],
      );
      // Without draft/event-playback: PRIVMSG and NOTICE only.
      assert.deepEqual(
        (await history(older, 'CHATHISTORY LATEST #ep * 10')).map((m) => m.command),
        ['PRIVMSG', 'PRIVMSG'],
      );
    });
  });
}
