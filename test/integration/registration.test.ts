import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

describe('registration and names', () => {
  let srv: TestServer;
  const clients: TestClient[] = [];
  const track = (c: TestClient): TestClient => {
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

  test('RFC 2812 §3.1: NICK + USER registers with 001-005, LUSERS and the default MOTD greeting', async () => {
    const c = track(await TestClient.connect(srv.port));
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice Liddell');
    const welcome = await c.expect('001', 'alice');
    assert.match(welcome.params[1]!, /Welcome to the tertulia IRC Network, alice!~alice@127\.0\.0\.1/);
    await c.expect('002');
    await c.expect('003');
    const myinfo = await c.expect('004');
    assert.equal(myinfo.params[1], 'tertulia.local');
    await c.expect('005');
    await c.expect('251');
    const motd = await c.waitFor(
      (m) => m.command === '372' && m.params[1]!.includes('best chat in the universe'),
    );
    assert.equal(motd.params[1], '- Welcome to the best chat in the universe, alice!');
    await c.expect('376');
  });

  test('ISUPPORT advertises every token a client needs, accurately', async () => {
    const c = track(await TestClient.connect(srv.port));
    c.send('NICK isupp');
    c.send('USER i 0 * :I');
    await c.expect('376');
    const tokens = new Map<string, string>();
    for (const m of c.received.filter((x) => x.command === '005')) {
      for (const t of m.params.slice(1, -1)) {
        const [k, v] = t.split('=', 2) as [string, string | undefined];
        tokens.set(k, v ?? '');
      }
      assert.ok(Buffer.byteLength(m.raw) <= 510, '005 line fits in 512 bytes');
    }
    const expected: Record<string, string> = {
      CASEMAPPING: 'ascii',
      CHANTYPES: '#',
      PREFIX: '(ov)@+',
      CHANMODES: 'beI,k,l,Cimnst',
      EXCEPTS: 'e',
      INVEX: 'I',
      EXTBAN: ',am',
      BOT: 'B',
      NICKLEN: String(srv.config.nickLen),
      CHANNELLEN: String(srv.config.channelLen),
      TOPICLEN: String(srv.config.topicLen),
      KICKLEN: String(srv.config.kickLen),
      AWAYLEN: String(srv.config.awayLen),
      MODES: String(srv.config.maxModes),
      NETWORK: 'tertulia',
      MONITOR: String(srv.config.maxMonitor),
      ELIST: 'CMNTU',
      UTF8ONLY: '',
      WHOX: '',
    };
    for (const [k, v] of Object.entries(expected)) assert.equal(tokens.get(k), v, `ISUPPORT ${k}`);
    assert.match(tokens.get('TARGMAX')!, /PRIVMSG:4/);
  });

  test('IRCv3 capability negotiation: registration waits for CAP END', async () => {
    const c = track(await TestClient.connect(srv.port));
    c.send('CAP LS 302');
    c.send('NICK capwait');
    c.send('USER c 0 * :C');
    await c.expect('CAP', '*', 'LS');
    await c.sync();
    assert.ok(!c.received.some((m) => m.command === '001'), 'no 001 before CAP END');
    c.send('CAP END');
    await c.expect('001');
  });

  test('RFC 2812 §3.1.2: invalid nicks get 432, taken nicks 433, case-insensitively (CASEMAPPING=ascii)', async () => {
    const a = track(await TestClient.register(srv.port, 'Taken'));
    const b = track(await TestClient.connect(srv.port));
    for (const bad of [
      '1abc',
      '-dash',
      'has space',
      'a,b',
      'star*',
      'a!b',
      'x'.repeat(srv.config.nickLen + 1),
    ]) {
      b.send(`NICK :${bad}`);
      const err = await b.expect('432');
      // A middle parameter cannot hold a space, so the reply names the first word.
      assert.equal(err.params[1], bad.split(' ')[0]);
    }
    b.send('NICK tAKEN');
    const inUse = await b.expect('433', '*', 'tAKEN');
    assert.match(inUse.params[2]!, /already in use/);
    b.send('NICK untaken');
    b.send('USER u 0 * :U');
    await b.expect('001', 'untaken');
    a.send('NICK TAKEN'); // a case change of one's own nick is allowed
    await a.expect('NICK', 'TAKEN');
  });

  test('NICK changes are seen by everyone sharing a room, once each', async () => {
    const a = track(await TestClient.register(srv.port, 'nickA'));
    const b = track(await TestClient.register(srv.port, 'nickB'));
    a.send('JOIN #n1,#n2');
    b.send('JOIN #n1,#n2');
    await b.expect('366', 'nickB', '#n2');
    a.mark();
    b.mark();
    a.send('NICK nickA2');
    await a.expect('NICK', 'nickA2');
    b.send('PING done');
    const got = await b.until((m) => m.command === 'PONG');
    const nicks = got.filter((m) => m.command === 'NICK');
    assert.equal(nicks.length, 1, 'one NICK line for two shared rooms');
    assert.equal(nicks[0]!.source, 'nickA!~nicka@127.0.0.1');
    assert.equal(nicks[0]!.params[0], 'nickA2');
  });

  test('a server password (PASS) is required when configured; wrong one gets 464 and a disconnect', async () => {
    const locked = await startServer({ serverPassword: 's3cret' });
    try {
      const bad = await TestClient.connect(locked.port);
      bad.send('PASS wrong');
      bad.send('NICK p1');
      bad.send('USER p 0 * :P');
      await bad.expect('464');
      await bad.expect('ERROR');
      await bad.waitClosed();
      const good = await TestClient.connect(locked.port);
      good.send('PASS s3cret');
      good.send('NICK p2');
      good.send('USER p 0 * :P');
      await good.expect('001');
      good.close();
    } finally {
      await locked.stop();
    }
  });

  test('a custom MOTD file is served, with {nick} replaced; an empty one gives 422', async () => {
    const file = join(srv.config.dataDir, 'motd.txt');
    writeFileSync(file, 'Hola {nick}!\nSecond line\n');
    const custom = await startServer({ motdFile: file });
    const empty = join(srv.config.dataDir, 'empty.txt');
    writeFileSync(empty, '');
    const none = await startServer({ motdFile: empty });
    try {
      const c = await TestClient.connect(custom.port);
      c.send('NICK motdy');
      c.send('USER m 0 * :M');
      assert.equal((await c.expect('372')).params[1], '- Hola motdy!');
      assert.equal((await c.expect('372')).params[1], '- Second line');
      c.close();
      const d = await TestClient.connect(none.port);
      d.send('NICK nomotd');
      d.send('USER m 0 * :M');
      await d.expect('422');
      d.close();
    } finally {
      await custom.stop();
      await none.stop();
    }
  });

  test('USER after registration gets 462; QUIT gets ERROR and others see the reason', async () => {
    const a = track(await TestClient.register(srv.port, 'quitter'));
    const b = track(await TestClient.register(srv.port, 'stayer'));
    a.send('USER again 0 * :Again');
    await a.expect('462');
    a.send('JOIN #bye');
    await a.expect('366');
    b.send('JOIN #bye');
    await b.expect('366');
    a.send('QUIT :chao');
    const err = await a.expect('ERROR');
    assert.match(err.params[0]!, /Quit: chao/);
    const quit = await b.expect('QUIT');
    assert.equal(quit.source?.split('!')[0], 'quitter');
    assert.equal(quit.params[0], 'Quit: chao');
    await a.waitClosed();
  });

  test('the console shows connects and disconnects with the reason (seed 002)', async () => {
    const c = await TestClient.register(srv.port, 'logged');
    c.send('QUIT :see you');
    await c.waitClosed();
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(srv.logs.includes('[SERVER] Client: logged connected!'), srv.logs.join('\n'));
    assert.ok(srv.logs.includes('[SERVER] Client: logged disconnected (Quit: see you)'), srv.logs.join('\n'));
  });
  test('a long nick, username, realname and away message are kept intact (RFC 2812 §3.1.3, §4.1)', async () => {
    // They are kept as copies of their lines' text (src/core/own-copy.ts): what WHOIS shows
    // later must be exactly what was sent, multi-byte characters included.
    const c = track(await TestClient.connect(srv.port));
    const nick = 'Longnick_of_twenty9';
    const realname = 'Ada Lovelace, née Byron 😀 — analytical engine';
    c.send(`NICK ${nick}`);
    c.send(`USER lovelace12345 0 * :${realname}`);
    await c.expect('376');
    c.send('AWAY :Computing Bernoulli numbers, back à midi 🧮');
    await c.expect('306');
    c.send(`WHOIS ${nick}`);
    const user = await c.expect('311');
    assert.equal(user.params[1], nick);
    assert.equal(user.params[2], '~lovelace12345');
    assert.equal(user.params[5], realname);
    const away = await c.expect('301');
    assert.equal(away.params[2], 'Computing Bernoulli numbers, back à midi 🧮');
    await c.expect('318');
  });
});
