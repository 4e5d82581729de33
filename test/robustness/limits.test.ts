/**
 * Every bound the server keeps (DESIGN.md "Every queue has a bound"), seen from the wire:
 * flood control, per-IP connection limits, the send queue, ping and registration timeouts.
 * Past a bound the offender gets a clear error or is disconnected with a reason; everybody
 * else keeps chatting. No timing is asserted, only what users see.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { hashPassword } from '../../src/crypto/password.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { autoPong, isPrivmsg, joinRoom, privmsgTexts, say, senderOf } from './util.js';

/** A server for one describe block, closing every client the block opened. */
function useServer(overrides: () => Promise<Partial<Config>> | Partial<Config>) {
  const ctx = {
    server: undefined as unknown as TestServer,
    clients: [] as TestClient[],
    async register(nick: string): Promise<TestClient> {
      const c = await TestClient.register(ctx.server.port, nick);
      ctx.clients.push(c);
      return c;
    },
    async connect(): Promise<TestClient> {
      const c = await TestClient.connect(ctx.server.port);
      ctx.clients.push(c);
      return c;
    },
  };
  before(async () => {
    ctx.server = await startServer(await overrides());
  });
  after(async () => {
    for (const c of ctx.clients) c.close();
    await ctx.server.stop();
  });
  return ctx;
}

function isQuitOf(nick: string): (m: Received) => boolean {
  return (m) => m.command === 'QUIT' && senderOf(m) === nick;
}

function lines(n: number, make: (i: number) => string): string {
  let out = '';
  for (let i = 0; i < n; i++) out += make(i) + '\r\n';
  return out;
}

describe('flood control (token bucket, floodBurst/floodRate/floodQueue)', () => {
  describe('a burst beyond the bucket', () => {
    const ctx = useServer(() => ({ floodBurst: 5, floodRate: 50, floodQueue: 100 }));

    test('is delayed, not dropped: every message arrives, in order', async () => {
      const alice = await ctx.register('alice');
      const bob = await ctx.register('bob');
      await joinRoom('#burst', alice, bob);
      const start = bob.received.length;
      const n = 60;
      alice.sendRaw(lines(n, (i) => `PRIVMSG #burst :burst ${i}`));
      await bob.waitFor((m) => isPrivmsg(m, 'alice', '#burst', `burst ${n - 1}`), 20_000);
      assert.deepEqual(
        privmsgTexts(bob, start),
        Array.from({ length: n }, (_, i) => `burst ${i}`),
      );
      await alice.sync();
      assert.ok(!alice.closed, 'a burst within floodQueue is not punished');
    });
  });

  describe('a persistent flooder', () => {
    const operPassword = 'correct horse battery staple';
    const ctx = useServer(async () => ({
      floodBurst: 5,
      floodRate: 5,
      floodQueue: 10,
      opers: [{ name: 'root', passwordHash: await hashPassword(operPassword) }],
    }));

    test('past floodQueue is disconnected with "Excess Flood"; the room sees why and carries on', async () => {
      const bob = await ctx.register('bob');
      const carol = await ctx.register('carol');
      const mallory = await ctx.register('mallory');
      await joinRoom('#calm', bob, carol, mallory);
      const start = bob.received.length;
      mallory.sendRaw(lines(200, (i) => `PRIVMSG #calm :spam ${i}`));

      const error = await mallory.waitFor((m) => m.command === 'ERROR', 10_000);
      assert.match(error.params[0]!, /Excess Flood/);
      await mallory.waitClosed();

      const quit = await bob.waitFor(isQuitOf('mallory'), 10_000);
      assert.match(quit.params[0]!, /Excess Flood/);
      await carol.waitFor(isQuitOf('mallory'));

      // Whatever of the flood got through before the cut arrived whole and in order.
      const got = privmsgTexts(bob, start);
      assert.ok(got.length < 200, 'the flooder was cut off before the end of the flood');
      assert.deepEqual(
        got,
        got.map((_, i) => `spam ${i}`),
      );

      await say(bob, '#calm', 'is it over?', carol);
      await say(carol, '#calm', 'yes', bob);
    });

    test('operators are exempt: an oper may paste 200 lines and all of them arrive in order', async () => {
      const bob = await ctx.register('bob2');
      const op = await ctx.register('op');
      await joinRoom('#ops', bob, op);
      op.send(`OPER root :${operPassword}`);
      await op.expect('381', 'op');
      const start = bob.received.length;
      op.sendRaw(lines(200, (i) => `PRIVMSG #ops :paste ${i}`));
      await bob.waitFor((m) => isPrivmsg(m, 'op', '#ops', 'paste 199'), 20_000);
      assert.deepEqual(
        privmsgTexts(bob, start),
        Array.from({ length: 200 }, (_, i) => `paste ${i}`),
      );
      await op.sync();
      assert.ok(!op.closed);
      assert.ok(!op.received.some((m) => m.command === 'ERROR'));
    });

    test('operators are exempt even when their paste follows a slow (async) command', async () => {
      const bob = await ctx.register('bob3');
      const op = await ctx.register('op3');
      await joinRoom('#ops3', bob, op);
      op.send(`OPER root :${operPassword}`);
      await op.expect('381', 'op3');
      const start = bob.received.length;
      op.sendRaw(`OPER root :${operPassword}\r\n` + lines(30, (i) => `PRIVMSG #ops3 :paste ${i}`));
      await bob.waitFor((m) => isPrivmsg(m, 'op3', '#ops3', 'paste 29') || isQuitOf('op3')(m), 10_000);
      assert.deepEqual(
        privmsgTexts(bob, start),
        Array.from({ length: 30 }, (_, i) => `paste ${i}`),
      );
      assert.ok(!op.closed);
    });
  });
});

