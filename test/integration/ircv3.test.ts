/**
 * IRCv3 capabilities over real sockets: each test starts its own server on 127.0.0.1:0 and
 * drives two or three raw clients, asserting on the exact lines a user's client would get.
 * Test names cite the ircv3.net spec section they check.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { hashPassword } from '../../src/crypto/password.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SERVER = 'tertulia.local';

/** Every capability tertulia implements, as CAP LS must list them (and nothing else). */
const IMPLEMENTED = [
  'message-tags',
  'server-time',
  'echo-message',
  'batch',
  'labeled-response',
  'multi-prefix',
  'userhost-in-names',
  'extended-join',
  'away-notify',
  'chghost',
  'setname',
  'invite-notify',
  'cap-notify',
  'extended-monitor',
  'draft/channel-rename',
  'draft/multiline=max-bytes=8192,max-lines=100',
  'draft/metadata-2=before-connect,max-subs=50,max-keys=20,max-value-bytes=300',
  // With a store (test servers always have one): history and accounts.
  'draft/chathistory',
  'draft/read-marker',
  'draft/event-playback',
  'draft/message-redaction',
  'account-tag',
  'account-notify',
  'sasl=PLAIN,SCRAM-SHA-256,EXTERNAL',
  'draft/account-registration=before-connect,custom-account-name',
  // Search (soju.im/search) and Web Push, whose value is this server's VAPID public key.
  'soju.im/search',
  'draft/webpush=vapid=<key>',
];

/** server-time: `YYYY-MM-DDThh:mm:ss.sssZ` (ISO 8601, UTC, millisecond precision). */
const ISO_8601_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

interface Harness {
  server: TestServer;
  /** Connects and registers (CAP LS 302 + REQ + END when caps are given). */
  client(nick: string, caps?: string[]): Promise<TestClient>;
  /** Connects without sending anything. */
  raw(): Promise<TestClient>;
}

async function boot(t: TestContext, overrides: Partial<Config> = {}): Promise<Harness> {
  const server = await startServer(overrides);
  const clients: TestClient[] = [];
  t.after(async () => {
    await server.stop();
    for (const c of clients) c.close();
  });
  return {
    server,
    async client(nick, caps = []) {
      const c = await TestClient.register(server.port, nick, caps);
      clients.push(c);
      return c;
    },
    async raw() {
      const c = await TestClient.connect(server.port);
      clients.push(c);
      return c;
    },
  };
}

/** nick!user@host as the server builds it for a harness client (USER <lowercase nick>, no ident). */
function maskOf(c: TestClient): string {
  return `${c.nick}!~${c.nick.toLowerCase()}@127.0.0.1`;
}

/**
 * Round-trips a PING through each client in turn: everything sent before has been processed
 * and everything the server sent them has arrived. (It also moves each client's mark.)
 */
async function settle(...clients: TestClient[]): Promise<void> {
  for (const c of clients) await c.sync();
}

/** Joins the clients to `channel` one after another (the first becomes operator), then settles. */
async function joinAll(channel: string, ...clients: TestClient[]): Promise<void> {
  for (const c of clients) {
    c.send(`JOIN ${channel}`);
    await c.expect('366', c.nick, channel);
  }
  await settle(...clients);
}

/** Lines a client received from position `from` of its `received` list on. */
function after(c: TestClient, from: number, command?: string): Received[] {
  return c.received.slice(from).filter((m) => command === undefined || m.command === command);
}

// ------------------------------------------------------------------ capability negotiation

