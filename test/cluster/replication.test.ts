/**
 * Two tertulia nodes on the real Redis bus form one network: people on different nodes see
 * each other in rooms, talk in them and in private, and every command answers as on one
 * server (docs/CLUSTER.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { known, startNodes, whoisUntil } from '../helpers/cluster.js';
import type { TestServer } from '../helpers/server.js';

const CAPS = ['message-tags', 'server-time', 'echo-message', 'away-notify', 'extended-join', 'multi-prefix'];

describe('two nodes, one network', () => {
  let cluster: Awaited<ReturnType<typeof startNodes>>;
  let n1: TestServer;
  let n2: TestServer;
  const clients: TestClient[] = [];

  before(async () => {
    cluster = await startNodes(2);
    [n1, n2] = cluster.nodes as [TestServer, TestServer];
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster.stop();
  });

  async function on(node: TestServer, nick: string, caps: string[] = CAPS): Promise<TestClient> {
    const c = await TestClient.register(node.port, nick, caps);
    clients.push(c);
    return c;
  }

  it('a room spans nodes: JOIN, NAMES, PRIVMSG with one msgid, TOPIC, MODE, AWAY, NICK, KICK, PART, QUIT', async () => {
    const alice = await on(n1, 'alice');
    const bob = await on(n2, 'bob');
    alice.send('JOIN #room');
    await alice.expect('366');
    // The bus is asynchronous: n2 learns of alice's JOIN a moment after she sees her 366.
    // Until then a JOIN on n2 would create the room there too (resolved later, as a netjoin
    // is), which is not what this test is about.
    await whoisUntil(bob, 'alice', (r) =>
      r.some((m) => m.command === '319' && /#room/.test(m.params.at(-1)!)),
    );
    bob.send('JOIN #room');
    const names = await bob.until((m) => m.command === '366');
    const list = names.filter((m) => m.command === '353').flatMap((m) => m.params[3]!.split(' '));
    assert.deepEqual(list.sort(), ['@alice', 'bob']);
    const joined = await alice.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('bob!') === true);
    assert.deepEqual(joined.params, ['#room', '*', 'bob Tester']); // extended-join, from the replica

    alice.send('PRIVMSG #room :hola desde n1');
    const echo = await alice.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'hola desde n1');
    const got = await bob.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'hola desde n1');
    assert.equal(got.source?.split('!')[0], 'alice');
    assert.equal(got.tags['msgid'], echo.tags['msgid'], 'one msgid across nodes');
    assert.equal(got.tags['time'], echo.tags['time'], 'one server-time across nodes');

    bob.send('PRIVMSG #room :y hola desde n2');
    assert.equal((await alice.expect('PRIVMSG', '#room', 'y hola desde n2')).source?.split('!')[0], 'bob');

    alice.send('TOPIC #room :el tema');
    await bob.expect('TOPIC', '#room', 'el tema');
    bob.send('TOPIC #room');
    await bob.expect('332', 'bob', '#room', 'el tema');

    alice.send('MODE #room +v bob');
    await bob.expect('MODE', '#room', '+v', 'bob');
    bob.send('NAMES #room');
    const after = await bob.until((m) => m.command === '366');
    const names2 = after.filter((m) => m.command === '353').flatMap((m) => m.params[3]!.split(' '));
    assert.deepEqual(names2.sort(), ['+bob', '@alice']);
    // A voiced bob may speak in a moderated room, known on his own node.
    alice.send('MODE #room +m');
    await bob.expect('MODE', '#room', '+m');
    bob.send('PRIVMSG #room :voiced');
    await alice.expect('PRIVMSG', '#room', 'voiced');

    bob.send('AWAY :comiendo');
    await alice.waitFor((m) => m.command === 'AWAY' && m.params[0] === 'comiendo');
    bob.send('AWAY');
    await alice.waitFor((m) => m.command === 'AWAY' && m.params.length === 0);

    bob.send('NICK roberto');
    await alice.waitFor((m) => m.command === 'NICK' && m.source?.startsWith('bob!') === true);
    alice.send('PRIVMSG roberto :¿eres tú?');
    await bob.expect('PRIVMSG', 'roberto', '¿eres tú?');

    alice.send('KICK #room roberto :fuera');
    const kicked = await bob.expect('KICK', '#room', 'roberto', 'fuera');
    assert.equal(kicked.source?.split('!')[0], 'alice');
    await alice.expect('KICK', '#room', 'roberto', 'fuera');
    bob.send('NAMES #room');
    const after2 = await bob.until((m) => m.command === '366');
    assert.deepEqual(
      after2.filter((m) => m.command === '353').flatMap((m) => m.params[3]!.split(' ')),
      ['@alice'],
    );

    bob.send('JOIN #room');
    await alice.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('roberto!') === true);
    bob.send('PART #room :me voy');
    await alice.waitFor((m) => m.command === 'PART' && m.params[1] === 'me voy');
    bob.send('JOIN #room');
    await alice.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('roberto!') === true);
    bob.send('QUIT :adiós');
    const quit = await alice.waitFor(
      (m) => m.command === 'QUIT' && m.source?.startsWith('roberto!') === true,
    );
    assert.equal(quit.params[0], 'Quit: adiós');
    alice.send('WHOIS roberto');
    await alice.expect('401', 'alice', 'roberto');
  });

  it('private messages, NOTICE and TAGMSG cross nodes both ways', async () => {
    const carol = await on(n1, 'carol');
    const dave = await on(n2, 'dave');
    await known(carol, 'dave');
    await known(dave, 'carol');
    carol.send('PRIVMSG dave :psst');
    const got = await dave.expect('PRIVMSG', 'dave', 'psst');
    assert.equal(got.source, 'carol!~carol@127.0.0.1');
    assert.ok(got.tags['msgid']);
    dave.send('NOTICE carol :te oigo');
    await carol.expect('NOTICE', 'carol', 'te oigo');
    dave.send('@+typing=active TAGMSG carol');
    const typing = await carol.waitFor((m) => m.command === 'TAGMSG');
    assert.equal(typing.tags['+typing'], 'active');
    // AWAY is answered from the replica on the sender's node.
    dave.send('AWAY :fuera');
    await dave.expect('306');
    carol.send('PRIVMSG dave :¿estás?');
    await carol.expect('301', 'carol', 'dave', 'fuera');
  });

  it('WHOIS, WHO, USERHOST, ISON and MONITOR answer for a user on the other node', async () => {
    const erin = await on(n1, 'erin');
    const frank = await on(n2, 'frank');
    frank.send('JOIN #whois');
    await frank.expect('366');
    // The other node learns of frank a moment later: ask until his room shows.
    const reply = await whoisUntil(erin, 'frank', (r) => r.some((m) => m.command === '319'));
    const user = reply.find((m) => m.command === '311')!;
    assert.deepEqual(user.params.slice(1, 6), ['frank', '~frank', '127.0.0.1', '*', 'frank Tester']);
    const server = reply.find((m) => m.command === '312')!;
    assert.match(server.params[3]!, /\(node n2\)$/);
    assert.ok(reply.some((m) => m.command === '319' && m.params[2]!.includes('@#whois')));
    erin.send('WHO #whois');
    const who = await erin.until((m) => m.command === '315');
    assert.deepEqual(
      who.filter((m) => m.command === '352').map((m) => m.params[5]),
      ['frank'],
    );
    erin.send('USERHOST frank');
    assert.match((await erin.expect('302')).params[1]!, /^frank=\+~frank@/);
    erin.send('ISON frank nobody');
    assert.equal((await erin.expect('303')).params[1], 'frank');
    erin.send('MONITOR + frank,gina');
    await erin.waitFor((m) => m.command === '730' && m.params[1]!.startsWith('frank!'));
    await on(n2, 'gina');
    await erin.waitFor((m) => m.command === '730' && m.params[1]!.startsWith('gina!'));
    frank.send('QUIT');
    await erin.expect('731', 'erin', 'frank');
    erin.send('LUSERS');
    const lusers = await erin.until((m) => m.command === '266');
    assert.match(lusers.find((m) => m.command === '251')!.params[1]!, /on 2 servers$/);
    assert.match(lusers.find((m) => m.command === '255')!.params[1]!, /and 1 servers$/);
    erin.send('LIST');
    const listed = await erin.until((m) => m.command === '323');
    assert.ok(
      !listed.some((m) => m.command === '322' && m.params[1] === '#whois'),
      'an emptied room is gone',
    );
  });

  it('a nick held on one node cannot be taken on the other, and INVITE lets through +i', async () => {
    const hank = await on(n1, 'hank');
    const ivy = await on(n2, 'ivy');
    await known(ivy, 'hank');
    await known(hank, 'ivy');
    const other = await TestClient.connect(n2.port);
    clients.push(other);
    other.send('NICK hank');
    await other.expect('433', '*', 'hank');
    hank.send('JOIN #closed');
    await hank.expect('366');
    hank.send('MODE #closed +i');
    await hank.expect('MODE', '#closed', '+i');
    // Once ivy's node has the room as +i (it asks until then), she is refused.
    for (;;) {
      ivy.send('JOIN #closed');
      const r = await ivy.waitFor((m) => m.command === '473' || m.command === '366');
      if (r.command === '473') break;
      ivy.send('PART #closed');
      await ivy.expect('PART');
      await new Promise((res) => setTimeout(res, 20));
    }
    hank.send('INVITE ivy #closed');
    await hank.expect('341', 'hank', 'ivy', '#closed');
    await ivy.expect('INVITE', 'ivy', '#closed');
    ivy.send('JOIN #closed');
    await ivy.expect('366');
    await hank.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('ivy!') === true);
  });
});
