/**
 * Presence, look-ups and server information over real sockets: AWAY, WHO/WHOX, WHOIS,
 * WHOWAS, USERHOST, ISON, MONITOR, LUSERS, MOTD, TIME, VERSION, INFO, PING, OPER, KILL,
 * WALLOPS. Each test starts its own server on 127.0.0.1:0. Test names cite RFC 2812, the
 * modern client protocol docs (modern.ircdocs.horse) or the IRCv3 spec they check.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { Config } from '../../src/config/config.js';
import { hashPassword } from '../../src/crypto/password.js';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const SERVER = 'tertulia.local';
const HOST = '127.0.0.1';

interface Harness {
  server: TestServer;
  client(nick: string, caps?: string[]): Promise<TestClient>;
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

let operHash: string | null = null;
/** A server config with one operator block: OPER admin pw. */
async function withOper(extra: Partial<Config> = {}): Promise<Partial<Config>> {
  operHash ??= await hashPassword('pw');
  return { opers: [{ name: 'admin', passwordHash: operHash }], ...extra };
}

async function operUp(c: TestClient): Promise<void> {
  c.send('OPER admin pw');
  await c.expect('381', c.nick);
  await c.expect('MODE', c.nick, '+o');
}

function maskOf(c: TestClient): string {
  return `${c.nick}!~${c.nick.toLowerCase()}@${HOST}`;
}

async function settle(...clients: TestClient[]): Promise<void> {
  for (const c of clients) await c.sync();
}

async function joinAll(channel: string, ...clients: TestClient[]): Promise<void> {
  for (const c of clients) {
    c.send(`JOIN ${channel}`);
    await c.expect('366', c.nick, channel);
  }
  await settle(...clients);
}

function after(c: TestClient, from: number, command?: string): Received[] {
  return c.received.slice(from).filter((m) => command === undefined || m.command === command);
}

/**
 * Sends a query and returns every line received from then up to and including the first
 * line matching `end` (the reply, plus anything unrelated that arrived meanwhile).
 */
async function query(c: TestClient, line: string, end: (m: Received) => boolean): Promise<Received[]> {
  const from = c.received.length;
  c.send(line);
  const last = await c.waitFor(end);
  return c.received.slice(from, c.received.indexOf(last) + 1);
}

function isCode(code: string, ...params: string[]): (m: Received) => boolean {
  return (m) => m.command === code && params.every((p, i) => m.params[i] === p);
}

// ------------------------------------------------------------------ AWAY

describe('AWAY', () => {
  test('RFC 2812 §4.1 AWAY: 306 when set, 305 when cleared; PRIVMSG to an away user gives 301 to the sender', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');

    bob.send('AWAY :gone fishing');
    const nowAway = await bob.expect('306', 'bob');
    assert.equal(nowAway.source, SERVER);

    alice.send('PRIVMSG bob :are you there?');
    const rpl = await alice.expect('301', 'alice', 'bob');
    assert.equal(rpl.params[2], 'gone fishing');
    await bob.expect('PRIVMSG', 'bob', 'are you there?');

    // NOTICE never triggers automatic replies (RFC 2812 §3.3.2).
    const from = alice.received.length;
    alice.send('NOTICE bob :just so you know');
    await bob.expect('NOTICE', 'bob', 'just so you know');
    await settle(alice);
    assert.deepEqual(after(alice, from, '301'), []);

    bob.send('AWAY');
    await bob.expect('305', 'bob');
    const from2 = alice.received.length;
    alice.send('PRIVMSG bob :back?');
    await bob.expect('PRIVMSG', 'bob', 'back?');
    await settle(alice);
    assert.deepEqual(after(alice, from2, '301'), [], 'no 301 once back');
  });
});

// ------------------------------------------------------------------ WHO / WHOX

