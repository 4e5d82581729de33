/**
 * Channel modes +e, +I and +C (modern.ircdocs.horse §Ban Exception, §Invite Exception) hold on
 * every node of a cluster: a member joining or speaking on another node is judged by that
 * node's replica of the room, which applies the MODE lines the first node sent, or, for a
 * node that joins the bus later, the room's state in the first node's burst.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { freshPrefix, startNode, startNodes } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/server.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/**
 * Asks again (the bus is asynchronous) until `check` holds; fails after 200 tries. A pause
 * between tries (as whoisUntil has): a local answer comes back far sooner than the bus
 * delivers, so 200 quick tries could end before the event arrives on a loaded machine.
 */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the other node never applied the change');
}

describe('channel lists across nodes', () => {
  it('+e and +I set on one node let a user on another join; +C set on one node refuses CTCP on another', async () => {
    const c = await startNodes(2);
    cleanups.push(() => c.stop());
    const [n1, n2] = c.nodes as [TestServer, TestServer];
    const alice = await TestClient.register(n1.port, 'alice');
    const bob = await TestClient.register(n2.port, 'bob');
    const carol = await TestClient.register(n2.port, 'carol');
    cleanups.push(async () => {
      for (const x of [alice, bob, carol]) x.close();
    });
    alice.send('JOIN #lists');
    await alice.expect('366');
    alice.send('MODE #lists +b *!*@127.0.0.1');
    alice.send('MODE #lists +e bob!*@*');
    alice.send('MODE #lists +C');
    await alice.expect('MODE', '#lists', '+C');
    // Every MODE reached node 2 once carol, on node 2, sees the room with +C. Until node 2 has
    // heard of the room at all, it answers 403 (RFC 2812 §3.2.3): ask again.
    await until(async () => {
      carol.send('MODE #lists');
      const got = await carol.until((m) => m.command === '324' || m.command === '403');
      return got.some((m) => m.command === '324' && m.params[2]!.includes('C'));
    });
    carol.send('JOIN #lists');
    await carol.expect('474', 'carol', '#lists');
    bob.send('JOIN #lists');
    await bob.expect('366', 'bob', '#lists');
    bob.send('PRIVMSG #lists :\x01VERSION\x01');
    await bob.expect('404', 'bob', '#lists');
    bob.send('PRIVMSG #lists :hola');
    await alice.expect('PRIVMSG', '#lists', 'hola');

    alice.send('JOIN #invex');
    await alice.expect('366', 'alice', '#invex');
    alice.send('MODE #invex +i');
    alice.send('MODE #invex +I carol');
    await alice.expect('MODE', '#invex', '+I');
    await until(async () => {
      carol.send('MODE #invex I');
      const got = await carol.until((m) => m.command === '347' || m.command === '403');
      return got.some((m) => m.command === '346');
    });
    carol.send('JOIN #invex');
    await carol.expect('366', 'carol', '#invex');
  });

  it('a node that joins the bus after +e, +I and +C were set learns them from the burst', async () => {
    const prefix = freshPrefix();
    const n1 = await startNode(prefix, 'n1');
    cleanups.push(() => n1.stop());
    const alice = await TestClient.register(n1.port, 'alice');
    cleanups.push(async () => alice.close());
    alice.send('JOIN #burst');
    await alice.expect('366', 'alice', '#burst');
    alice.send('MODE #burst +b *!*@127.0.0.1');
    alice.send('MODE #burst +e bob!*@*');
    alice.send('MODE #burst +C');
    await alice.expect('MODE', '#burst', '+C');
    alice.send('JOIN #burstinv');
    await alice.expect('366', 'alice', '#burstinv');
    alice.send('MODE #burstinv +i');
    alice.send('MODE #burstinv +I carol!*@*');
    await alice.expect('MODE', '#burstinv', '+I');

    // Node 2 starts now: all it knows of the rooms is node 1's burst.
    const n2 = await startNode(prefix, 'n2');
    cleanups.push(() => n2.stop());
    const bob = await TestClient.register(n2.port, 'bob');
    const carol = await TestClient.register(n2.port, 'carol');
    const dave = await TestClient.register(n2.port, 'dave');
    cleanups.push(async () => {
      for (const x of [bob, carol, dave]) x.close();
    });
    await until(async () => {
      carol.send('MODE #burst');
      const got = await carol.until((m) => m.command === '324' || m.command === '403');
      return got.some((m) => m.command === '324');
    });
    carol.send('MODE #burst');
    const modes = await carol.expect('324');
    assert.match(modes.params[2]!, /C/, 'the burst carries +C');
    carol.send('MODE #burst e');
    const exceptions = await carol.until((m) => m.command === '349');
    assert.deepEqual(
      exceptions.filter((m) => m.command === '348').map((m) => m.params[2]),
      ['bob!*@*'],
    );
    carol.send('JOIN #burst');
    await carol.expect('474', 'carol', '#burst');
    bob.send('JOIN #burst');
    await bob.expect('366', 'bob', '#burst');
    bob.send('PRIVMSG #burst :\x01VERSION\x01');
    await bob.expect('404', 'bob', '#burst');

    dave.send('JOIN #burstinv');
    await dave.expect('473', 'dave', '#burstinv');
    carol.send('JOIN #burstinv');
    await carol.expect('366', 'carol', '#burstinv');
  });
});
