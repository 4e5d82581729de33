/**
 * Replies, reactions, edits, redaction and multiline messages over real sockets, on both
 * storage back ends: stored, delivered to everyone concerned, replayed through CHATHISTORY,
 * and harmless to clients that negotiated none of it (docs/MESSAGE-FEATURES.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../../src/crypto/password.js';
import { type Received, TestClient } from '../helpers/client.js';
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';

const BASE = ['batch', 'server-time', 'message-tags', 'echo-message', 'labeled-response'];
const FULL = [
  ...BASE,
  'draft/chathistory',
  'draft/event-playback',
  'draft/message-redaction',
  'draft/multiline',
];

/** The lines of the next batch of a type (after the mark), without its BATCH lines. */
async function batchOf(c: TestClient, type: string): Promise<{ open: Received; lines: Received[] }> {
  const open = await c.waitFor(
    (m) => m.command === 'BATCH' && m.params[0]!.startsWith('+') && m.params[1] === type,
  );
  const id = open.params[0]!.slice(1);
  const all = await c.until((m) => m.command === 'BATCH' && m.params[0] === `-${id}`);
  return { open, lines: all.slice(0, -1) };
}

/** A CHATHISTORY request's batch, top-level lines only (nested batches stay as their BATCH lines). */
async function history(c: TestClient, line: string): Promise<Received[]> {
  c.send(line);
  const { open, lines } = await batchOf(c, 'chathistory');
  const id = open.params[0]!.slice(1);
  return lines.filter((m) => m.tags['batch'] === id);
}

/** Lines received since the mark, after a PING round trip proves the server is done. */
async function settled(c: TestClient): Promise<Received[]> {
  const start = c.since.length;
  await c.sync();
  return c.since.slice(0, start).filter((m) => m.command !== 'PONG');
}