describe('WHO', () => {
  test('Modern docs WHO + RFC 2812 §4.2.1: WHO #chan gives a 352 per member (H/G, * for opers, @) then 315', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const carol = await h.client('carol');
    await joinAll('#who', alice, bob, carol);
    bob.send('AWAY :later');
    await bob.expect('306');
    await operUp(carol);

    const lines = await query(alice, 'WHO #who', isCode('315', 'alice', '#who'));
    assert.equal(lines.at(-1)!.params[2], 'End of WHO list');
    const replies = lines.filter((m) => m.command === '352');
    assert.equal(replies.length, 3);
    const byNick = new Map(replies.map((m) => [m.params[5], m]));
    // <client> <channel> <username> <host> <server> <nick> <flags> :<hopcount> <realname>
    assert.deepEqual(byNick.get('alice')!.params, [
      'alice',
      '#who',
      '~alice',
      HOST,
      SERVER,
      'alice',
      'H@',
      '0 alice Tester',
    ]);
    assert.equal(byNick.get('bob')!.params[6], 'G', 'away');
    assert.equal(byNick.get('carol')!.params[6], 'H*', 'operator');
  });

  test('Modern docs WHO: WHO <mask> matches nicks, users and hosts with * in the channel field', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    await h.client('bob');
    await h.client('bobby');
    const replies = (await query(alice, 'WHO bob*', isCode('315', 'alice', 'bob*'))).filter(
      (m) => m.command === '352',
    );
    assert.deepEqual(replies.map((m) => m.params[5]).sort(), ['bob', 'bobby']);
    for (const m of replies) {
      assert.equal(m.params[1], '*');
      assert.equal(m.params[6], 'H');
    }
    alice.send('WHO nobody-here*');
    await alice.expect('315', 'alice', 'nobody-here*');
  });

  test('Modern docs WHOX: WHO #c %tcuihsnfdlaor,123 gives 354 in the fixed field order, IP hidden from others', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    await joinAll('#whox', alice, bob);

    const replies = (
      await query(alice, 'WHO #whox %tcuihsnfdlaor,123', isCode('315', 'alice', '#whox'))
    ).filter((m) => m.command === '354');
    assert.equal(replies.length, 2);
    const byNick = new Map(replies.map((m) => [m.params[7], m.params]));
    const a = byNick.get('alice')!;
    const b = byNick.get('bob')!;
    // <client> t c u i h s n f d l a o r
    assert.deepEqual(
      [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]],
      ['alice', '123', '#whox', '~alice', HOST, HOST, SERVER, 'alice', 'H@', '0'],
      'own entry shows the real IP',
    );
    assert.match(a[10]!, /^\d+$/, 'idle seconds');
    assert.equal(a[11], '0', 'account: 0 when not logged in');
    assert.equal(a[13], 'alice Tester');
    assert.equal(a.length, 14);
    assert.deepEqual(
      [b[1], b[2], b[3], b[4], b[7], b[8], b[13]],
      ['123', '#whox', '~bob', '255.255.255.255', 'bob', 'H', 'bob Tester'],
      "another user's IP is hidden",
    );

    // Fields come out in the fixed order whatever order they are asked in; no t, no token.
    const short = (await query(alice, 'WHO #whox %rn', isCode('315', 'alice', '#whox'))).filter(
      (m) => m.command === '354',
    );
    assert.deepEqual(short.map((m) => m.params).sort(), [
      ['alice', 'alice', 'alice Tester'],
      ['alice', 'bob', 'bob Tester'],
    ]);
  });

  test('RFC 2812 §3.1.5 +i / modern docs WHO: invisible users are hidden from strangers, shown to channel peers', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const stranger = await h.client('stranger');
    const oper = await h.client('oper');
    await joinAll('#hidden', alice, bob);
    bob.send('MODE bob +i');
    await bob.expect('MODE', 'bob', '+i');
    await operUp(oper);

    const whoNicks = async (c: TestClient, mask: string): Promise<string[]> =>
      (await query(c, `WHO ${mask}`, isCode('315', c.nick, mask)))
        .filter((m) => m.command === '352')
        .map((m) => m.params[5]!)
        .sort();

    assert.deepEqual(await whoNicks(stranger, '*'), ['alice', 'oper', 'stranger']);
    assert.deepEqual(await whoNicks(stranger, 'b*'), []);
    assert.deepEqual(await whoNicks(stranger, '#hidden'), ['alice'], 'non-member sees visible members only');
    assert.deepEqual(await whoNicks(alice, '*'), ['alice', 'bob', 'oper', 'stranger'], 'shares a channel');
    assert.deepEqual(await whoNicks(alice, '#hidden'), ['alice', 'bob']);
    assert.deepEqual(await whoNicks(oper, 'b*'), ['bob'], 'operators see everyone');
    assert.deepEqual(await whoNicks(bob, 'b*'), ['bob'], 'users see themselves');
  });
});