describe('IRCv3 capability negotiation', () => {
  test('IRCv3 capability-negotiation §CAP LS: CAP LS 302 lists exactly the implemented capabilities', async (t) => {
    const h = await boot(t);
    const c = await h.raw();
    c.send('CAP LS 302');
    const listed: string[] = [];
    for (;;) {
      const m = await c.expect('CAP', '*', 'LS');
      const more = m.params.length === 4 && m.params[2] === '*';
      listed.push(
        ...m.params
          .at(-1)!
          .split(' ')
          .filter((x) => x !== ''),
      );
      if (!more) break;
    }
    const shown = listed.map((x) => x.replace(/^(draft\/webpush=vapid=)[A-Za-z0-9_-]{87}$/, '$1<key>'));
    assert.deepEqual([...shown].sort(), [...IMPLEMENTED].sort());
    assert.equal(new Set(listed).size, listed.length, 'no capability is listed twice');
  });

  test('IRCv3 capability-negotiation §Connection Registration: CAP LS suspends registration until CAP END', async (t) => {
    const h = await boot(t);
    const c = await h.raw();
    c.nick = 'alice';
    c.send('CAP LS 302');
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice Tester');
    await c.expect('CAP', '*', 'LS');
    await c.sync(); // NICK and USER have been processed
    assert.equal(
      c.received.find((m) => m.command === '001'),
      undefined,
      'no 001 before CAP END',
    );
    c.send('CAP END');
    const welcome = await c.expect('001', 'alice');
    assert.equal(welcome.source, SERVER);
  });

  test('IRCv3 capability-negotiation §CAP REQ: a REQ without LS also suspends registration until CAP END', async (t) => {
    const h = await boot(t);
    const c = await h.raw();
    c.nick = 'alice';
    c.send('CAP REQ :multi-prefix');
    c.send('NICK alice');
    c.send('USER alice 0 * :Alice Tester');
    await c.expect('CAP', '*', 'ACK', 'multi-prefix');
    await c.sync();
    assert.equal(
      c.received.find((m) => m.command === '001'),
      undefined,
    );
    c.send('CAP END');
    await c.expect('001', 'alice');
  });

  test('IRCv3 capability-negotiation §CAP REQ/§CAP NAK: one unknown capability NAKs the whole request and enables nothing', async (t) => {
    const h = await boot(t);
    const c = await h.raw();
    c.send('CAP LS 302');
    c.send('CAP REQ :multi-prefix example.org/unknown echo-message');
    const nak = await c.expect('CAP', '*', 'NAK');
    assert.equal(nak.params[2], 'multi-prefix example.org/unknown echo-message');
    c.send('CAP LIST');
    const list = await c.expect('CAP', '*', 'LIST');
    // Only cap-notify (implied by 302) may be on; nothing from the rejected request.
    assert.deepEqual(
      list.params[2]!.split(' ').filter((x) => x !== ''),
      ['cap-notify'],
    );
  });

  test('IRCv3 capability-negotiation §CAP REQ/§CAP ACK: ACK echoes the request, and -cap disables', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    await joinAll('#caps', alice, bob);

    alice.send('CAP REQ :multi-prefix echo-message');
    const ack = await alice.expect('CAP', 'alice', 'ACK');
    assert.deepEqual(ack.params[2]!.split(' ').sort(), ['echo-message', 'multi-prefix']);
    alice.send('CAP LIST');
    const list = await alice.expect('CAP', 'alice', 'LIST');
    assert.deepEqual(list.params[2]!.split(' ').sort(), ['echo-message', 'multi-prefix']);

    // echo-message is in effect...
    alice.send('PRIVMSG #caps :one');
    await alice.expect('PRIVMSG', '#caps', 'one');

    // ...until it is removed.
    alice.send('CAP REQ :-echo-message');
    await alice.expect('CAP', 'alice', 'ACK', '-echo-message');
    alice.send('CAP LIST');
    const list2 = await alice.expect('CAP', 'alice', 'LIST');
    assert.deepEqual(list2.params[2]!.split(' '), ['multi-prefix']);
    const from = alice.received.length;
    alice.send('PRIVMSG #caps :two');
    await bob.expect('PRIVMSG', '#caps', 'two');
    await settle(alice);
    assert.deepEqual(after(alice, from, 'PRIVMSG'), [], 'no echo once echo-message is off');

    // Re-requesting an enabled capability and removing a disabled one still succeed.
    alice.send('CAP REQ :multi-prefix -echo-message');
    await alice.expect('CAP', 'alice', 'ACK', 'multi-prefix -echo-message');
  });

  test('IRCv3 capability-negotiation §CAP LIST: with nothing enabled the list is an empty parameter', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    alice.send('CAP LIST');
    const list = await alice.expect('CAP', 'alice', 'LIST');
    assert.equal(list.params.length, 3);
    assert.equal(list.params[2], '');
    assert.ok(list.raw.endsWith(' :'), `empty trailing parameter: ${list.raw}`);
  });

  test('IRCv3 capability-negotiation §cap-notify: implied by CAP LS 302, listed, and cannot be disabled', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['multi-prefix']);
    alice.send('CAP LIST');
    const list = await alice.expect('CAP', 'alice', 'LIST');
    assert.deepEqual(list.params[2]!.split(' ').sort(), ['cap-notify', 'multi-prefix']);
    // Servers MUST NOT disable cap-notify for a 302 client...
    alice.send('CAP REQ :-cap-notify');
    await alice.expect('CAP', 'alice', 'NAK', '-cap-notify');
    // ...and MUST ACK an explicit request for it without side effects.
    alice.send('CAP REQ :cap-notify');
    await alice.expect('CAP', 'alice', 'ACK', 'cap-notify');
    alice.send('CAP LIST');
    const again = await alice.expect('CAP', 'alice', 'LIST');
    assert.deepEqual(again.params[2]!.split(' ').sort(), ['cap-notify', 'multi-prefix']);
  });

  test('IRCv3 capability-negotiation §cap-notify: a pre-302 client may enable and disable cap-notify', async (t) => {
    const h = await boot(t);
    const c = await h.raw();
    c.send('CAP LS');
    const ls = await c.expect('CAP', '*', 'LS');
    assert.equal(ls.params.length, 3, 'no continuation marker without 302');
    c.send('CAP LIST');
    assert.equal((await c.expect('CAP', '*', 'LIST')).params[2], '');
    c.send('CAP REQ :cap-notify');
    await c.expect('CAP', '*', 'ACK', 'cap-notify');
    c.send('CAP REQ :-cap-notify');
    await c.expect('CAP', '*', 'ACK', '-cap-notify');
    c.send('CAP LIST');
    assert.equal((await c.expect('CAP', '*', 'LIST')).params[2], '');
  });

  test('IRCv3 capability-negotiation §The CAP command: an unknown subcommand gets 410 ERR_INVALIDCAPCMD', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    alice.send('CAP FOO');
    const err = await alice.expect('410', 'alice', 'FOO');
    assert.equal(err.source, SERVER);
  });
});