describe('per-IP connection limits', () => {
  describe('concurrent connections (maxConnectionsPerIp)', () => {
    const ctx = useServer(() => ({ maxConnectionsPerIp: 3 }));

    test('one connection too many gets an ERROR naming the limit and is closed; the others carry on', async () => {
      const alice = await ctx.register('alice');
      const bob = await ctx.register('bob');
      const third = await ctx.connect();
      await joinRoom('#ip', alice, bob);

      const extra = await ctx.connect();
      const error = await extra.waitFor((m) => m.command === 'ERROR');
      assert.match(error.params[0]!, /too many connections/i);
      assert.match(error.params[0]!, /\b3\b/, 'the ERROR names the limit');
      await extra.waitClosed();

      await say(alice, '#ip', 'still here', bob);

      // When one leaves, a new connection is admitted again.
      third.send('QUIT :making room');
      await third.waitClosed();
      const carol = await ctx.register('carol');
      await carol.sync();
    });
  });

  describe('connection rate (connectRatePerIp)', () => {
    const ctx = useServer(() => ({ connectRatePerIp: 4 }));

    test('connecting too fast gets an ERROR naming the limit; established users are unaffected', async () => {
      const alice = await ctx.register('alice');
      const bob = await ctx.register('bob');
      await joinRoom('#rate', alice, bob);
      for (let i = 0; i < 2; i++) {
        const c = await ctx.connect();
        c.send('QUIT');
        await c.waitClosed();
      }
      // Four connections this minute: the fifth is refused even though only two are open.
      const extra = await ctx.connect();
      const error = await extra.waitFor((m) => m.command === 'ERROR');
      assert.match(error.params[0]!, /too fast/i);
      assert.match(error.params[0]!, /\b4\b/, 'the ERROR names the limit');
      await extra.waitClosed();

      await say(alice, '#rate', 'unaffected', bob);
      await say(bob, '#rate', 'indeed', alice);
    });
  });
});