// ------------------------------------------------------------------ WHOIS / WHOWAS

describe('WHOIS and WHOWAS', () => {
  test('RFC 2812 §3.6.2 WHOIS: 311 first, 319 312 317 in between, 318 last', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    await joinAll('#one', bob);
    await joinAll('#two', alice, bob);

    const lines = await query(alice, 'WHOIS bob', isCode('318', 'alice', 'bob'));
    const first = lines[0]!;
    const end = lines.at(-1)!;
    assert.equal(first.command, '311', 'RPL_WHOISUSER comes first');
    // 311 <client> <nick> <username> <host> * :<realname>
    assert.deepEqual(first.params, ['alice', 'bob', '~bob', HOST, '*', 'bob Tester']);
    const byCode = new Map(lines.map((m) => [m.command, m]));
    assert.deepEqual(byCode.get('319')!.params.slice(0, 2), ['alice', 'bob']);
    assert.deepEqual(byCode.get('319')!.params[2]!.split(' ').sort(), ['#two', '@#one']);
    assert.deepEqual(byCode.get('312')!.params.slice(0, 3), ['alice', 'bob', SERVER]);
    const idle = byCode.get('317')!;
    assert.equal(idle.params[1], 'bob');
    assert.match(idle.params[2]!, /^\d+$/);
    const signon = Number(idle.params[3]);
    assert.ok(Math.abs(signon - Date.now() / 1000) < 60, `signon is a unix time: ${idle.raw}`);
    assert.equal(byCode.has('301'), false, 'not away');
    assert.equal(byCode.has('313'), false, 'not an operator');
    assert.equal(end.params[2], 'End of /WHOIS list');
  });

  test('RFC 2812 §3.6.2 WHOIS: 301 when away, 313 for operators', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    bob.send('AWAY :afk');
    await bob.expect('306');
    await operUp(bob);
    const lines = await query(alice, 'WHOIS bob', isCode('318', 'alice', 'bob'));
    assert.deepEqual(lines.find((m) => m.command === '301')?.params, ['alice', 'bob', 'afk']);
    assert.deepEqual(lines.find((m) => m.command === '313')?.params.slice(0, 2), ['alice', 'bob']);
  });

  test('RFC 2812 §3.6.2 WHOIS: an unknown nick gives 401 then 318', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    alice.send('WHOIS ghost');
    const err = await alice.expect('401', 'alice', 'ghost');
    assert.equal(err.params[2], 'No such nick/channel');
    await alice.expect('318', 'alice', 'ghost');
  });

  test('RFC 2812 §3.6.3 WHOWAS: after a quit and after a nick change (314 then 369); 406 for unknown', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const carol = await h.client('carol');

    bob.send('QUIT :bye');
    await bob.waitClosed();
    carol.send('NICK carla');
    await carol.expect('NICK', 'carla');

    alice.send('WHOWAS bob');
    const was = await alice.expect('314', 'alice', 'bob');
    // 314 <client> <nick> <username> <host> * :<realname>
    assert.deepEqual(was.params, ['alice', 'bob', '~bob', HOST, '*', 'bob Tester']);
    await alice.expect('369', 'alice', 'bob');

    alice.send('WHOWAS carol');
    const was2 = await alice.expect('314', 'alice', 'carol');
    assert.deepEqual(was2.params.slice(2), ['~carol', HOST, '*', 'carol Tester']);
    await alice.expect('369', 'alice', 'carol');

    alice.send('WHOWAS nobody');
    await alice.expect('406', 'alice', 'nobody');
    await alice.expect('369', 'alice', 'nobody');
  });
});

// ------------------------------------------------------------------ USERHOST / ISON

