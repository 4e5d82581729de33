/**
 * Clients that join a busy room and stop reading (issue 14 item 2). What the others notice:
 * the readers keep receiving everything, in order; the ones who stopped reading are dropped
 * with a reason that says why (the server-wide output budget, `sendq-total-bytes`, long
 * before their own `sendq-bytes`); and the server goes on serving. Memory and latency at
 * the full load are for `npm run bench -- --scenario slowreaders`; no timing here.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { joinRoom, privmsgTexts, say, senderOf } from './util.js';

const isQuitOf =
  (nick: string) =>
  (m: Received): boolean =>
    m.command === 'QUIT' && senderOf(m) === nick;

function lines(n: number, make: (i: number) => string): string {
  let out = '';
  for (let i = 0; i < n; i++) out += make(i) + '\r\n';
  return out;
}

describe('slow readers and the server-wide output budget (sendqTotalBytes)', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const register = async (nick: string): Promise<TestClient> => {
    const c = await TestClient.register(server.port, nick);
    clients.push(c);
    return c;
  };
  before(async () => {
    server = await startServer({
      // Each client's own bound is far away: only the server's budget can drop anyone here.
      sendqBytes: 64 * 1024 * 1024,
      sendqTotalBytes: 1024 * 1024,
      floodBurst: 1_000_000,
      floodRate: 1_000_000,
      floodQueue: 1_000_000,
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test('clients that never read are dropped for the budget; readers get every message in order; the server still serves', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const carol = await register('carol');
    const slow: TestClient[] = [];
    for (let i = 0; i < 6; i++) slow.push(await register(`slow${i}`));
    await joinRoom('#busy', alice, bob, carol, ...slow);
    for (const s of slow) s.socket.pause(); // their clients hang: kernel buffers fill, then ours
    alice.socket.setNoDelay(true);

    const startBob = bob.received.length;
    const startCarol = carol.received.length;
    const filler = 'z'.repeat(330);
    const gone = (): boolean => slow.every((s) => bob.received.some(isQuitOf(s.nick)));
    const batch = 50;
    let sent = 0;
    // Keep the room busy until every slow reader is gone (bounded: ~50 MB of traffic at most).
    while (!gone() && sent < 150_000) {
      alice.sendRaw(lines(batch, (i) => `PRIVMSG #busy :${sent + i} ${filler}`));
      sent += batch;
      await alice.sync();
    }
    for (const s of slow) {
      const quit = bob.received.find(isQuitOf(s.nick));
      assert.ok(quit !== undefined, `${s.nick} was never dropped after ${sent} messages`);
      assert.equal(quit.params[0], 'SendQ exceeded (server output budget)');
    }

    // The readers were never dropped, and got every message, in order.
    for (const [reader, start] of [
      [bob, startBob],
      [carol, startCarol],
    ] as const) {
      await reader.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === `${sent - 1} ${filler}`, 60_000);
      const got = privmsgTexts(reader, start);
      assert.equal(got.length, sent, `${reader.nick} got ${got.length} of ${sent}`);
      for (let i = 0; i < sent; i++) {
        if (got[i] !== `${i} ${filler}`)
          assert.fail(`${reader.nick}: message ${i} arrived as ${got[i]?.slice(0, 20)}`);
      }
      assert.ok(!reader.closed);
    }

    // A dropped client's connection closes once it reads again.
    for (const s of slow) s.socket.resume();
    await Promise.all(slow.map((s) => s.waitClosed(15_000)));

    // The server goes on serving: a newcomer joins and talks with the readers.
    const dave = await register('dave');
    await joinRoom('#busy', dave);
    await say(dave, '#busy', 'did I miss anything?', bob, carol, alice);
  });
});