// ------------------------------------------------------------------ message-tags, msgid, server-time

describe('IRCv3 message-tags', () => {
  test('IRCv3 message-tags §Client-only tags: +tags on PRIVMSG reach message-tags clients only, values intact', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags']);
    const bob = await h.client('bob', ['message-tags']);
    const carol = await h.client('carol');
    await joinAll('#tags', alice, bob, carol);

    // The spec's own escaping example, plus a vendor-prefixed client-only tag.
    alice.send('@+example=raw+:=,escaped\\:\\s\\\\;+example.com/foo=bar PRIVMSG #tags :Message');
    const got = await bob.expect('PRIVMSG', '#tags', 'Message');
    assert.equal(got.source, maskOf(alice));
    assert.equal(got.tags['+example'], 'raw+:=,escaped; \\');
    assert.equal(got.tags['+example.com/foo'], 'bar');
    assert.ok(got.raw.includes('+example=raw+:=,escaped\\:\\s\\\\'), got.raw);

    const plain = await carol.expect('PRIVMSG', '#tags', 'Message');
    assert.equal(plain.raw, `:${maskOf(alice)} PRIVMSG #tags Message`);
  });

  test('IRCv3 message-tags §Security considerations: tags without the + prefix are not relayed (nor spoofable)', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags']);
    const bob = await h.client('bob', ['message-tags']);
    await joinAll('#tags', alice, bob);

    alice.send(
      '@example-tag=x;msgid=fake;time=2001-01-01T00:00:00.000Z;account=mallory;+ok=1 PRIVMSG #tags :hi',
    );
    const got = await bob.expect('PRIVMSG', '#tags', 'hi');
    assert.equal(got.tags['+ok'], '1');
    assert.equal(got.tags['example-tag'], undefined);
    assert.equal(got.tags['account'], undefined);
    assert.notEqual(got.tags['msgid'], 'fake');
    assert.notEqual(got.tags['time'], '2001-01-01T00:00:00.000Z');
    // Server-initiated tags come before client-only ones.
    const tagSection = got.raw.slice(1, got.raw.indexOf(' '));
    const keys = tagSection.split(';').map((kv) => kv.split('=')[0]!);
    const firstClient = keys.findIndex((k) => k.startsWith('+'));
    assert.ok(
      keys.slice(firstClient).every((k) => k.startsWith('+')),
      `server tags before client-only tags: ${tagSection}`,
    );
  });

  test('IRCv3 message-tags §The TAGMSG tag-only message: TAGMSG is delivered only to message-tags clients', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags']);
    const bob = await h.client('bob', ['message-tags']);
    const carol = await h.client('carol', ['server-time', 'echo-message']);
    await joinAll('#typing', alice, bob, carol);
    const carolFrom = carol.received.length;

    alice.send('@+typing=active TAGMSG #typing');
    const got = await bob.expect('TAGMSG', '#typing');
    assert.equal(got.source, maskOf(alice));
    assert.equal(got.tags['+typing'], 'active');
    assert.ok(got.tags['msgid'] !== undefined && got.tags['msgid'] !== '');

    alice.send('@+typing=paused TAGMSG bob');
    const direct = await bob.expect('TAGMSG', 'bob');
    assert.equal(direct.tags['+typing'], 'paused');

    alice.send('@+typing=done TAGMSG carol');
    await settle(alice, carol);
    assert.deepEqual(after(carol, carolFrom, 'TAGMSG'), [], 'carol has no message-tags');
  });

  test('IRCv3 message-tags §The TAGMSG tag-only message: a TAGMSG whose tags are all stripped is still relayed', async (t) => {
    // The spec's example: `C: @unknown-tag TAGMSG #channel` → `S: :nick!user@example.com TAGMSG #channel`
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags']);
    const bob = await h.client('bob', ['message-tags']);
    await joinAll('#typing', alice, bob);
    alice.send('@unknown-tag TAGMSG #typing');
    const got = await bob.expect('TAGMSG', '#typing');
    assert.equal(got.source, maskOf(alice));
    assert.equal(got.tags['unknown-tag'], undefined);
  });

  test('IRCv3 message-ids §msgid: every PRIVMSG/NOTICE has a msgid, the same for every recipient and the echo', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags', 'echo-message']);
    const bob = await h.client('bob', ['message-tags']);
    const carol = await h.client('carol', ['message-tags']);
    const dave = await h.client('dave');
    await joinAll('#ids', alice, bob, carol, dave);

    const ids = new Set<string>();
    for (const command of ['PRIVMSG', 'NOTICE']) {
      alice.send(`${command} #ids :${command} to the channel`);
      const copies = await Promise.all(
        [alice, bob, carol].map((c) => c.expect(command, '#ids', `${command} to the channel`)),
      );
      const msgids = copies.map((m) => m.tags['msgid']);
      assert.ok(msgids[0] !== undefined && msgids[0] !== '', `msgid present: ${copies[0]!.raw}`);
      assert.deepEqual(msgids, [msgids[0], msgids[0], msgids[0]], 'same msgid for all and the echo');
      ids.add(msgids[0]!);
      const plain = await dave.expect(command, '#ids', `${command} to the channel`);
      assert.ok(plain.raw.startsWith(':'), `no tags without message-tags: ${plain.raw}`);
    }

    alice.send('PRIVMSG bob :private');
    const [echo, delivered] = await Promise.all([
      alice.expect('PRIVMSG', 'bob', 'private'),
      bob.expect('PRIVMSG', 'bob', 'private'),
    ]);
    assert.ok(delivered.tags['msgid'] !== undefined);
    assert.equal(echo.tags['msgid'], delivered.tags['msgid']);
    ids.add(delivered.tags['msgid']!);
    assert.equal(ids.size, 3, 'each message has its own msgid');
  });

  test('IRCv3 server-time §time tag: messages carry time= in ISO 8601 UTC with milliseconds', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob', ['server-time']);
    await joinAll('#time', bob);

    const before = Date.now();
    alice.send('JOIN #time');
    const join = await bob.expect('JOIN', '#time');
    alice.send('@+x=y PRIVMSG #time :what time is it');
    const msg = await bob.expect('PRIVMSG', '#time', 'what time is it');
    const afterMs = Date.now();
    for (const m of [join, msg]) {
      const time = m.tags['time'];
      assert.ok(time !== undefined && ISO_8601_MS.test(time), `time tag: ${m.raw}`);
      const at = Date.parse(time);
      assert.ok(at >= before - 1000 && at <= afterMs + 1000, `time is now-ish: ${time}`);
    }
    // server-time alone does not bring client-only tags (those need message-tags).
    assert.equal(msg.tags['+x'], undefined);
  });
});