describe('USERHOST and ISON', () => {
  test('RFC 2812 §4.8 USERHOST: nick[*]=(+|-)user@host for each known nick', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const carol = await h.client('carol');
    bob.send('AWAY :zzz');
    await bob.expect('306');
    await operUp(carol);

    alice.send('USERHOST alice bob nobody carol');
    const rpl = await alice.expect('302', 'alice');
    assert.deepEqual(rpl.params[1]!.split(' '), [
      `alice=+~alice@${HOST}`,
      `bob=-~bob@${HOST}`,
      `carol*=+~carol@${HOST}`,
    ]);
    alice.send('USERHOST nobody');
    assert.equal((await alice.expect('302', 'alice')).params[1], '');
  });

  test('RFC 2812 §4.9 ISON: 303 lists the nicks that are online', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    await h.client('Bob');
    alice.send('ISON bob nobody alice');
    assert.deepEqual((await alice.expect('303', 'alice')).params[1]!.split(' '), ['Bob', 'alice']);
    alice.send('ISON :nobody BOB');
    assert.equal((await alice.expect('303', 'alice')).params[1], 'Bob');
    alice.send('ISON nobody');
    assert.equal((await alice.expect('303', 'alice')).params[1], '');
  });
});

// ------------------------------------------------------------------ MONITOR

describe('MONITOR', () => {
  test('IRCv3 monitor §MONITOR +: 730 for online targets and 731 for offline ones, at once', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    alice.send('MONITOR + bob,carol');
    const online = await alice.expect('730', 'alice');
    assert.equal(online.params[1], maskOf(bob));
    const offline = await alice.expect('731', 'alice');
    assert.equal(offline.params[1], 'carol');
  });

  test('IRCv3 monitor §RPL_MONONLINE/§RPL_MONOFFLINE: sign-on, sign-off and nick changes are reported', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    alice.send('MONITOR + carol,dave');
    await alice.expect('731', 'alice');
    await alice.sync();

    const carol = await h.client('carol');
    assert.equal((await alice.expect('730', 'alice')).params[1], maskOf(carol));

    carol.send('QUIT :later');
    assert.equal((await alice.expect('731', 'alice')).params[1], 'carol');

    const eve = await h.client('eve');
    eve.send('NICK dave');
    assert.equal((await alice.expect('730', 'alice')).params[1], `dave!~eve@${HOST}`);
    eve.send('NICK eve');
    assert.equal((await alice.expect('731', 'alice')).params[1], 'dave');
  });

  test('IRCv3 monitor §MONITOR L/S/-/C: list, status, removal and clearing', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    alice.send('MONITOR + bob,Carol');
    await alice.expect('731', 'alice');

    alice.send('MONITOR L');
    const list = await alice.expect('732', 'alice');
    // The list keeps the spelling the client used.
    assert.deepEqual(list.params[1]!.split(',').sort(), ['Carol', 'bob']);
    const endList = await alice.expect('733', 'alice');
    assert.equal(endList.params[1], 'End of MONITOR list');

    alice.send('MONITOR S');
    assert.equal((await alice.expect('730', 'alice')).params[1], maskOf(bob));
    assert.equal((await alice.expect('731', 'alice')).params[1], 'Carol');

    const from = alice.received.length;
    alice.send('MONITOR - bob');
    alice.send('MONITOR L');
    await alice.expect('733', 'alice');
    assert.deepEqual(
      after(alice, from).map((m) => [m.command, m.params[1]]),
      [
        ['732', 'Carol'],
        ['733', 'End of MONITOR list'],
      ],
      'MONITOR - has no output of its own',
    );

    // No longer notified about bob.
    bob.send('QUIT');
    await bob.waitClosed();
    const from2 = alice.received.length;
    alice.send('MONITOR C');
    alice.send('MONITOR L');
    await alice.expect('733', 'alice');
    assert.deepEqual(
      after(alice, from2).map((m) => m.command),
      ['733'],
      'no 731 for bob, no output for C, an empty list',
    );
  });

  test('IRCv3 monitor §ERR_MONLISTFULL: 734 <limit> <targets> when the list would exceed MONITOR=<n>', async (t) => {
    const h = await boot(t, { maxMonitor: 2 });
    const c = await h.raw();
    await c.registerAs('alice');
    const isupport = c.received.filter((m) => m.command === '005').flatMap((m) => m.params);
    assert.ok(isupport.includes('MONITOR=2'), 'ISUPPORT advertises the limit');

    c.send('MONITOR + a1,a2,a3,a4');
    const full = await c.expect('734', 'alice');
    assert.deepEqual(full.params.slice(1), ['2', 'a3,a4', 'Monitor list is full.']);
    c.send('MONITOR L');
    assert.deepEqual((await c.expect('732', 'alice')).params[1]!.split(',').sort(), ['a1', 'a2']);
    // Re-adding a target already on the list is not an overflow.
    const from = c.received.length;
    c.send('MONITOR + a1');
    await c.expect('731', 'alice', 'a1');
    assert.deepEqual(after(c, from, '734'), []);
  });
});