for (const backend of backends()) {
  describe(`message features on ${backend.name}`, () => {
    let srv: TestServer;
    const clients: TestClient[] = [];
    const reg = async (nick: string, caps: string[] = FULL): Promise<TestClient> => {
      const c = await TestClient.register(srv.port, nick, caps);
      clients.push(c);
      return c;
    };
    /** Joins everyone to a room (the first becomes its operator) and clears their marks. */
    const room = async (name: string, ...members: TestClient[]): Promise<void> => {
      for (const m of members) {
        m.send(`JOIN ${name}`);
        await m.waitFor((x) => x.command === '366');
      }
      for (const m of members) {
        await m.sync();
        m.mark();
      }
    };
    /** Sends a PRIVMSG and returns its msgid from the echo. */
    const say = async (c: TestClient, target: string, text: string, tags = ''): Promise<string> => {
      c.send(`${tags === '' ? '' : `@${tags} `}PRIVMSG ${target} :${text}`);
      const echo = await c.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === text);
      return echo.tags['msgid']!;
    };

    before(async () => {
      srv = await startServer({
        database: await backend.fresh(),
        opers: [{ name: 'admin', passwordHash: await hashPassword('pw') }],
      });
    });
    after(async () => {
      for (const c of clients) c.close();
      await srv.stop().catch(() => {});
      await backend.cleanup();
    });

    test('the capabilities are advertised, multiline with its limits', async () => {
      const c = await TestClient.connect(srv.port);
      clients.push(c);
      c.send('CAP LS 302');
      const replies = await c.until((m) => m.command === 'CAP' && m.params[2] !== '*');
      const ls = replies.flatMap((m) => m.params.at(-1)!.split(' '));
      for (const cap of ['draft/message-redaction', 'draft/event-playback']) assert.ok(ls.includes(cap), cap);
      assert.ok(ls.includes('draft/multiline=max-bytes=8192,max-lines=100'), ls.join(' '));
    });

    test('replies: +draft/reply and +reply are relayed, stored and replayed; plain clients see the text', async () => {
      const alice = await reg('rAlice');
      const bob = await reg('rBob');
      const plain = await reg('rPlain', []);
      await room('#replies', alice, bob, plain);
      const first = await say(alice, '#replies', 'who is coming?');
      await bob.waitFor((m) => m.params[1] === 'who is coming?');
      bob.send(`@+draft/reply=${first} PRIVMSG #replies :me!`);
      bob.send(`@+reply=${first} PRIVMSG #replies :me too`);
      const one = await alice.waitFor((m) => m.params[1] === 'me!');
      const two = await alice.waitFor((m) => m.params[1] === 'me too');
      assert.equal(one.tags['+draft/reply'], first);
      assert.equal(two.tags['+reply'], first);
      // Without message-tags a reply is just a message.
      const seen = await plain.waitFor((m) => m.params[1] === 'me!');
      assert.equal(seen.raw.startsWith('@'), false, seen.raw);
      const replay = await history(alice, 'CHATHISTORY LATEST #replies * 10');
      assert.deepEqual(
        replay.map((m) => [m.params[1], m.tags['+draft/reply'] ?? m.tags['+reply'] ?? null]),
        [
          ['who is coming?', null],
          ['me!', first],
          ['me too', first],
        ],
      );
    });

    test('reactions (+draft/react): relayed once per person and emoji, unreact removes, history replays them', async () => {
      const alice = await reg('xAlice');
      const bob = await reg('xBob');
      const plain = await reg('xPlain', []);
      await room('#react', alice, bob, plain);
      const msg = await say(alice, '#react', 'lunch at one?');
      await bob.waitFor((m) => m.params[1] === 'lunch at one?');
      await plain.waitFor((m) => m.params[1] === 'lunch at one?');
      alice.mark();
      plain.mark();

      bob.send(`@+draft/react=👍;+draft/reply=${msg} TAGMSG #react`);
      const react = await alice.waitFor((m) => m.command === 'TAGMSG');
      assert.equal(react.tags['+draft/react'], '👍');
      assert.equal(react.tags['+draft/reply'], msg);
      assert.ok(react.tags['msgid']);
      // The same reaction again changes nothing: not relayed, and a labeled one gets ACK.
      bob.send(`@label=dup;+draft/react=👍;+draft/reply=${msg} TAGMSG #react`);
      const ack = await bob.waitFor((m) => m.tags['label'] === 'dup');
      assert.equal(ack.command, 'ACK');
      alice.send(`@+draft/react=🎉;+draft/reply=${msg} TAGMSG #react`);
      await alice.waitFor((m) => m.command === 'TAGMSG' && m.tags['+draft/react'] === '🎉');
      assert.deepEqual(
        (await settled(alice)).filter((m) => m.command === 'TAGMSG').map((m) => m.tags['+draft/react']),
        [],
      );
      // TAGMSG never reaches a client without message-tags.
      assert.deepEqual(await settled(plain), []);

      // History: each current reaction right after its message (with draft/event-playback).
      let replay = await history(alice, 'CHATHISTORY LATEST #react * 10');
      assert.deepEqual(
        replay.map((m) => [m.command, m.params[1] ?? m.tags['+draft/react']]),
        [
          ['PRIVMSG', 'lunch at one?'],
          ['TAGMSG', '👍'],
          ['TAGMSG', '🎉'],
        ],
      );
      assert.equal(replay[1]!.tags['msgid'], react.tags['msgid']);
      assert.match(replay[1]!.source ?? '', /^xBob!/);

      bob.send(`@+draft/unreact=👍;+draft/reply=${msg} TAGMSG #react`);
      const unreact = await alice.waitFor((m) => m.command === 'TAGMSG' && m.tags['+draft/unreact'] === '👍');
      assert.equal(unreact.tags['+draft/reply'], msg);
      replay = await history(alice, 'CHATHISTORY LATEST #react * 10');
      assert.deepEqual(
        replay.map((m) => m.tags['+draft/react'] ?? m.params[1]),
        ['lunch at one?', '🎉'],
      );
      // A client without draft/event-playback gets the messages only.
      const older = await reg('xOlder', [...BASE, 'draft/chathistory']);
      older.send('JOIN #react');
      await older.waitFor((m) => m.command === '366');
      const plainReplay = await history(older, 'CHATHISTORY LATEST #react * 10');
      assert.deepEqual(
        plainReplay.map((m) => m.command),
        ['PRIVMSG'],
      );
      // A reaction to a message this server does not know is relayed (client tags are the
      // client's business: message-tags §Client-only tags) but not stored.
      bob.send('@+draft/react=👀;+draft/reply=nosuchmsgid TAGMSG #react');
      const relayed = await alice.waitFor((m) => m.command === 'TAGMSG' && m.tags['+draft/react'] === '👀');
      assert.equal(relayed.tags['+draft/reply'], 'nosuchmsgid');
      bob.send('PING :after-unknown');
      const bobSaw = await bob.until((m) => m.command === 'PONG' && m.params.at(-1) === 'after-unknown');
      assert.deepEqual(
        bobSaw.filter((m) => m.command === 'FAIL'),
        [],
      );
      const after = await history(alice, 'CHATHISTORY LATEST #react * 10');
      assert.deepEqual(
        after.map((m) => m.tags['+draft/react'] ?? m.params[1]),
        ['lunch at one?', '🎉'],
      );
    });

    test('draft/event-playback: a TAGMSG kept in history comes back, with its msgid, only to clients that negotiated it', async () => {
      const alice = await reg('tAlice');
      const bob = await reg('tBob');
      const older = await reg('tOlder', [...BASE, 'draft/chathistory']);
      await room('#tagged', alice, bob, older);
      const before = await say(alice, '#tagged', 'look');
      // A client tag of its own (message-tags §Client-only tags): kept, unlike +typing.
      alice.send('@+example.org/nudge=1 TAGMSG #tagged');
      const live = await bob.waitFor((m) => m.command === 'TAGMSG' && m.tags['+example.org/nudge'] === '1');
      alice.send('@+typing=active TAGMSG #tagged');
      await bob.waitFor((m) => m.command === 'TAGMSG' && m.tags['+typing'] === 'active');
      const after = await say(alice, '#tagged', 'there');
      const replay = await history(bob, 'CHATHISTORY LATEST #tagged * 10');
      assert.deepEqual(
        replay.map((m) => [m.command, m.tags['msgid']]),
        [
          ['PRIVMSG', before],
          ['TAGMSG', live.tags['msgid']],
          ['PRIVMSG', after],
        ],
      );
      assert.equal(replay[1]!.tags['+example.org/nudge'], '1');
      // Without draft/event-playback: the messages only (chathistory §Implementation).
      assert.deepEqual(
        (await history(older, 'CHATHISTORY LATEST #tagged * 10')).map((m) => m.command),
        ['PRIVMSG', 'PRIVMSG'],
      );
    });

    test('REDACT (draft/message-redaction §Command): the author; others, a guest room operator too, are refused', async () => {
      const op = await reg('dOp');
      const bob = await reg('dBob');
      const carol = await reg('dCarol');
      const plain = await reg('dPlain', []);
      await room('#redact', op, bob, carol, plain);
      const secret = await say(bob, '#redact', 'my password is hunter2');
      const spam = await say(carol, '#redact', 'buy cheap stuff');
      const kept = await say(op, '#redact', 'welcome');
      await plain.waitFor((m) => m.params[1] === 'welcome');
      for (const c of [op, bob, carol, plain]) {
        await c.sync();
        c.mark();
      }

      // Someone else's message, without being an operator: REDACT_FORBIDDEN (§Errors).
      bob.send(`REDACT #redact ${spam} :not yours`);
      const forbidden = await bob.expect('FAIL', 'REDACT', 'REDACT_FORBIDDEN');
      assert.deepEqual(forbidden.params.slice(2, 4), ['#redact', spam]);
      bob.send('REDACT #redact nosuchmsgid');
      await bob.expect('FAIL', 'REDACT', 'UNKNOWN_MSGID');
      bob.send(`REDACT #elsewhere ${secret}`);
      await bob.expect('FAIL', 'REDACT', 'INVALID_TARGET');

      // The guest who created the room holds +o, which covers modes, kicks and topic, never
      // other people's history (docs/PERMISSIONS.md).
      op.send(`REDACT #redact ${spam}`);
      await op.expect('FAIL', 'REDACT', 'REDACT_FORBIDDEN');
      // The author redacts their own.
      bob.send(`REDACT #redact ${secret} :oops`);
      const seen = await carol.expect('REDACT', '#redact', secret);
      assert.equal(seen.params[2], 'oops');
      assert.match(seen.source ?? '', /^dBob!/);
      await bob.expect('REDACT', '#redact', secret);
      carol.send(`REDACT #redact ${spam}`);
      await carol.expect('REDACT', '#redact', spam);
      // A client without the capability is told nothing (§Command: MUST not forward).
      assert.deepEqual(await settled(plain), []);

      // History no longer returns them; with the capability it replays the REDACTs.
      const replay = await history(op, 'CHATHISTORY LATEST #redact * 10');
      assert.deepEqual(
        replay.map((m) => [m.command, m.params[1]]),
        [
          ['PRIVMSG', 'welcome'],
          ['REDACT', secret],
          ['REDACT', spam],
        ],
      );
      assert.equal(replay[0]!.tags['msgid'], kept);
      // An event replayed is the event as first sent: its msgid, time and source
      // (chathistory §Returned message notes: the msgid as originally sent).
      assert.match(seen.tags['msgid'] ?? '', /^[A-Za-z0-9_-]+$/);
      assert.equal(replay[1]!.tags['msgid'], seen.tags['msgid']);
      assert.equal(replay[1]!.tags['time'], seen.tags['time']);
      assert.equal(replay[1]!.source, seen.source);
      const older = await reg('dOlder', [...BASE, 'draft/chathistory']);
      older.send('JOIN #redact');
      await older.waitFor((m) => m.command === '366');
      assert.deepEqual(
        (await history(older, 'CHATHISTORY LATEST #redact * 10')).map((m) => m.params[1]),
        ['welcome'],
      );
      // Catching up after the last message seen also brings the redactions made since.
      const caught = await history(op, `CHATHISTORY AFTER #redact msgid=${kept} 10`);
      assert.deepEqual(
        caught.map((m) => [m.command, m.params[1]]),
        [
          ['REDACT', secret],
          ['REDACT', spam],
        ],
      );
    });

    test("deleting or editing someone else's message needs lasting authority: founder, a named operator or a server operator; guest channel ops never", async () => {
      const account = async (nick: string): Promise<TestClient> => {
        const c = await reg(nick);
        c.send('REGISTER * * :pw');
        await c.expect('900');
        return c;
      };
      const ana = await account('lAna');
      const bea = await account('lBea');
      const vandalo = await reg('lVandalo');
      const oper = await reg('lOper');
      oper.send('OPER admin pw');
      await oper.expect('381');

      // A guest creates a room; an account talks in it; the guest (its operator) cannot
      // delete or edit those messages, but still sets the topic and kicks.
      await room('#lguest', vandalo, ana, oper);
      const first = await say(ana, '#lguest', 'soy ana, de verdad');
      const second = await say(ana, '#lguest', 'y esto también lo dije yo');
      await vandalo.waitFor((m) => m.params[1] === 'y esto también lo dije yo');
      for (const id of [first, second]) {
        vandalo.send(`REDACT #lguest ${id} :borrado`);
        await vandalo.expect('FAIL', 'REDACT', 'REDACT_FORBIDDEN');
      }
      vandalo.send(`@+draft/edit=${first} PRIVMSG #lguest :soy un impostor`);
      await vandalo.expect('FAIL', 'PRIVMSG', 'EDIT_FORBIDDEN');
      vandalo.send('TOPIC #lguest :tema del invitado');
      await ana.expect('TOPIC', '#lguest', 'tema del invitado');
      // A server operator may remove it (not a member's authority: the server's).
      oper.send(`REDACT #lguest ${second} :moderación`);
      await ana.expect('REDACT', '#lguest', second);
      const left = await history(ana, 'CHATHISTORY LATEST #lguest * 10');
      assert.deepEqual(
        left.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]),
        ['soy ana, de verdad'],
      );

      // An account creates a room: it is its founder. It names bea as an operator; a guest
      // it gives +o by hand is a channel operator of the moment only.
      await room('#lcasa', ana, vandalo, bea);
      ana.send('PRIVMSG ChanServ :ACCESS #lcasa ADD lBea');
      await bea.waitFor((m) => m.command === 'MODE' && m.params[1] === '+o' && m.params[2] === 'lBea');
      ana.send('MODE #lcasa +o lVandalo');
      await vandalo.waitFor((m) => m.command === 'MODE' && m.params[2] === 'lVandalo');
      const spam1 = await say(vandalo, '#lcasa', 'spam uno');
      const spam2 = await say(vandalo, '#lcasa', 'spam dos');
      const beas = await say(bea, '#lcasa', 'hola casa');
      await ana.waitFor((m) => m.params[1] === 'hola casa');
      vandalo.send(`REDACT #lcasa ${beas}`);
      await vandalo.expect('FAIL', 'REDACT', 'REDACT_FORBIDDEN');
      ana.send(`REDACT #lcasa ${spam1}`);
      await bea.expect('REDACT', '#lcasa', spam1);
      bea.send(`REDACT #lcasa ${spam2}`);
      await ana.expect('REDACT', '#lcasa', spam2);
      // Nobody edits someone else's words, not even the founder.
      ana.send(`@+draft/edit=${beas} PRIVMSG #lcasa :bea dice otra cosa`);
      await ana.expect('FAIL', 'PRIVMSG', 'EDIT_FORBIDDEN');
      assert.deepEqual(
        (await history(bea, 'CHATHISTORY LATEST #lcasa * 10')).map((m) => [m.command, m.params[1]]),
        [
          ['PRIVMSG', 'hola casa'],
          ['REDACT', spam1],
          ['REDACT', spam2],
        ],
      );
    });

    test('a guest redacts its own private message; the peer with the capability is told', async () => {
      const a = await reg('pA');
      const b = await reg('pB');
      const msgid = await say(a, 'pB', 'wrong window');
      await b.waitFor((m) => m.params[1] === 'wrong window');
      a.send(`REDACT pB ${msgid}`);
      await b.expect('REDACT', 'pB', msgid);
      assert.deepEqual(
        (await history(a, 'CHATHISTORY LATEST pB * 10')).map((m) => m.command),
        ['REDACT'],
      );
      // The peer did not write it.
      const reply = await say(b, 'pA', 'ok');
      a.send(`REDACT pB ${reply}`);
      await a.expect('FAIL', 'REDACT', 'REDACT_FORBIDDEN');
    });

    test('edits (+draft/edit): the author corrects a message; old clients see a correction; others are refused', async () => {
      const alice = await reg('eAlice');
      const bob = await reg('eBob');
      const plain = await reg('ePlain', []);
      await room('#edit', alice, bob, plain);
      const original = await say(alice, '#edit', 'teh meeting is at 3');
      await plain.waitFor((m) => m.params[1] === 'teh meeting is at 3');
      alice.send(`@+draft/edit=${original} PRIVMSG #edit :the meeting is at 3`);
      const edit = await bob.waitFor((m) => m.params[1] === 'the meeting is at 3');
      assert.equal(edit.tags['+draft/edit'], original);
      assert.notEqual(edit.tags['msgid'], original);
      const correction = await plain.waitFor((m) => m.command === 'PRIVMSG');
      assert.equal(correction.params[1], 'the meeting is at 3');

      bob.send(`@+draft/edit=${original} PRIVMSG #edit :the meeting is cancelled`);
      const fail = await bob.expect('FAIL', 'PRIVMSG', 'EDIT_FORBIDDEN');
      assert.deepEqual(fail.params.slice(2, 4), ['#edit', original]);
      bob.send('@+draft/edit=nosuchmsgid PRIVMSG #edit :hm');
      await bob.expect('FAIL', 'PRIVMSG', 'UNKNOWN_MSGID');
      assert.deepEqual(
        (await settled(plain)).map((m) => m.params[1]),
        [],
      );
      const replay = await history(alice, 'CHATHISTORY LATEST #edit * 10');
      assert.deepEqual(
        replay.map((m) => [m.params[1], m.tags['+draft/edit'] ?? null]),
        [
          ['teh meeting is at 3', null],
          ['the meeting is at 3', original],
        ],
      );
      // Redacting the original takes its edits with it.
      alice.send(`REDACT #edit ${original}`);
      await alice.expect('REDACT', '#edit', original);
      assert.deepEqual(
        (await history(alice, 'CHATHISTORY LATEST #edit * 10')).map((m) => m.command),
        ['REDACT'],
      );
    });

    test('multiline (draft/multiline): one message with line breaks; a batch for some, lines for others', async () => {
      const alice = await reg('mAlice');
      const bob = await reg('mBob');
      const plain = await reg('mPlain', []);
      await room('#paste', alice, bob, plain);
      const long = 'x'.repeat(300);
      alice.send('@label=ml;+draft/reply=abc BATCH +p1 draft/multiline #paste');
      alice.send('@batch=p1 PRIVMSG #paste :function hi() {');
      alice.send('@batch=p1 PRIVMSG #paste :  return 1;');
      alice.send('@batch=p1 PRIVMSG #paste :');
      alice.send('@batch=p1 PRIVMSG #paste :}');
      alice.send(`@batch=p1 PRIVMSG #paste :${long} `);
      alice.send(`@batch=p1;draft/multiline-concat PRIVMSG #paste :${long}`);
      alice.send('BATCH -p1');

      // The echo is the batch, labeled on its opening line only (§labeled-response).
      const echo = await batchOf(alice, 'draft/multiline');
      assert.equal(echo.open.tags['label'], 'ml');
      assert.equal(echo.open.params[2], '#paste');
      const msgid = echo.open.tags['msgid']!;
      assert.ok(msgid);
      const got = await batchOf(bob, 'draft/multiline');
      assert.equal(got.open.tags['msgid'], msgid);
      assert.equal(got.open.tags['+draft/reply'], 'abc');
      const combined = got.lines
        .map((m, i) => (i === 0 || m.tags['draft/multiline-concat'] !== undefined ? '' : '\n') + m.params[1])
        .join('');
      const expected = `function hi() {\n  return 1;\n\n}\n${long} ${long}`;
      assert.equal(combined, expected);
      for (const line of got.lines) assert.ok(Buffer.byteLength(line.raw) + 2 <= 512 + 8191, line.raw);

      // Without the capability: the lines, blank ones left out, the msgid on the first only.
      const lines = await plain.until((m) => m.params[1] === long);
      const texts = lines.filter((m) => m.command === 'PRIVMSG').map((m) => m.params[1]);
      assert.deepEqual(texts.slice(0, 4), ['function hi() {', '  return 1;', '}', `${long} `]);
      assert.equal(
        lines.some((m) => m.params[1] === ''),
        false,
      );

      // Stored once, and replayed as a batch inside the history batch.
      alice.send('CHATHISTORY LATEST #paste * 10');
      const outer = await alice.waitFor((m) => m.command === 'BATCH' && m.params[1] === 'chathistory');
      const inner = await batchOf(alice, 'draft/multiline');
      assert.equal(inner.open.tags['batch'], outer.params[0]!.slice(1));
      assert.equal(inner.open.tags['msgid'], msgid);
      assert.equal(
        inner.lines
          .map(
            (m, i) => (i === 0 || m.tags['draft/multiline-concat'] !== undefined ? '' : '\n') + m.params[1],
          )
          .join(''),
        expected,
      );
      const older = await reg('mOlder', [...BASE, 'draft/chathistory']);
      older.send('JOIN #paste');
      await older.waitFor((m) => m.command === '366');
      const replay = await history(older, 'CHATHISTORY LATEST #paste * 10');
      assert.equal(replay[0]!.params[1], 'function hi() {');
      assert.equal(replay[0]!.tags['msgid'], msgid);
      assert.equal(replay.filter((m) => m.tags['msgid'] !== undefined).length, 1);
    });

    test('multiline limits and mistakes get FAIL BATCH (§Errors), and a paste is not a flood', async () => {
      const alice = await reg('lAlice');
      const bob = await reg('lBob');
      await room('#limits', alice, bob);
      alice.send('BATCH +t1 draft/multiline #limits');
      alice.send('@batch=t1 PRIVMSG #other :hi');
      alice.send('BATCH -t1');
      const wrong = await alice.expect('FAIL', 'BATCH', 'MULTILINE_INVALID_TARGET');
      assert.deepEqual(wrong.params.slice(2, 4), ['#limits', '#other']);

      alice.send('BATCH +t2 draft/multiline #limits');
      for (let i = 0; i < 101; i++) alice.send(`@batch=t2 PRIVMSG #limits :line ${i}`);
      alice.send('BATCH -t2');
      const lines = await alice.expect('FAIL', 'BATCH', 'MULTILINE_MAX_LINES');
      assert.equal(lines.params[2], '100');

      alice.send('BATCH +t3 draft/multiline #limits');
      for (let i = 0; i < 25; i++) alice.send(`@batch=t3 PRIVMSG #limits :${'y'.repeat(400)}`);
      alice.send('BATCH -t3');
      await alice.expect('FAIL', 'BATCH', 'MULTILINE_MAX_BYTES');

      // 60 lines at once (far past the flood burst) arrive as one message.
      alice.send('BATCH +t4 draft/multiline #limits');
      for (let i = 0; i < 60; i++) alice.send(`@batch=t4 PRIVMSG #limits :row ${i}`);
      alice.send('BATCH -t4');
      const got = await batchOf(bob, 'draft/multiline');
      assert.equal(got.lines.length, 60);
      assert.equal(alice.closed, false);
      // A paste right behind a JOIN (still being processed) waits for it, and is no flood either.
      const carol = await reg('lCarol');
      carol.socket.write(
        ['JOIN #limits', 'BATCH +t5 draft/multiline #limits']
          .concat(Array.from({ length: 80 }, (_, i) => `@batch=t5 PRIVMSG #limits :row ${i}`))
          .concat(['BATCH -t5', ''])
          .join('\r\n'),
      );
      const pasted = await batchOf(bob, 'draft/multiline');
      assert.equal(pasted.lines.length, 80);
      assert.match(pasted.open.source ?? '', /^lCarol!/);
      await carol.sync();
      assert.equal(carol.closed, false);
      // None of the refused batches reached bob.
      bob.mark();
      assert.deepEqual(
        (await settled(bob)).filter((m) => m.command === 'PRIVMSG'),
        [],
      );
    });
  });
}