// ------------------------------------------------------------------ echo-message

describe('IRCv3 echo-message', () => {
  test('IRCv3 echo-message §Description: the sender gets its PRIVMSG, NOTICE and (with message-tags) TAGMSG back', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['echo-message', 'message-tags']);
    const bob = await h.client('bob', ['message-tags']);
    await joinAll('#echo', alice, bob);

    for (const [line, command, params] of [
      ['PRIVMSG #echo :hello', 'PRIVMSG', ['#echo', 'hello']],
      ['NOTICE #echo :note', 'NOTICE', ['#echo', 'note']],
      ['@+react=👍 TAGMSG #echo', 'TAGMSG', ['#echo']],
      ['PRIVMSG bob :psst', 'PRIVMSG', ['bob', 'psst']],
      ['NOTICE bob :fyi', 'NOTICE', ['bob', 'fyi']],
      ['@+typing=active TAGMSG bob', 'TAGMSG', ['bob']],
    ] as const) {
      alice.send(line);
      const [echo, delivered] = await Promise.all([
        alice.expect(command, ...params),
        bob.expect(command, ...params),
      ]);
      assert.equal(echo.source, maskOf(alice), echo.raw);
      assert.ok(echo.tags['msgid'] !== undefined, echo.raw);
      assert.equal(echo.tags['msgid'], delivered.tags['msgid'], `${line}: echo and delivery share the msgid`);
      if (command === 'TAGMSG') assert.deepEqual(echo.tags, delivered.tags);
    }
  });

  test('IRCv3 echo-message §Description: without the capability nothing is echoed', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags']);
    const bob = await h.client('bob');
    await joinAll('#echo', alice, bob);
    const from = alice.received.length;
    alice.send('PRIVMSG #echo :hello');
    alice.send('NOTICE bob :fyi');
    await bob.expect('NOTICE', 'bob', 'fyi');
    await settle(alice);
    assert.deepEqual(
      after(alice, from).filter((m) => m.command === 'PRIVMSG' || m.command === 'NOTICE'),
      [],
    );
  });
});

