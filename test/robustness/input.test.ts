/**
 * Malformed and hostile input over real sockets: every bad line gets a clear reply (or is
 * ignored where the specs say so), the same connection keeps working, nothing bad reaches
 * the other people in the room, and the server carries on.
 *
 * References: RFC 2812 §2.3 (512-byte lines, empty messages ignored), IRCv3 message-tags
 * "Size limit" (8191 bytes of tags, 4094 of client tag data), the modern client protocol
 * docs (ERR_INPUTTOOLONG 417; servers accept CR, LF or CR LF as a line end; 421, 451, 461),
 * IRCv3 utf8-only (FAIL * INVALID_UTF8).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { countSince, isPrivmsg, joinRoom, privmsgTexts, say, sleep } from './util.js';

let server: TestServer;
let open: TestClient[] = [];

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.stop();
});
afterEach(() => {
  for (const c of open) c.close();
  open = [];
});

async function client(nick: string): Promise<TestClient> {
  const c = await TestClient.register(server.port, nick);
  open.push(c);
  return c;
}

async function raw(): Promise<TestClient> {
  const c = await TestClient.connect(server.port);
  open.push(c);
  return c;
}

/** Sync, then assert nothing but the PONG arrived for `c` from index `start` on. */
async function assertQuiet(c: TestClient, start: number, what: string): Promise<void> {
  await c.sync();
  const stray = c.received.slice(start).filter((m) => m.command !== 'PONG');
  assert.deepEqual(
    stray.map((m) => m.raw),
    [],
    `${c.nick} should have received nothing ${what}`,
  );
}

describe('line length (RFC 2812 §2.3; modern docs ERR_INPUTTOOLONG)', () => {
  let alice: TestClient;
  let bob: TestClient;
  beforeEach(async () => {
    alice = await client('alice');
    bob = await client('bob');
    await joinRoom('#room', alice, bob);
  });

  test('RFC 2812 §2.3: a line over 512 bytes gets 417 and the same connection keeps working', async () => {
    const start = bob.received.length;
    alice.send(`PRIVMSG #room :${'x'.repeat(600)}`);
    const reply = await alice.expect('417', 'alice');
    assert.match(reply.params.at(-1)!, /too long/i);
    // The connection is still usable: PING/PONG, then a message reaches the room.
    await alice.sync();
    await say(alice, '#room', 'still here', bob);
    assert.deepEqual(privmsgTexts(bob, start), ['still here'], 'the overlong message must not be relayed');
  });

  test('RFC 2812 §2.3: 510 bytes plus CR LF is accepted (relayed cut to fit with the prefix); 511 is 417', async () => {
    const prefix = 'PRIVMSG #room :';
    const exact = 'a'.repeat(510 - prefix.length);
    alice.send(prefix + exact);
    // The relayed line carries alice's prefix too, so its text is cut to keep it in 512 bytes.
    const relayed = await bob.waitFor(
      (m) => m.command === 'PRIVMSG' && m.params[0] === '#room' && /^a+$/.test(m.params[1] ?? ''),
    );
    assert.ok(exact.startsWith(relayed.params[1]!));
    const size = Buffer.byteLength(relayed.raw) + 2;
    // A one-word text goes without the ':' a trailing parameter may have, one byte short.
    assert.ok(size <= 512 && size >= 511, `cut to the limit, not below it (${size} bytes)`);
    alice.mark();
    alice.send(prefix + exact + 'b');
    await alice.expect('417', 'alice');
    await say(alice, '#room', 'after the limit', bob);
  });

  test('message-tags "Size limit": a client may send 4094 bytes of tag data (with or without +); 4095 gets 417', async () => {
    // The limit counts every tag a client sends; '@' and the trailing space come on top (4096).
    const section = (n: number): string => '@k=' + 'v'.repeat(n - 4) + ' '; // n bytes incl. '@' and ' '
    assert.equal(Buffer.byteLength(section(4096)), 4096);
    const start = alice.received.length;
    alice.sendRaw(`${section(4096)}PING :fits\r\n`);
    alice.sendRaw(`${section(4097)}PING :too-big\r\n`);
    alice.sendRaw(`${section(8192)}PING :way-too-big\r\n`);
    await alice.sync();
    const seen = alice.received.slice(start);
    assert.ok(seen.some((m) => m.command === 'PONG' && m.params.at(-1) === 'fits'));
    assert.equal(countSince(alice, start, '417'), 2, 'each over-sized line gets 417');
    assert.ok(
      !seen.some(
        (m) => m.command === 'PONG' && m.params.at(-1) !== 'fits' && m.params.at(-1)!.includes('big'),
      ),
      'over-sized lines must not be executed',
    );
  });

  test('message-tags "Size limit": 8191+ bytes of client-only tags gets 417, nothing is relayed', async () => {
    const tags = `@+example.com/big=${'v'.repeat(8300)}`;
    const start = bob.received.length;
    alice.send(`${tags} PRIVMSG #room :with huge tags`);
    await alice.expect('417', 'alice');
    await say(alice, '#room', 'plain', bob);
    assert.deepEqual(privmsgTexts(bob, start), ['plain']);
  });

  test('message-tags "Size limit": more than 4094 bytes of client tag data gets 417', async () => {
    const tags = `@+example.com/mid=${'v'.repeat(5000)}`;
    const start = bob.received.length;
    alice.send(`${tags} PRIVMSG #room :with big client tags`);
    await alice.expect('417', 'alice');
    await say(alice, '#room', 'plain again', bob);
    assert.deepEqual(privmsgTexts(bob, start), ['plain again']);
  });

  test('a 1 MB line with no newline gets one 417 and the connection works after the next newline', async () => {
    alice.sendRaw(Buffer.alloc(1024 * 1024, 'a'));
    await alice.expect('417', 'alice');
    // Still discarding until a line end; more bytes of the same line do not earn more 417s.
    const start = alice.received.length;
    alice.sendRaw(Buffer.alloc(64 * 1024, 'b'));
    alice.sendRaw('\r\n');
    await alice.sync();
    assert.equal(countSince(alice, start, '417'), 0, 'exactly one 417 for one long line');
    await say(alice, '#room', 'back to normal', bob);
    assert.ok(!alice.closed);
  });

  test('several overlong lines in one write each get a 417, and the valid line between them runs', async () => {
    const long = 'PRIVMSG #room :' + 'z'.repeat(9000);
    const start = alice.received.length;
    alice.sendRaw(`${long}\r\nPRIVMSG #room :between\r\n${long}\r\n`);
    await bob.waitFor((m) => isPrivmsg(m, 'alice', '#room', 'between'));
    await alice.sync();
    assert.equal(countSince(alice, start, '417'), 2);
  });
});

