/**
 * The JOIN replay for clients without draft/chathistory (src/core/replay.ts), over real
 * sockets: original times (IRCv3 server-time §"time" tag, or a visible [HH:MM] for clients
 * without it), a frame saying it is history, nothing shown twice to a connection, an
 * account sees only what came after its last presence, guests get none by default.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ROOMS_REMEMBERED } from '../../src/core/replay.js';
import { connectWithSasl } from '../accounts/helpers.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('join-time history replay', () => {
  const servers: TestServer[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) await s.stop().catch(() => {});
  });
  const start = async (o: Parameters<typeof startServer>[0] = {}): Promise<TestServer> => {
    const srv = await startServer(o);
    servers.push(srv);
    return srv;
  };
  const reg = async (srv: TestServer, nick: string, caps: string[] = []): Promise<TestClient> => {
    const c = await TestClient.register(srv.port, nick, caps);
    clients.push(c);
    return c;
  };
  const login = async (
    srv: TestServer,
    nick: string,
    account: string,
    caps: string[] = [],
  ): Promise<TestClient> => {
    const { client, result } = await connectWithSasl(
      srv.port,
      nick,
      'PLAIN',
      account,
      `secret-${account}`,
      caps,
    );
    clients.push(client);
    assert.equal(result.outcome.command, '903', result.outcome.raw);
    return client;
  };
  /** Joins and returns what came between the end of NAMES and a PONG: the replay, if any. */
  const joinAndRead = async (c: TestClient, room: string): Promise<Received[]> => {
    c.send(`JOIN ${room}`);
    await c.expect('366');
    c.send('PING replay-done');
    const lines = await c.until((m) => m.command === 'PONG' && m.params.at(-1) === 'replay-done');
    // ChanServ's notice about an unregistered room is not part of the replay.
    return lines.filter(
      (m) => (m.command === 'PRIVMSG' || m.command === 'NOTICE') && !m.source?.startsWith('ChanServ!'),
    );
  };
  const say = async (c: TestClient, room: string, texts: string[]): Promise<void> => {
    for (const t of texts) c.send(`PRIVMSG ${room} :${t}`);
    await c.sync();
  };

  test('a guest gets no replay by default; with --history-replay-guests it gets the framed last lines with a visible [HH:MM]', async () => {
    for (const guests of [false, true]) {
      const srv = await start({ historyReplay: 3, historyReplayGuests: guests });
      const talker = await reg(srv, 'talker');
      talker.send('JOIN #r');
      await talker.expect('366');
      await say(talker, '#r', ['one', 'two', 'three', 'four']);
      const plain = await reg(srv, 'plain');
      const got = await joinAndRead(plain, '#r');
      if (!guests) {
        assert.deepEqual(got, [], 'no replay for a guest by default');
        continue;
      }
      const texts = got.map((m) => m.params[1]!);
      assert.match(
        texts[0]!,
        /^--- History of #r: the last 3 messages; earlier ones with \/history or CHATHISTORY/,
      );
      assert.equal(got[0]!.command, 'NOTICE');
      assert.deepEqual(
        texts.slice(1, -1).map((t) => t.replace(/^\[\d\d:\d\d\] /, '')),
        ['two', 'three', 'four'],
      );
      for (const t of texts.slice(1, -1)) assert.match(t, /^\[\d\d:\d\d\] /, 'the original time, visibly');
      assert.equal(texts.at(-1), '--- End of history ---');
    }
  });

  test('with server-time the lines keep their text and carry their original time; a re-join replays only what was missed', async () => {
    const srv = await start({ historyReplay: 20, historyReplayGuests: true });
    const talker = await reg(srv, 'talker2');
    talker.send('JOIN #t');
    await talker.expect('366');
    await say(talker, '#t', ['old one', 'old two']);
    const sent = Date.now();
    const w = await reg(srv, 'weechat', ['server-time', 'batch']);
    const first = await joinAndRead(w, '#t');
    const bodies = first.filter((m) => m.command === 'PRIVMSG');
    assert.deepEqual(
      bodies.map((m) => m.params[1]),
      ['old one', 'old two'],
    );
    for (const m of bodies) {
      const t = Date.parse(m.tags['time'] ?? '');
      assert.ok(t <= sent, `original time, not the time of the join: ${m.raw}`);
    }
    // Seen live while there; then away for a while, and back.
    await say(talker, '#t', ['live while there']);
    w.send('PART #t');
    await w.expect('PART');
    await say(talker, '#t', ['while away']);
    const again = await joinAndRead(w, '#t');
    assert.deepEqual(
      again.map((m) => m.params[1]),
      ['while away'],
      'nothing shown twice; the chathistory batch is the frame',
    );
    // Nothing new: a third join replays nothing at all.
    w.send('PART #t');
    await w.expect('PART');
    assert.deepEqual(await joinAndRead(w, '#t'), []);
  });

  test('an account that comes back gets only what came after its last presence', async () => {
    // Without always-on, so leaving takes the account out of the room (with it the account
    // stays and a returning device catches up: test/accounts/catch-up.test.ts).
    const srv = await start({ historyReplay: 20, alwaysOn: false });
    await TestClient.registerAccount(srv.port, 'ana');
    const talker = await reg(srv, 'talker3');
    talker.send('JOIN #a');
    await talker.expect('366');
    await say(talker, '#a', ['before ana']);
    const ana = await login(srv, 'ana', 'ana');
    const firstTime = await joinAndRead(ana, '#a');
    assert.deepEqual(
      firstTime.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]!.slice(8)),
      ['before ana'],
    );
    ana.send('QUIT :bye');
    await ana.waitClosed();
    await say(talker, '#a', ['while ana was gone']);
    const back = await login(srv, 'ana', 'ana');
    const replay = await joinAndRead(back, '#a');
    assert.deepEqual(
      replay.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]!.replace(/^\[\d\d:\d\d\] /, '')),
      ['while ana was gone'],
    );
  });

  test('what a connection was shown is remembered for at most ROOMS_REMEMBERED rooms: a client cycling through ever-new rooms cannot grow it, the room forgotten first replays its latest lines again', async () => {
    const srv = await start({
      historyReplay: 20,
      historyReplayGuests: true,
      floodBurst: 100_000,
      floodRate: 100_000,
    });
    const talker = await reg(srv, 'talker4');
    talker.send('JOIN #kept');
    await talker.expect('366');
    await say(talker, '#kept', ['una', 'dos']);
    const w = await reg(srv, 'cycler');
    assert.equal((await joinAndRead(w, '#kept')).filter((m) => m.command === 'PRIVMSG').length, 2);
    w.send('PART #kept');
    await w.expect('PART');
    // Remembered: nothing new, nothing replayed.
    assert.deepEqual(await joinAndRead(w, '#kept'), []);
    w.send('PART #kept');
    await w.expect('PART');
    // In batches, each waited for, so flood control (bounded backlog) lets them all through.
    for (let i = 0; i < ROOMS_REMEMBERED; i += 20) {
      for (let j = i; j < i + 20; j++) w.send(`JOIN #r${j}\r\nPART #r${j}`);
      w.send(`PING cycled-${i}`);
      await w.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === `cycled-${i}`, 30_000);
    }
    // #kept was the room least recently noted, so it is the one forgotten.
    const again = await joinAndRead(w, '#kept');
    assert.deepEqual(
      again.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]!.replace(/^\[\d\d:\d\d\] /, '')),
      ['una', 'dos'],
    );
  });
});