// ------------------------------------------------------------------ LUSERS / MOTD / TIME / VERSION / INFO / PING

describe('Server information', () => {
  test('RFC 2812 §3.4.2 LUSERS: 251–255, 265, 266 count users, invisible users, operators, unknowns, channels', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const carol = await h.client('carol');
    bob.send('MODE bob +i');
    await bob.expect('MODE', 'bob', '+i');
    await operUp(carol);
    await joinAll('#a', alice);
    await joinAll('#b', bob, carol);
    // An unregistered connection, known to the server once it answers.
    const unknown = await h.raw();
    unknown.send('CAP LS');
    await unknown.expect('CAP', '*', 'LS');

    const lines = await query(alice, 'LUSERS', isCode('266', 'alice'));
    const get = (code: string): string[] => lines.find((m) => m.command === code)!.params.slice(1);
    assert.deepEqual(get('251'), ['There are 2 users and 1 invisible on 1 servers']);
    assert.deepEqual(get('252'), ['1', 'operator(s) online']);
    assert.deepEqual(get('253'), ['1', 'unknown connection(s)']);
    assert.deepEqual(get('254'), ['2', 'channels formed']);
    assert.deepEqual(get('255'), ['I have 3 clients and 0 servers']);
    assert.deepEqual(get('265').slice(0, 2), ['3', '3']);
    assert.deepEqual(get('266').slice(0, 2), ['3', '3']);
    assert.deepEqual(
      lines.map((m) => m.command),
      ['251', '252', '253', '254', '255', '265', '266'],
    );
  });

  test('RFC 2812 §3.4.1 MOTD: the default MOTD greets the user by nick, at registration and on MOTD', async (t) => {
    const h = await boot(t);
    const c = await h.raw();
    await c.registerAs('Alice');
    const motd = c.received.filter((m) => m.command === '372').map((m) => m.params[1]);
    assert.equal(motd[0], '- Welcome to the best chat in the universe, Alice!');
    assert.equal(c.received.findLast((m) => m.command === '376')?.params[0], 'Alice');

    c.send('MOTD');
    const start = await c.expect('375', 'Alice');
    assert.match(start.params[1]!, /tertulia\.local/);
    const line = await c.expect('372', 'Alice');
    assert.equal(line.params[1], '- Welcome to the best chat in the universe, Alice!');
    await c.expect('376', 'Alice');
  });

  test('RFC 2812 §3.4.1 MOTD: a custom motd file is sent line by line', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tertulia-motd-'));
    const file = join(dir, 'motd.txt');
    writeFileSync(file, 'First line\n\nThird line, after a blank one\n');
    const h = await boot(t, { motdFile: file });
    const alice = await h.client('alice');
    const motd = alice.received.filter((m) => m.command === '372').map((m) => m.params[1]);
    assert.deepEqual(motd, ['- First line', '- ', '- Third line, after a blank one']);
    alice.send('MOTD');
    await alice.expect('375', 'alice');
    assert.equal((await alice.expect('372', 'alice')).params[1], '- First line');
  });

  test('RFC 2812 §3.4.1 MOTD: an empty motd file gives 422 ERR_NOMOTD', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'tertulia-motd-'));
    const file = join(dir, 'empty.txt');
    writeFileSync(file, '');
    const h = await boot(t, { motdFile: file });
    const alice = await h.client('alice');
    assert.ok(
      alice.received.some((m) => m.command === '422'),
      'registration ends with 422',
    );
    assert.equal(
      alice.received.some((m) => m.command === '375' || m.command === '372'),
      false,
    );
    alice.send('MOTD');
    const err = await alice.expect('422', 'alice');
    assert.equal(err.params[1], 'MOTD File is missing');
  });

  test('RFC 2812 §3.4.6 TIME: 391 <client> <server> … :<human-readable time>', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    alice.send('TIME');
    const rpl = await alice.expect('391', 'alice', SERVER);
    const human = rpl.params.at(-1)!;
    assert.ok(human.length > 0);
    assert.ok(Math.abs(Date.parse(human) - Date.now()) < 60_000, `a parseable current time: ${human}`);
  });

  test('RFC 2812 §3.4.3 VERSION + modern docs: 351 <client> <version> <server> :<comments>, then 005', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const from = alice.received.length;
    alice.send('VERSION');
    await alice.sync();
    const lines = after(alice, from).filter((m) => m.command !== 'PONG');
    const version = lines[0]!;
    assert.equal(version.command, '351', 'RPL_VERSION comes first');
    assert.match(version.params[1]!, /^tertulia-\d+\.\d+\.\d+/);
    assert.equal(version.params[2], SERVER);
    const isupport = lines.slice(1);
    assert.ok(isupport.length >= 1 && isupport.every((m) => m.command === '005'), 'then 005 lines');
    for (const m of isupport) assert.equal(m.params.at(-1), 'are supported by this server');
    const tokens = isupport.flatMap((m) => m.params.slice(1, -1));
    assert.ok(tokens.includes('NETWORK=tertulia'), tokens.join(' '));
  });

  test('RFC 2812 §3.4.10 INFO: one or more 371 lines then 374', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    const lines = await query(alice, 'INFO', isCode('374', 'alice'));
    assert.ok(lines.length >= 2);
    assert.ok(lines.slice(0, -1).every((m) => m.command === '371'));
  });

  test('RFC 2812 §3.7.2 PING / modern docs PONG: PONG <server> <token> echoes the token exactly', async (t) => {
    const h = await boot(t);
    const alice = await h.client('alice');
    alice.send('PING :a token with spaces');
    const pong = await alice.expect('PONG');
    assert.equal(pong.source, SERVER);
    assert.deepEqual(pong.params, [SERVER, 'a token with spaces']);
    alice.send('PING 1700000000');
    assert.deepEqual((await alice.expect('PONG')).params, [SERVER, '1700000000']);
  });
});