describe('encoding (ircv3 utf8-only; NUL)', () => {
  let alice: TestClient;
  let bob: TestClient;
  beforeEach(async () => {
    alice = await client('alice');
    bob = await client('bob');
    await joinRoom('#enc', alice, bob);
  });

  test('ircv3 utf8-only: invalid UTF-8 gets FAIL * INVALID_UTF8 and nothing is relayed to the room', async () => {
    const bad = [
      Buffer.from([0xff, 0xfe]), // never valid
      Buffer.from([0xc3]), // truncated sequence
      Buffer.from([0xc0, 0xaf]), // overlong encoding of '/'
      Buffer.from([0xed, 0xa0, 0x80]), // UTF-16 surrogate
    ];
    const start = bob.received.length;
    for (const bytes of bad) {
      alice.sendRaw(Buffer.concat([Buffer.from('PRIVMSG #enc :bad '), bytes, Buffer.from('\r\n')]));
      const fail = await alice.expect('FAIL', '*', 'INVALID_UTF8');
      assert.ok(fail.params.at(-1)!.length > 0, 'FAIL carries a human-readable description');
    }
    // Valid non-ASCII text goes through untouched, and is the first thing bob sees.
    const text = 'héllo ✓ 😀 ñandú';
    await say(alice, '#enc', text, bob);
    assert.deepEqual(privmsgTexts(bob, start), [text]);
  });

  test('ircv3 utf8-only: invalid UTF-8 in a command other than PRIVMSG (NICK, tags) is refused too', async () => {
    alice.sendRaw(Buffer.concat([Buffer.from('NICK al'), Buffer.from([0xff]), Buffer.from('ce\r\n')]));
    await alice.expect('FAIL', '*', 'INVALID_UTF8');
    alice.sendRaw(
      Buffer.concat([Buffer.from('@+x='), Buffer.from([0xfe]), Buffer.from(' PRIVMSG #enc :tagged\r\n')]),
    );
    await alice.expect('FAIL', '*', 'INVALID_UTF8');
    await say(alice, '#enc', 'nick unchanged', bob);
  });

  test('a NUL byte in a line gets 400 and the line is not executed or relayed', async () => {
    const start = bob.received.length;
    alice.sendRaw('PRIVMSG #enc :before\x00after\r\n');
    const reply = await alice.expect('400', 'alice');
    assert.match(reply.params.at(-1)!, /NUL/);
    await say(alice, '#enc', 'clean', bob);
    assert.deepEqual(privmsgTexts(bob, start), ['clean']);
  });
});

describe('line framing (modern client protocol docs: CR, LF and CR LF; RFC 2812 §2.3 empty messages)', () => {
  test('bare LF and bare CR both end a line', async () => {
    const alice = await client('alice');
    alice.sendRaw('PING :lf-only\nPING :cr-only\rPING :crlf\r\n');
    await alice.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'lf-only');
    await alice.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'cr-only');
    await alice.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'crlf');
  });

  test('a line split across many TCP writes, byte by byte, is reassembled', async () => {
    const alice = await client('alice');
    for (const ch of 'PING :pieces\r\n') {
      alice.sendRaw(ch);
      await sleep(1);
    }
    await alice.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'pieces');
  });

  test('RFC 2812 §2.3: empty lines and lines of spaces are silently ignored', async () => {
    const alice = await client('alice');
    const start = alice.received.length;
    alice.sendRaw('\r\n\r\n\n\n\r\r   \r\n \n');
    await assertQuiet(alice, start, 'for blank lines');
  });

  test('a tags-only or source-only line without a command is ignored, not fatal', async () => {
    const alice = await client('alice');
    const start = alice.received.length;
    alice.sendRaw('@a=b\r\n:source\r\n@a=b :source\r\n');
    await assertQuiet(alice, start, 'for command-less lines');
  });
});