test('IRCv3 echo-message + labeled-response: a message to oneself arrives twice, only the echo labeled', async (t) => {
  const h = await boot(t);
  const alice = await h.client('alice', ['echo-message', 'labeled-response', 'batch', 'message-tags']);
  const from = alice.received.length;
  alice.send('@label=self1 PRIVMSG alice :note to self');
  await alice.expect('PRIVMSG', 'alice', 'note to self');
  await alice.expect('PRIVMSG', 'alice', 'note to self');
  const copies = after(alice, from, 'PRIVMSG');
  assert.equal(copies.length, 2, 'delivered copy and echo');
  assert.deepEqual(copies.map((m) => m.tags['label'] ?? null).sort(), [null, 'self1']);
  assert.equal(copies[0]!.tags['msgid'], copies[1]!.tags['msgid']);
});

test('IRCv3 message-tags §Client-only tags: server tags come before client-only tags', async (t) => {
  const h = await boot(t);
  const alice = await h.client('alice', ['message-tags']);
  const bob = await h.client('bob', ['message-tags', 'server-time']);
  alice.send('@+zzz=1;+aaa=2 PRIVMSG bob :ordered');
  const got = await bob.expect('PRIVMSG', 'bob', 'ordered');
  const keys = got.raw
    .slice(1, got.raw.indexOf(' '))
    .split(';')
    .map((kv) => kv.split('=')[0]!);
  const firstClient = keys.findIndex((k) => k.startsWith('+'));
  assert.ok(firstClient > 0, got.raw);
  assert.ok(
    keys.slice(firstClient).every((k) => k.startsWith('+')),
    `server tags first: ${got.raw}`,
  );
});

// ------------------------------------------------------------------ labeled-response + batch

