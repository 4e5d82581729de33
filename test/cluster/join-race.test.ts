/**
 * A member who has joined receives every message sent to the room after their JOIN was
 * acknowledged, whichever node it was sent on (issue 14, item 4). The JOIN is acknowledged
 * by the joiner's own node at once; the other node learns of the new member only when the
 * join event has crossed Redis, so a node must not decide from its replica alone that a room
 * has nobody elsewhere.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { known, redisClient, startNodes } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/server.js';

describe('messages right after a JOIN on another node', () => {
  let cluster: Awaited<ReturnType<typeof startNodes>>;
  let n1: TestServer;
  let n2: TestServer;
  const clients: TestClient[] = [];
  const redis = redisClient();

  before(async () => {
    cluster = await startNodes(2);
    [n1, n2] = cluster.nodes as [TestServer, TestServer];
  });

  after(async () => {
    for (const c of clients) c.close();
    redis.disconnect();
    await cluster.stop();
  });

  async function on(node: TestServer, nick: string): Promise<TestClient> {
    const c = await TestClient.register(node.port, nick);
    clients.push(c);
    return c;
  }

  for (const [joinerNode, speakerNode] of [
    ['n1', 'n2'],
    ['n2', 'n1'],
  ] as const) {
    it(`a member joining on ${joinerNode} sees what is said on ${speakerNode} right after the JOIN, even while the join event is held up on the bus`, async () => {
      const nodes = { n1, n2 };
      const speaker = await on(nodes[speakerNode], `sp${joinerNode}`);
      const joiner = await on(nodes[joinerNode], `jo${joinerNode}`);
      await known(speaker, joiner.nick);
      const room = `#held-${joinerNode}`;
      speaker.send(`JOIN ${room}`);
      await speaker.expect('366');
      // Hold every publish for a moment: the joiner's node acknowledges the JOIN, and the
      // speaker talks, before the speaker's node has heard of the new member.
      await redis.call('CLIENT', 'PAUSE', '500', 'WRITE');
      joiner.send(`JOIN ${room}`);
      await joiner.expect('366');
      speaker.send(`PRIVMSG ${room} :right after your join`);
      await joiner.expect('PRIVMSG', room, 'right after your join');
    });
  }

  it('under load with a slow bus: 40 rooms at once, each joined on one node and spoken in on the other right after the JOIN, both ways; every message arrives', async () => {
    const rounds = 20;
    const pairs = await Promise.all(
      Array.from({ length: rounds * 2 }, async (_, i) => {
        const [jNode, sNode] = i % 2 === 0 ? [n1, n2] : [n2, n1];
        const joiner = await on(jNode, `lj${i}`);
        const speaker = await on(sNode, `ls${i}`);
        return { joiner, speaker, room: `#load-${i}` };
      }),
    );
    for (const { speaker, room } of pairs) speaker.send(`JOIN ${room}`);
    await Promise.all(pairs.map(({ speaker }) => speaker.expect('366')));
    await Promise.all(pairs.map(({ joiner, speaker }) => known(speaker, joiner.nick)));
    // The bus is slow for a moment (as under load): publishes wait in Redis.
    await redis.call('CLIENT', 'PAUSE', '300', 'WRITE');
    // Every joiner joins at once; each speaker sends 5 lines the moment its joiner has the ack.
    for (const { joiner, room } of pairs) joiner.send(`JOIN ${room}`);
    await Promise.all(
      pairs.map(async ({ joiner, speaker, room }) => {
        await joiner.expect('366');
        for (let k = 0; k < 5; k++) speaker.send(`PRIVMSG ${room} :line ${k}`);
      }),
    );
    await Promise.all(
      pairs.map(async ({ joiner, room }) => {
        await joiner.expect('PRIVMSG', room, 'line 4');
        const got = joiner.received
          .filter((m) => m.command === 'PRIVMSG' && m.params[0] === room)
          .map((m) => m.params[1]);
        assert.deepEqual(got, ['line 0', 'line 1', 'line 2', 'line 3', 'line 4'], room);
      }),
    );
  });
});