describe('send queue (sendqBytes)', () => {
  const ctx = useServer(() => ({
    sendqBytes: 64 * 1024,
    // The flooder here is legitimate traffic volume, not flood control's business.
    floodBurst: 1_000_000,
    floodRate: 1_000_000,
    floodQueue: 1_000_000,
  }));

  test('a client that stops reading is dropped with "SendQ exceeded"; a reading client gets everything', async () => {
    const alice = await ctx.register('alice');
    const bob = await ctx.register('bob');
    const carol = await ctx.register('carol');
    await joinRoom('#firehose', alice, bob, carol);
    carol.socket.pause(); // carol's client hangs: the kernel buffers fill, then the server's queue
    alice.socket.setNoDelay(true); // each batch and its PING go out at once (no Nagle wait)

    const start = bob.received.length;
    const filler = 'x'.repeat(400);
    // Small batches, each answered before the next: one event-loop turn's fan-out stays well
    // under sendqBytes, so only a client that really stopped reading can fall behind.
    const batch = 50;
    let sent = 0;
    // Keep talking until carol is gone (bounded: ~45 MB per reader at most).
    while (!alice.received.some(isQuitOf('carol')) && sent < 100_000) {
      alice.sendRaw(lines(batch, (i) => `PRIVMSG #firehose :${sent + i} ${filler}`));
      sent += batch;
      await alice.sync();
    }
    const quit = alice.received.find(isQuitOf('carol'));
    assert.ok(quit !== undefined, `carol was never dropped after ${sent} messages`);
    assert.match(quit.params[0]!, /SendQ exceeded/);

    // bob, reading all along, got every message in order, and saw why carol left.
    await bob.waitFor((m) => isPrivmsg(m, 'alice', '#firehose', `${sent - 1} ${filler}`), 60_000);
    const got = privmsgTexts(bob, start);
    assert.equal(got.length, sent);
    for (let i = 0; i < sent; i++) {
      if (got[i] !== `${i} ${filler}`) assert.fail(`message ${i} arrived as ${got[i]?.slice(0, 20)}`);
    }
    const bobSaw = bob.received.find(isQuitOf('carol'));
    assert.match(bobSaw?.params[0] ?? '', /SendQ exceeded/);

    // carol's connection is closed once her client reads again.
    carol.socket.resume();
    await carol.waitClosed(15_000);

    await say(bob, '#firehose', 'that was a lot', alice);
  });

  test('a reading client survives one large burst whose fan-out exceeds sendqBytes within one turn', async () => {
    const alice = await ctx.register('alice2');
    const bob = await ctx.register('bob2');
    await joinRoom('#burst', alice, bob);
    const start = bob.received.length;
    const filler = 'y'.repeat(400);
    alice.sendRaw(lines(500, (i) => `PRIVMSG #burst :${i} ${filler}`)); // ~225 KB to bob, one write
    const done = await bob
      .waitFor((m) => isPrivmsg(m, 'alice2', '#burst', `499 ${filler}`), 20_000)
      .then(
        () => true,
        () => false, // closed or timed out: reported below without dumping 225 KB
      );
    const error = bob.received.find((m) => m.command === 'ERROR');
    assert.equal(error?.raw, undefined, 'bob, who reads, must not be disconnected');
    assert.ok(done && privmsgTexts(bob, start).length === 500, 'bob gets all 500 messages');
  });
});

describe('ping timeout (pingInterval/pingTimeout)', () => {
  const ctx = useServer(() => ({ pingInterval: 1, pingTimeout: 1 }));

  test('a client that never answers PING is dropped with "Ping timeout"; one that answers stays', async () => {
    const alice = await ctx.register('alice');
    const bob = await ctx.register('bob');
    const dave = await ctx.register('dave');
    const stops = [autoPong(alice), autoPong(bob)];
    try {
      await joinRoom('#pong', alice, bob, dave);

      await dave.waitFor((m) => m.command === 'PING', 10_000);
      const error = await dave.waitFor((m) => m.command === 'ERROR', 10_000);
      assert.match(error.params[0]!, /Ping timeout/);
      await dave.waitClosed();
      const quit = await alice.waitFor(isQuitOf('dave'), 10_000);
      assert.match(quit.params[0]!, /^Ping timeout/);

      // alice was pinged too, answered, and is still here well past the timeout.
      assert.ok(alice.received.some((m) => m.command === 'PING'));
      const pings = alice.received.filter((m) => m.command === 'PING').length;
      await alice.waitFor(
        () => alice.received.filter((m) => m.command === 'PING').length >= pings + 2,
        10_000,
      );
      assert.ok(!alice.closed && !bob.closed);
      await say(alice, '#pong', 'still alive', bob);
    } finally {
      for (const stop of stops) stop();
    }
  });
});

describe('registration timeout (registrationTimeout)', () => {
  const ctx = useServer(() => ({ registrationTimeout: 1 }));

  test('a connection that never registers is dropped with a reason; registered users stay', async () => {
    const alice = await ctx.register('alice');
    const silent = await ctx.connect();
    const halfway = await ctx.connect();
    halfway.send('NICK lurker'); // never sends USER

    for (const c of [silent, halfway]) {
      const error = await c.waitFor((m) => m.command === 'ERROR', 10_000);
      assert.match(error.params[0]!, /Registration timed out/i);
      await c.waitClosed();
    }
    await alice.sync();
    assert.ok(!alice.closed);
    // The nick the half-registered connection held is free again.
    const lurker = await ctx.register('lurker');
    await lurker.sync();
  });
});