describe('command errors (modern client protocol docs: 421, 451, 461)', () => {
  test('an unknown command gets 421 naming it', async () => {
    const alice = await client('alice');
    alice.send('FROBNICATE the widget');
    const reply = await alice.expect('421', 'alice', 'FROBNICATE');
    assert.match(reply.params.at(-1)!, /unknown command/i);
    await alice.sync();
  });

  test('a command before registration gets 451, and registration still works afterwards', async () => {
    const c = await raw();
    c.send('PRIVMSG #room :hello?');
    await c.expect('451', '*');
    c.send('JOIN #room');
    await c.expect('451', '*');
    c.send('WHOIS someone');
    await c.expect('451', '*');
    // PING is allowed before registration (modern docs).
    c.send('PING :early');
    await c.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'early');
    await c.registerAs('late');
    c.send('JOIN #room');
    await c.expect('366', 'late', '#room');
  });

  test('missing parameters get 461 naming the command, for several commands', async () => {
    const alice = await client('alice');
    for (const command of [
      'JOIN',
      'PART',
      'MODE',
      'TOPIC',
      'KICK #x',
      'INVITE x',
      'WHOIS',
      'OPER name',
      'PING',
    ]) {
      alice.send(command);
      const name = command.split(' ')[0]!;
      const reply = await alice.expect('461', 'alice', name);
      assert.match(reply.params.at(-1)!, /not enough parameters/i);
    }
    // Before registration too.
    const c = await raw();
    c.send('USER onlyone');
    await c.expect('461', '*', 'USER');
    c.send('CAP');
    await c.expect('461', '*', 'CAP');
    await alice.sync();
  });

  test('PRIVMSG without recipient gets 411, without text gets 412', async () => {
    const alice = await client('alice');
    alice.send('PRIVMSG');
    await alice.expect('411', 'alice');
    alice.send('PRIVMSG alice');
    await alice.expect('412', 'alice');
  });
});

describe('abrupt endings', () => {
  test('a partial line followed by close is not executed and does not disturb anyone', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    const carol = await client('carol');
    await joinRoom('#end', alice, bob, carol);
    carol.sendRaw('PRIVMSG #end :half a mess');
    await sleep(20);
    carol.close();
    const quit = await bob.waitFor((m) => m.command === 'QUIT' && m.source?.startsWith('carol!') === true);
    assert.ok(quit.params[0]!.length > 0, 'the QUIT carries a reason');
    await say(alice, '#end', 'carry on', bob);
    await say(bob, '#end', 'sure', alice);
    assert.ok(
      !bob.received.some((m) => m.command === 'PRIVMSG' && m.params[1]?.startsWith('half') === true),
      'the unterminated line must never be relayed',
    );
  });

  test('RFC 2812 §3.1.7 QUIT: lines after QUIT in the same write are not executed', async () => {
    const alice = await client('alice');
    const bob = await client('bob');
    await joinRoom('#bye', alice, bob);
    const start = bob.received.length;
    alice.sendRaw('QUIT :bye\r\nPRIVMSG #bye :ghost after quit\r\nNICK zombie\r\nPING :still-here\r\n');
    const error = await alice.waitFor((m) => m.command === 'ERROR');
    assert.match(error.params[0]!, /Quit: bye/);
    await alice.waitClosed();
    const quit = await bob.waitFor((m) => m.command === 'QUIT');
    assert.equal(quit.source?.split('!')[0], 'alice', 'alice leaves under her own nick');
    assert.equal(quit.params[0], 'Quit: bye');
    await bob.sync();
    assert.deepEqual(
      bob.received.slice(start).map((m) => m.command),
      ['QUIT', 'PONG'],
      'bob sees only the QUIT: nothing alice sent after it',
    );
    assert.ok(!alice.since.some((m) => m.command === 'PONG' || m.command === 'NICK'));
  });

  test('a client that connects and closes at once, or resets mid-line, leaves the server healthy', async () => {
    for (let i = 0; i < 20; i++) {
      const c = await TestClient.connect(server.port);
      if (i % 2 === 0) c.sendRaw('NICK half');
      c.socket.resetAndDestroy();
    }
    const alice = await client('alice');
    const bob = await client('bob');
    await joinRoom('#after', alice, bob);
    await say(alice, '#after', 'all good', bob);
    // The nick a half-registered client asked for is free again.
    const half = await client('half');
    await half.sync();
  });
});