describe('IRCv3 labeled-response', () => {
  const LABELED = ['labeled-response', 'batch', 'message-tags'];

  test('IRCv3 labeled-response §Tags: a command with one reply gets the label on that reply', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', LABELED);
    alice.send('@label=dc11f13f11 PRIVMSG nosuch :Hello');
    const err = await alice.expect('401', 'alice', 'nosuch');
    assert.equal(err.tags['label'], 'dc11f13f11');
    assert.equal(err.tags['batch'], undefined);

    alice.send('@label=p1 PING :token');
    const pong = await alice.expect('PONG', SERVER, 'token');
    assert.equal(pong.tags['label'], 'p1');
  });

  test('IRCv3 labeled-response §Tags: a command with several replies gets a labeled batch', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', LABELED);
    await h.client('bob');
    alice.send('@label=mGhe5V7RTV WHOIS bob');
    const start = await alice.expect('BATCH');
    assert.equal(start.source, SERVER);
    assert.equal(start.tags['label'], 'mGhe5V7RTV');
    assert.equal(start.params.length, 2);
    assert.ok(start.params[0]!.startsWith('+'), start.raw);
    assert.equal(start.params[1], 'labeled-response');
    const id = start.params[0]!.slice(1);

    const end = await alice.expect('BATCH', `-${id}`);
    assert.equal(end.tags['label'], undefined, 'only the batch start is labeled');
    const startIndex = alice.received.indexOf(start);
    const inner = alice.received.slice(startIndex + 1, alice.received.indexOf(end));
    assert.deepEqual(inner.at(0)?.command, '311');
    assert.deepEqual(inner.at(-1)?.command, '318');
    for (const m of inner) {
      assert.equal(m.tags['batch'], id, `inside the batch: ${m.raw}`);
      assert.equal(m.tags['label'], undefined, `label only on the batch start: ${m.raw}`);
    }
    assert.ok(inner.length >= 3, 'WHOIS has several replies');
  });

  test('IRCv3 labeled-response §The ACK response: a command with no reply gets a labeled ACK', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', LABELED);
    const bob = await h.client('bob');
    await joinAll('#ack', alice, bob);

    alice.send('@label=abc PONG :foobar');
    const ack = await alice.expect('ACK');
    assert.equal(ack.tags['label'], 'abc');
    assert.equal(ack.source, SERVER);
    assert.deepEqual(ack.params, []);

    alice.send('@label=def PRIVMSG #ack :no echo here');
    await bob.expect('PRIVMSG', '#ack', 'no echo here');
    const ack2 = await alice.expect('ACK');
    assert.equal(ack2.tags['label'], 'def');
  });

  test('IRCv3 labeled-response §Tags: an echo-message acknowledgment carries the label, other recipients do not', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', [...LABELED, 'echo-message']);
    const bob = await h.client('bob', ['message-tags']);
    await joinAll('#lr', alice, bob);
    // The spec's TAGMSG example: labeled echo to the sender, plain delivery to the others.
    alice.send('@label=123;+example-client-tag=example-value TAGMSG #lr');
    const [echo, delivered] = await Promise.all([alice.expect('TAGMSG', '#lr'), bob.expect('TAGMSG', '#lr')]);
    assert.equal(echo.tags['label'], '123');
    assert.equal(echo.tags['+example-client-tag'], 'example-value');
    assert.equal(delivered.tags['label'], undefined);
    assert.equal(delivered.tags['msgid'], echo.tags['msgid']);

    alice.send('@label=pQraCjj82e PRIVMSG #lr :Hello!');
    const echo2 = await alice.expect('PRIVMSG', '#lr', 'Hello!');
    assert.equal(echo2.tags['label'], 'pQraCjj82e');
    const got = await bob.expect('PRIVMSG', '#lr', 'Hello!');
    assert.equal(got.tags['label'], undefined);
  });

  test('IRCv3 labeled-response §Capabilities: without the capability the label is ignored', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['message-tags', 'batch']);
    alice.send('@label=zzz PING :tok');
    const pong = await alice.expect('PONG', SERVER, 'tok');
    assert.equal(pong.tags['label'], undefined);
    assert.equal(
      alice.received.find((m) => m.command === 'ACK' || m.command === 'BATCH'),
      undefined,
    );
  });
});

// ------------------------------------------------------------------ names and joins

