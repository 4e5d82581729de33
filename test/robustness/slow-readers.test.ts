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
import { METRICS_AUTH, startServer, type TestServer } from '../helpers/server.js';
import { isPrivmsg, joinRoom, privmsgTexts, say, senderOf } from './util.js';

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

    // Once the drops have stopped, the server collects what their queues held (one full
    // collection, core/memory-giveback.ts), which an operator sees in /metrics. How much
    // memory comes back is the bench's to measure.
    let givebacks = 0;
    for (let tries = 0; givebacks < 1 && tries < 100; tries++) {
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/metrics`, { headers: METRICS_AUTH });
      const line = (await res.text())
        .split('\n')
        .find((l) => l.startsWith('tertulia_memory_givebacks_total '));
      assert.ok(line, 'tertulia_memory_givebacks_total is exported');
      givebacks = Number(line.split(' ')[1]);
      if (givebacks < 1) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(givebacks, 1, 'one collection for the wave of drops');
  });
});

describe('the server-wide output budget drops the slowest reader first', () => {
  let server: TestServer;
  const clients: TestClient[] = [];
  const register = async (nick: string): Promise<TestClient> => {
    const c = await TestClient.register(server.port, nick);
    clients.push(c);
    return c;
  };
  const MiB = 1024 * 1024;
  before(async () => {
    server = await startServer({
      sendqBytes: 256 * MiB, // only the budget drops anyone here
      sendqTotalBytes: 16 * MiB,
      floodBurst: 1_000_000,
      floodRate: 1_000_000,
      floodQueue: 1_000_000,
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test('of two clients that stopped reading, the one further behind is dropped and the other keeps everything', async () => {
    const alice = await register('alice');
    const bob = await register('bob');
    const early = await register('early');
    const late = await register('late');
    await joinRoom('#busy', alice, bob, early, late);
    alice.socket.setNoDelay(true);
    const startLate = late.received.length;
    const filler = 'y'.repeat(400);
    let sent = 0;
    const send = async (bytes: number, until: () => boolean = () => false): Promise<void> => {
      const stop = sent + Math.ceil(bytes / (filler.length + 30));
      while (sent < stop && !until()) {
        alice.sendRaw(lines(100, (i) => `PRIVMSG #busy :${sent + i} ${filler}`));
        sent += 100;
        await alice.sync();
      }
    };
    // `early` stops reading 8 MB before `late` does: more than the kernel's buffers for one
    // socket hold, so whatever those take, `early` is further behind once both are backed up.
    early.socket.pause();
    await send(8 * MiB);
    late.socket.pause();
    // Both back up; past 16 MiB queued for the two, the budget drops the largest first, until
    // the rest is under three quarters of it: `early` alone has to go. (Bounded: 64 MB.)
    const earlyGone = (): boolean => bob.received.some(isQuitOf('early'));
    await send(56 * MiB, earlyGone);
    await bob.waitFor(isQuitOf('early'), 30_000);
    assert.equal(bob.received.find(isQuitOf('early'))!.params[0], 'SendQ exceeded (server output budget)');
    // Once everything sent has reached bob, `late` has still not been dropped.
    alice.send('PRIVMSG #busy :end of flood');
    await bob.waitFor((m) => isPrivmsg(m, 'alice', '#busy', 'end of flood'), 60_000);
    assert.ok(!bob.received.some(isQuitOf('late')), 'the reader less far behind was dropped too');

    // `late` reads again and gets every message, in order, and is still in the room.
    late.socket.resume();
    await late.waitFor((m) => isPrivmsg(m, 'alice', '#busy', 'end of flood'), 60_000);
    const got = privmsgTexts(late, startLate);
    assert.equal(got.length, sent + 1, `late got ${got.length - 1} of ${sent}`);
    for (let i = 0; i < sent; i++) {
      if (got[i] !== `${i} ${filler}`) assert.fail(`late: message ${i} arrived as ${got[i]?.slice(0, 20)}`);
    }
    await say(alice, '#busy', 'still here?', bob, late);
    assert.ok(!late.closed);
  });
});
