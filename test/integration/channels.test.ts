import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('rooms (channels)', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  const reg = async (nick: string, caps: string[] = []): Promise<TestClient> => {
    const c = await TestClient.register(srv.port, nick, caps);
    clients.push(c);
    return c;
  };
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    for (const c of clients) c.close();
    await srv.stop();
  });

  test('RFC 2812 §3.2.1: JOIN several rooms at once; the first joiner is operator; NAMES and 366 follow', async () => {
    const a = await reg('joinerA');
    a.send('JOIN #j1,#j2');
    const j1 = await a.expect('JOIN', '#j1');
    assert.equal(j1.source, 'joinerA!~joinera@127.0.0.1');
    const names = await a.expect('353', 'joinerA', '=', '#j1');
    assert.equal(names.params[3], '@joinerA');
    await a.expect('366', 'joinerA', '#j1');
    await a.expect('JOIN', '#j2');
    const b = await reg('joinerB');
    b.send('JOIN #J1'); // case-insensitive: the same room
    const names2 = await b.expect('353');
    assert.equal(names2.params[2], '#j1');
    assert.deepEqual(names2.params[3]!.split(' ').sort(), ['@joinerA', 'joinerB']);
    const seen = await a.expect('JOIN', '#j1');
    assert.equal(seen.source?.split('!')[0], 'joinerB');
  });

  test('presence announcements keep their order: a JOIN or QUIT is never overtaken by what follows it', async () => {
    // Joins and quits are coalesced into fewer socket writes (LAZY_FLUSH_MS), but a member
    // must still see someone join before they speak, and leave before the nick comes back.
    const watcher = await reg('orderW');
    watcher.send('JOIN #order');
    await watcher.expect('366', 'orderW', '#order');
    const speaker = await reg('orderS');
    speaker.send('JOIN #order');
    speaker.send('PRIVMSG #order :first words');
    await watcher.expect('PRIVMSG', '#order', 'first words');
    const lines = watcher.received.map((m) => `${m.command} ${m.source?.split('!')[0] ?? ''}`);
    const join = lines.indexOf('JOIN orderS');
    assert.ok(join >= 0 && join < lines.indexOf('PRIVMSG orderS'), lines.join(' | '));

    speaker.send('QUIT :bye');
    await speaker.expect('ERROR'); // the server is done with it; the watcher's QUIT may still wait
    const again = await reg('orderS');
    again.send('JOIN #order');
    await watcher.waitFor(
      (m) => m.command === 'JOIN' && m.source!.startsWith('orderS!') && m !== watcher.received[join],
    );
    const after = watcher.received.map((m) => `${m.command} ${m.source?.split('!')[0] ?? ''}`);
    assert.ok(after.lastIndexOf('QUIT orderS') < after.lastIndexOf('JOIN orderS'), after.join(' | '));
  });

  test('JOIN 0 parts every room; PART with a reason is seen by every member', async () => {
    const a = await reg('parterA');
    const b = await reg('parterB');
    a.send('JOIN #p1,#p2');
    await a.expect('366', 'parterA', '#p2');
    b.send('JOIN #p1,#p2');
    await b.expect('366', 'parterB', '#p2');
    a.send('PART #p1 :going home');
    const part = await b.expect('PART', '#p1');
    assert.equal(part.params[1], 'going home');
    await a.expect('PART', '#p1', 'going home');
    b.send('JOIN 0');
    await b.expect('PART', '#p1');
    await b.expect('PART', '#p2');
    await a.expect('PART', '#p2');
    a.send('PART #nope');
    await a.expect('403');
    b.send('JOIN #p3');
    await b.expect('366');
    a.send('PART #p3');
    await a.expect('442');
  });

  test('an empty room disappears: a later joiner becomes its operator and the topic is gone', async () => {
    const a = await reg('emptyA');
    a.send('JOIN #ephemeral');
    await a.expect('366');
    a.send('TOPIC #ephemeral :old topic');
    await a.expect('TOPIC');
    a.send('PART #ephemeral');
    await a.expect('PART');
    a.send('LIST #ephemeral');
    const rows = await a.until((m) => m.command === '323');
    assert.ok(!rows.some((m) => m.command === '322'), 'the empty room is gone from LIST');
    const b = await reg('emptyB');
    b.send('JOIN #ephemeral');
    const burst = await b.until((m) => m.command === '366');
    assert.equal(burst.find((m) => m.command === '353')?.params[3], '@emptyB');
    assert.ok(!burst.some((m) => m.command === '332'), 'no old topic');
  });

  test('RFC 2812 §3.2.4: TOPIC sets, shows 332 + 333 to joiners, and +t restricts it to operators', async () => {
    const op = await reg('topicOp');
    const user = await reg('topicUser');
    op.send('JOIN #topic');
    await op.expect('366');
    op.send('TOPIC #topic :Welcome, everyone');
    await op.expect('TOPIC', '#topic', 'Welcome, everyone');
    user.send('JOIN #topic');
    assert.equal((await user.expect('332', 'topicUser', '#topic')).params[2], 'Welcome, everyone');
    const who = await user.expect('333', 'topicUser', '#topic');
    assert.equal(who.params[2], 'topicOp!~topicop@127.0.0.1');
    assert.match(who.params[3]!, /^\d+$/);
    user.send('TOPIC #topic :mine now');
    await user.expect('482');
    user.send('TOPIC #topic');
    await user.expect('332');
    op.send('MODE #topic -t');
    await user.expect('MODE', '#topic', '-t');
    user.send('TOPIC #topic :mine now');
    await op.expect('TOPIC', '#topic', 'mine now');
  });

  test('LIST shows rooms with user counts and topics, and honours ELIST filters (>n <n masks)', async () => {
    const a = await reg('listerA');
    const b = await reg('listerB');
    a.send('JOIN #big,#small');
    await a.expect('366', 'listerA', '#small');
    b.send('JOIN #big');
    await b.expect('366');
    a.send('TOPIC #big :the big room');
    await a.expect('TOPIC');
    a.send('LIST');
    const rows = (await a.until((m) => m.command === '323')).filter((m) => m.command === '322');
    const big = rows.find((r) => r.params[1] === '#big');
    assert.ok(big, 'LIST shows #big');
    assert.equal(big.params[2], '2');
    assert.match(big.params[3]!, /the big room/);
    const listed = async (query: string): Promise<string[]> => {
      a.send(`LIST ${query}`);
      const reply = await a.until((m) => m.command === '323');
      return reply.filter((m) => m.command === '322').map((m) => m.params[1]!);
    };
    // Other tests share this server, so check what is in and out rather than exact lists.
    const many = await listed('>1');
    assert.ok(many.includes('#big') && !many.includes('#small'));
    assert.deepEqual(await listed('*sma*'), ['#small']);
    const filtered = await listed('!#big,<5');
    assert.ok(filtered.includes('#small') && !filtered.includes('#big'));
  });

  test('RFC 2812 §3.2.8: KICK removes a member, everyone sees it with the reason; non-ops get 482', async () => {
    const op = await reg('kickOp');
    const victim = await reg('kickVictim');
    const watcher = await reg('kickWatch');
    op.send('JOIN #kick');
    await op.expect('366');
    victim.send('JOIN #kick');
    await victim.expect('366');
    watcher.send('JOIN #kick');
    await watcher.expect('366');
    watcher.send('KICK #kick kickVictim :no');
    await watcher.expect('482');
    op.send('KICK #kick kickVictim :behave');
    const k = await watcher.expect('KICK', '#kick', 'kickVictim');
    assert.equal(k.params[2], 'behave');
    await victim.expect('KICK', '#kick', 'kickVictim', 'behave');
    op.send('KICK #kick kickVictim');
    await op.expect('441');
    victim.send('PRIVMSG #kick :still here?');
    await victim.expect('404');
  });

  test('RFC 2812 §3.2.7: INVITE lets a user into a +i room; others get 473', async () => {
    const op = await reg('invOp');
    const guest = await reg('invGuest');
    const stranger = await reg('invStranger');
    op.send('JOIN #private');
    await op.expect('366');
    op.send('MODE #private +i');
    await op.expect('MODE', '#private', '+i');
    stranger.send('JOIN #private');
    await stranger.expect('473');
    op.send('INVITE invGuest #private');
    await op.expect('341', 'invOp', 'invGuest', '#private');
    const inv = await guest.expect('INVITE', 'invGuest', '#private');
    assert.equal(inv.source?.split('!')[0], 'invOp');
    guest.send('JOIN #private');
    await guest.expect('366');
    op.send('INVITE invGuest #private');
    await op.expect('443');
    op.send('INVITE nobody #private');
    await op.expect('401');
  });

  test('RFC 2812 §3.2.3: channel keys (+k), limits (+l), moderation (+m) and no external messages (+n)', async () => {
    const op = await reg('modeOp');
    const u1 = await reg('modeU1');
    const u2 = await reg('modeU2');
    op.send('JOIN #modes');
    await op.expect('366');
    op.send('MODE #modes +kl sesame 2');
    const m = await op.expect('MODE', '#modes');
    assert.deepEqual(m.params.slice(1), ['+kl', 'sesame', '2']);
    u1.send('JOIN #modes');
    await u1.expect('475');
    u1.send('JOIN #modes wrong');
    await u1.expect('475');
    u1.send('JOIN #modes sesame');
    await u1.expect('366');
    u2.send('JOIN #modes sesame');
    await u2.expect('471');
    u2.send('PRIVMSG #modes :from outside');
    await u2.expect('404'); // +n is on by default
    op.send('MODE #modes +m');
    await u1.expect('MODE', '#modes', '+m');
    u1.send('PRIVMSG #modes :can I talk?');
    await u1.expect('404');
    op.send('MODE #modes +v modeU1');
    await u1.expect('MODE', '#modes', '+v', 'modeU1');
    u1.send('PRIVMSG #modes :now I can');
    await op.expect('PRIVMSG', '#modes', 'now I can');
    op.send('MODE #modes');
    const is = await op.expect('324', 'modeOp', '#modes');
    assert.deepEqual(is.params.slice(2), ['+mntkl', 'sesame', '2']);
    await op.expect('329');
    u2.send('MODE #modes');
    const hidden = await u2.expect('324');
    assert.equal(hidden.params[3], '*', 'non-members do not see the key');
  });

  test('bans (+b) with wildcards keep matching users out and silence members; 367/368 list them', async () => {
    const op = await reg('banOp');
    const bad = await reg('banBad');
    op.send('JOIN #bans');
    await op.expect('366');
    bad.send('JOIN #bans');
    await bad.expect('366');
    op.send('MODE #bans +b banB*');
    const set = await op.expect('MODE', '#bans', '+b');
    assert.equal(set.params[2], 'banB*!*@*');
    bad.send('PRIVMSG #bans :hi');
    await bad.expect('404');
    bad.send('PART #bans');
    await bad.expect('PART');
    bad.send('JOIN #bans');
    await bad.expect('474');
    op.send('MODE #bans +b');
    const entry = await op.expect('367', 'banOp', '#bans', 'banB*!*@*');
    assert.equal(entry.params[3], 'banOp!~banop@127.0.0.1');
    await op.expect('368');
    op.send('MODE #bans -b banB*!*@*');
    await op.expect('MODE', '#bans', '-b', 'banB*!*@*');
    bad.send('JOIN #bans');
    await bad.expect('366');
  });

  test('+s hides a room from LIST and NAMES for non-members; +o can be given and taken', async () => {
    const op = await reg('secOp');
    const other = await reg('secOther');
    op.send('JOIN #secret');
    await op.expect('366');
    op.send('MODE #secret +s');
    await op.expect('MODE');
    other.send('LIST');
    const rows = await other.until((m) => m.command === '323');
    assert.ok(!rows.some((m) => m.command === '322' && m.params[1] === '#secret'));
    other.send('NAMES #secret');
    const names = await other.until((m) => m.command === '366');
    assert.ok(!names.some((m) => m.command === '353'));
    other.send('JOIN #secret');
    await other.expect('366');
    op.send('MODE #secret +o secOther');
    await other.expect('MODE', '#secret', '+o', 'secOther');
    other.send('MODE #secret -o secOp');
    await op.expect('MODE', '#secret', '-o', 'secOp');
    op.send('MODE #secret +t');
    await op.expect('482');
    op.send('MODE #secret +q');
    await op.expect('472');
  });
});