// ------------------------------------------------------------------ OPER / KILL / WALLOPS

describe('Operators', () => {
  test('RFC 2812 §3.1.4 OPER: a wrong password or unknown name gives 464; the right one 381 and MODE +o', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    alice.send('OPER admin wrong');
    await alice.expect('464', 'alice');
    alice.send('OPER nobody pw');
    await alice.expect('464', 'alice');
    alice.send('OPER admin pw');
    const ok = await alice.expect('381', 'alice');
    assert.equal(ok.source, SERVER);
    const mode = await alice.expect('MODE', 'alice', '+o');
    assert.equal(mode.source, maskOf(alice));
    alice.send('MODE alice');
    assert.match((await alice.expect('221', 'alice')).params[1]!, /^\+\w*o/);
  });

  test('RFC 2812 §3.7.1 KILL: 481 for non-operators; an operator KILL closes the victim, peers see QUIT "Killed"', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const carol = await h.client('carol');
    await joinAll('#kill', bob, carol);

    bob.send('KILL carol :nope');
    await bob.expect('481', 'bob');

    await operUp(alice);
    alice.send('KILL bob :spamming');
    const error = await bob.expect('ERROR');
    assert.match(error.params[0]!, /Killed/);
    await bob.waitClosed();
    const quit = await carol.expect('QUIT');
    assert.equal(quit.source, maskOf(bob));
    assert.match(quit.params[0]!, /^Killed \(alice \(spamming\)\)$/);

    alice.send('KILL ghost :x');
    await alice.expect('401', 'alice', 'ghost');
    alice.send('ISON bob');
    assert.equal((await alice.expect('303', 'alice')).params[1], '');
  });

  test('RFC 2812 §4.7 WALLOPS: only +w users (and the sending operator) receive it; non-operators get 481', async (t) => {
    const h = await boot(t, await withOper());
    const alice = await h.client('alice');
    const bob = await h.client('bob');
    const carol = await h.client('carol');
    bob.send('MODE bob +w');
    await bob.expect('MODE', 'bob', '+w');

    carol.send('WALLOPS :hi all');
    await carol.expect('481', 'carol');

    await operUp(alice);
    const carolFrom = carol.received.length;
    alice.send('WALLOPS :maintenance at noon');
    const got = await bob.expect('WALLOPS', 'maintenance at noon');
    assert.equal(got.source, maskOf(alice));
    await alice.expect('WALLOPS', 'maintenance at noon');
    await settle(alice, carol);
    assert.deepEqual(after(carol, carolFrom, 'WALLOPS'), []);
  });
});