describe('IRCv3 multi-prefix, userhost-in-names, extended-join', () => {
  test('IRCv3 multi-prefix: NAMES and WHO list every prefix (@+) to clients with the cap, the highest to others', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['multi-prefix']);
    const bob = await h.client('bob');
    await joinAll('#mp', alice, bob);
    alice.send('MODE #mp +v alice');
    await alice.expect('MODE', '#mp', '+v', 'alice');

    for (const [c, prefix] of [
      [alice, '@+'],
      [bob, '@'],
    ] as const) {
      c.send('NAMES #mp');
      const names = await c.expect('353', c.nick, '=', '#mp');
      assert.deepEqual(names.params[3]!.split(' ').sort(), [`${prefix}alice`, 'bob'].sort());
      await c.expect('366', c.nick, '#mp');
      c.send('WHO #mp');
      const who = await c.waitFor((m) => m.command === '352' && m.params[5] === 'alice');
      assert.equal(who.params[6], `H${prefix}`);
      await c.expect('315', c.nick, '#mp');
    }
  });

  test('IRCv3 userhost-in-names: NAMES shows nick!user@host to clients with the cap', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['userhost-in-names']);
    const bob = await h.client('bob');
    await joinAll('#uh', alice, bob);
    const bobJoin = alice.received.find((m) => m.command === 'JOIN' && m.source?.startsWith('bob!'));
    assert.equal(bobJoin?.source, maskOf(bob));

    alice.send('NAMES #uh');
    const names = await alice.expect('353', 'alice', '=', '#uh');
    assert.deepEqual(names.params[3]!.split(' ').sort(), [`@${maskOf(alice)}`, maskOf(bob)].sort());
    bob.send('NAMES #uh');
    const plain = await bob.expect('353', 'bob', '=', '#uh');
    assert.deepEqual(plain.params[3]!.split(' ').sort(), ['@alice', 'bob']);
  });

  test('IRCv3 extended-join: JOIN #chan <account|*> :realname to clients with the cap, plain JOIN to others', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['extended-join']);
    const bob = await h.client('bob');
    await joinAll('#ej', alice, bob);
    const carol = await h.client('carol');
    carol.send('JOIN #ej');
    const extended = await alice.expect('JOIN');
    assert.equal(extended.source, maskOf(carol));
    assert.deepEqual(extended.params, ['#ej', '*', 'carol Tester'], "'*' for no account, then the realname");
    const plain = await bob.expect('JOIN');
    assert.deepEqual(plain.params, ['#ej']);
    const own = await carol.expect('JOIN');
    assert.deepEqual(own.params, ['#ej'], 'carol has no extended-join');
  });
});

// ------------------------------------------------------------------ away-notify, chghost, setname, invite-notify

describe('IRCv3 notifications', () => {
  test('IRCv3 away-notify: AWAY set, changed and cleared reaches channel peers with the cap only', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob', ['away-notify']);
    const carol = await h.client('carol');
    const dave = await h.client('dave', ['away-notify']); // shares no channel with alice
    await joinAll('#away', alice, bob, carol);
    const carolFrom = carol.received.length;
    const daveFrom = dave.received.length;

    alice.send('AWAY :out to lunch');
    const set = await bob.expect('AWAY');
    assert.equal(set.source, maskOf(alice));
    assert.deepEqual(set.params, ['out to lunch']);
    alice.send('AWAY :still at lunch');
    assert.deepEqual((await bob.expect('AWAY')).params, ['still at lunch']);
    alice.send('AWAY');
    const cleared = await bob.expect('AWAY');
    assert.deepEqual(cleared.params, [], 'no parameter when the user is back');

    await settle(alice, carol, dave);
    assert.deepEqual(after(carol, carolFrom, 'AWAY'), []);
    assert.deepEqual(after(dave, daveFrom, 'AWAY'), []);
  });

  test('IRCv3 away-notify: a user joining while away is followed by AWAY to members with the cap', async (t) => {
    const h = await boot(t);
    const bob = await h.client('bob', ['away-notify']);
    const carol = await h.client('carol');
    await joinAll('#away', bob, carol);
    const alice = await h.client('alice');
    alice.send('AWAY :brb');
    await alice.expect('306');
    const carolFrom = carol.received.length;
    alice.send('JOIN #away');
    await bob.expect('JOIN', '#away');
    const away = await bob.expect('AWAY');
    assert.equal(away.source, maskOf(alice));
    assert.deepEqual(away.params, ['brb']);
    await carol.expect('JOIN', '#away');
    await settle(alice, carol);
    assert.deepEqual(after(carol, carolFrom, 'AWAY'), []);
  });

  test('IRCv3 chghost §The chghost capability: an oper CHGHOST reaches peers (and the user) with the cap', async (t) => {
    const h = await boot(t, { opers: [{ name: 'admin', passwordHash: await hashPassword('pw') }] });
    const oper = await h.client('oper');
    const bob = await h.client('bob', ['chghost']);
    const carol = await h.client('carol', ['chghost']);
    const dave = await h.client('dave');
    await joinAll('#hosts', bob, carol, dave);
    const daveFrom = dave.received.length;

    // Not an operator yet.
    oper.send('CHGHOST bob ~b ckyard');
    await oper.expect('481', 'oper');

    oper.send('OPER admin pw');
    await oper.expect('381', 'oper');
    oper.send('CHGHOST bob ~b ckyard');
    const seen = await carol.expect('CHGHOST');
    assert.equal(seen.source, maskOf(bob), 'the source is the old mask');
    assert.deepEqual(seen.params, ['~b', 'ckyard']);
    const own = await bob.expect('CHGHOST');
    assert.deepEqual(own.params, ['~b', 'ckyard']);

    await settle(oper, dave);
    assert.deepEqual(after(dave, daveFrom, 'CHGHOST'), [], 'no CHGHOST without the cap');

    // The new user@host is what everyone sees from now on.
    bob.send('PRIVMSG #hosts :new me');
    const msg = await carol.expect('PRIVMSG', '#hosts', 'new me');
    assert.equal(msg.source, 'bob!~b@ckyard');
  });

  test('IRCv3 setname: SETNAME goes to the sender and peers with the cap; WHOIS shows the new realname', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['setname']);
    const bob = await h.client('bob', ['setname']);
    const carol = await h.client('carol');
    await joinAll('#names', alice, bob, carol);
    const carolFrom = carol.received.length;

    alice.send('SETNAME :Bruce Wayne <bruce@wayne.enterprises>');
    for (const c of [alice, bob]) {
      const m = await c.expect('SETNAME');
      assert.equal(m.source, maskOf(alice));
      assert.deepEqual(m.params, ['Bruce Wayne <bruce@wayne.enterprises>']);
    }
    await settle(alice, carol);
    assert.deepEqual(after(carol, carolFrom, 'SETNAME'), []);

    carol.send('WHOIS alice');
    const whois = await carol.expect('311', 'carol', 'alice');
    assert.equal(whois.params.at(-1), 'Bruce Wayne <bruce@wayne.enterprises>');
  });

  test('IRCv3 setname §Errors + standard-replies: a too-long realname gets FAIL SETNAME INVALID_REALNAME', async (t) => {
    const h = await boot(t, { realnameLen: 20 });
    const alice = await h.client('alice', ['setname']);
    const bob = await h.client('bob', ['setname']);
    await joinAll('#names', alice, bob);
    const bobFrom = bob.received.length;

    alice.send(`SETNAME :${'x'.repeat(21)}`);
    const fail = await alice.expect('FAIL');
    // standard-replies: FAIL <command> <code> [<context>...] <description>, from the server.
    assert.equal(fail.source, SERVER);
    assert.equal(fail.params[0], 'SETNAME');
    assert.equal(fail.params[1], 'INVALID_REALNAME');
    assert.equal(fail.params.length, 3);
    assert.ok(fail.params[2]!.length > 0, 'a human-readable description');
    assert.match(fail.raw, /^:tertulia\.local FAIL SETNAME INVALID_REALNAME :/);

    await settle(alice, bob);
    assert.deepEqual(after(bob, bobFrom, 'SETNAME'), []);
    bob.send('WHOIS alice');
    assert.equal((await bob.expect('311', 'bob', 'alice')).params.at(-1), 'alice Tester', 'unchanged');

    // Exactly the limit is fine.
    alice.send(`SETNAME :${'y'.repeat(20)}`);
    assert.deepEqual((await bob.expect('SETNAME')).params, ['y'.repeat(20)]);
  });

  test('IRCv3 invite-notify: channel members with the cap see the INVITE; others and the inviter do not', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice', ['invite-notify']);
    const bob = await h.client('bob', ['invite-notify']);
    const carol = await h.client('carol');
    await joinAll('#inv', alice, bob, carol);
    const dave = await h.client('dave');
    const carolFrom = carol.received.length;
    const aliceFrom = alice.received.length;

    alice.send('INVITE dave #inv');
    await alice.expect('341', 'alice', 'dave', '#inv');
    const invite = await dave.expect('INVITE', 'dave', '#inv');
    assert.equal(invite.source, maskOf(alice));
    const notified = await bob.expect('INVITE', 'dave', '#inv');
    assert.equal(notified.source, maskOf(alice));

    await settle(alice, carol);
    assert.deepEqual(after(carol, carolFrom, 'INVITE'), []);
    assert.deepEqual(after(alice, aliceFrom, 'INVITE'), [], 'the inviter gets 341, not an INVITE');
  });
});
