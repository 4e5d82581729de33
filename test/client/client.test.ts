/** The client library (src/client) against a real tertulia. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChatClient, type ChatMessage, splitText } from '../../src/client/index.js';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const clients: ChatClient[] = [];
function client(
  port: number,
  nick: string,
  extra: Partial<ConstructorParameters<typeof ChatClient>[0]> = {},
) {
  const c = new ChatClient({
    host: '127.0.0.1',
    port,
    nick,
    reconnectMinMs: 100,
    reconnectMaxMs: 500,
    ...extra,
  });
  clients.push(c);
  return c;
}

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('splitText', () => {
  it('cuts at spaces, within the byte budget, never inside a character', () => {
    const pieces = splitText('ñandú '.repeat(50), 40);
    assert.ok(pieces.length > 1);
    for (const p of pieces) assert.ok(Buffer.byteLength(p) <= 40, p);
    assert.equal(pieces.join(' ').replace(/\s+/g, ' ').trim(), 'ñandú '.repeat(50).trim());
    assert.deepEqual(splitText('a\nb\r\n\nc', 10), ['a', 'b', 'c']);
  });
});

describe('ChatClient', { timeout: 20_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  it('registers with capabilities, joins, and exchanges typed messages both ways', async () => {
    const alice = client(server.port, 'alice');
    const bob = client(server.port, 'bob');
    const registered = alice.next('registered');
    await alice.connect();
    assert.equal((await registered).nick, 'alice');
    for (const cap of ['message-tags', 'server-time', 'echo-message', 'batch', 'draft/chathistory'])
      assert.ok(alice.caps.has(cap), cap);
    await bob.connect();

    const aliceJoined = alice.next('join', (e) => e.self);
    const aliceNames = alice.next('names');
    alice.join('#sala');
    assert.equal((await aliceJoined).channel, '#sala');
    assert.deepEqual(
      (await aliceNames).users.map((u) => u.nick),
      ['alice'],
    );
    const seesBob = alice.next('join', (e) => e.nick === 'bob');
    const bobJoined = bob.next('join', (e) => e.self);
    bob.join('#sala');
    await Promise.all([seesBob, bobJoined]);
    assert.deepEqual(
      alice
        .users('#sala')
        .map((u) => u.nick)
        .sort(),
      ['alice', 'bob'],
    );

    const atBob = bob.next('message');
    const echo = alice.next('message', (m) => m.self);
    alice.say('#sala', 'hola bob');
    const got = await atBob;
    assert.equal(got.from, 'alice');
    assert.equal(got.target, '#sala');
    assert.equal(got.text, 'hola bob');
    assert.equal(got.self, false);
    assert.equal(got.private, false);
    assert.ok(got.msgid);
    assert.ok(got.time instanceof Date);
    const mine = await echo;
    assert.equal(mine.self, true);
    assert.equal(mine.msgid, got.msgid);

    const dm = alice.next('message', (m) => m.private);
    bob.action('alice', 'waves');
    const priv = await dm;
    assert.deepEqual([priv.from, priv.conversation, priv.text, priv.action], ['bob', 'bob', 'waves', true]);

    const topic = bob.next('topic');
    alice.topic('#sala', 'charla');
    assert.deepEqual([(await topic).topic, (await topic).setBy], ['charla', 'alice']);

    const nick = bob.next('nick');
    // Two sockets: bob may hear of it before alice's own confirmation arrives.
    const ownNick = alice.next('nick', (e) => e.self);
    alice.nick('alicia');
    assert.deepEqual(await nick, { oldNick: 'alice', newNick: 'alicia', self: false });
    await ownNick;
    assert.equal(alice.currentNick, 'alicia');

    const away = bob.next('away');
    bob.send('CAP', 'REQ', 'away-notify'); // already on; harmless
    alice.away('comiendo');
    assert.equal((await away).nick, 'alicia');

    const long = 'palabra '.repeat(200).trim();
    const parts: ChatMessage[] = [];
    const collect = (m: ChatMessage) => parts.push(m);
    bob.on('message', collect);
    alice.say('#sala', long);
    const deadline = Date.now() + 5000;
    while (parts.map((m) => m.text).join(' ') !== long && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    bob.off('message', collect);
    assert.ok(parts.length > 1);
    assert.equal(parts.map((m) => m.text).join(' '), long);

    const left = alice.next('part');
    bob.part('#sala', 'adiós');
    assert.deepEqual([(await left).nick, (await left).reason], ['bob', 'adiós']);
    const quit = bob.next('quit', (q) => q.nick === 'alicia');
    bob.join('#sala');
    await bob.next('join', (e) => e.self);
    await alice.quit('hasta luego');
    assert.deepEqual((await quit).channels, ['#sala']);
  });

  it('emits nickInUse so a UI can ask for another name', async () => {
    const first = client(server.port, 'carla');
    await first.connect();
    const second = client(server.port, 'carla');
    second.on('nickInUse', (e) => {
      assert.equal(e.nick, 'carla');
      assert.equal(e.registered, false);
      second.nick('carla2');
    });
    await second.connect();
    assert.equal(second.currentNick, 'carla2');
    // The refused name does not stick: user and real name follow the accepted one (WHOIS 311).
    const looker = await TestClient.register(server.port, 'looker');
    looker.send('WHOIS carla2');
    const whois = await looker.expect('311', 'looker', 'carla2');
    looker.close();
    assert.equal(whois.params[2], '~carla2', whois.raw);
    assert.equal(whois.params.at(-1), 'carla2', whois.raw);
  });

  it('speaks over WebSocket too', async () => {
    const ws = client(0, 'wendy', { url: `ws://127.0.0.1:${server.httpPort}/` });
    const tcp = client(server.port, 'tomas');
    await Promise.all([ws.connect(), tcp.connect()]);
    const got = tcp.next('message');
    ws.say('tomas', 'hola por websocket');
    assert.deepEqual(
      [(await got).from, (await got).text, (await got).private],
      ['wendy', 'hola por websocket', true],
    );
  });

  it('pages history with CHATHISTORY', async () => {
    const writer = client(server.port, 'dora');
    await writer.connect();
    writer.join('#hist');
    await writer.next('join', (e) => e.self);
    for (let i = 1; i <= 6; i++) writer.say('#hist', `m${i}`);
    await writer.next('message', (m) => m.text === 'm6');
    const latest = await writer.history('#hist', { limit: 3 });
    assert.deepEqual(
      latest.map((m) => m.text),
      ['m4', 'm5', 'm6'],
    );
    assert.ok(latest.every((m) => m.replay && m.msgid));
    const older = await writer.history('#hist', { before: latest[0]!.msgid!, limit: 10 });
    assert.deepEqual(
      older.map((m) => m.text),
      ['m1', 'm2', 'm3'],
    );
  });
});

describe('ChatClient reconnection', () => {
  it(
    'reconnects after a server restart, rejoins, and catches up missed messages once',
    { timeout: 30_000 },
    async () => {
      let server = await startServer();
      const port = server.port;
      const dataDir = server.config.dataDir;
      try {
        const eve = client(port, 'eve', { reconnectMinMs: 2000, reconnectMaxMs: 4000 }); // back after frank speaks
        await eve.connect();
        eve.join('#club');
        await eve.next('join', (e) => e.self);
        const talker = await TestClient.register(port, 'frank');
        talker.send('JOIN #club');
        await talker.expect('JOIN', '#club');
        talker.send('PRIVMSG #club :antes');
        await eve.next('message', (m) => m.text === 'antes');

        const received: ChatMessage[] = [];
        eve.on('message', (m) => received.push(m));
        const dropped = eve.next('disconnected');
        const back = eve.next('reconnected', () => true, 15_000);
        await server.stop();
        assert.equal((await dropped).willReconnect, true);

        server = await startServer({ ircPort: port, dataDir });
        // Someone speaks while eve is still away.
        const frank = await TestClient.register(port, 'frank');
        frank.send('JOIN #club');
        await frank.expect('JOIN', '#club');
        frank.send('PRIVMSG #club :mientras no estabas 1');
        frank.send('PRIVMSG #club :mientras no estabas 2');
        await frank.sync();

        await back;
        await until(() => received.some((m) => m.text === 'mientras no estabas 2'));
        await until(() => eve.rooms.length === 1);
        frank.send('PRIVMSG #club :después');
        await until(() => received.some((m) => m.text === 'después'));
        await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show up
        assert.deepEqual(
          received.map((m) => m.text),
          ['mientras no estabas 1', 'mientras no estabas 2', 'después'],
        );
        assert.ok(received[0]!.replay);
        assert.deepEqual(eve.rooms, ['#club']);
        frank.close();
        talker.close();
      } finally {
        for (const c of clients) c.destroy();
        await server.stop();
      }
    },
  );
});

describe('ChatClient file sharing', () => {
  it('uploads a file to the FILEHOST with its account and shares the link (the terminal /send)', async () => {
    const server = await startServer();
    try {
      // Register the account over IRC, then log in with it from the library.
      const reg = await TestClient.register(server.port, 'sharer', ['draft/account-registration']);
      reg.send('REGISTER sharer * s3cret-pass');
      await reg.expect('REGISTER', 'SUCCESS');
      reg.send('QUIT');
      await reg.waitClosed();
      const { mkdtempSync, writeFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { tmpdir } = await import('node:os');
      const file = join(mkdtempSync(join(tmpdir(), 'tertulia-send-')), 'notes.txt');
      writeFileSync(file, 'the minutes of the meeting\n');

      const sharer = client(server.port, 'sharer', { password: 's3cret-pass' });
      const reader = client(server.port, 'reader');
      await Promise.all([sharer.connect(), reader.connect()]);
      assert.match(sharer.fileHost ?? '', /^http:\/\/.+\/upload$/, 'FILEHOST read from ISUPPORT');
      reader.join('#files');
      sharer.join('#files');
      await until(() => sharer.rooms.includes('#files') && reader.rooms.includes('#files'));
      const got: ChatMessage[] = [];
      reader.on('message', (m) => got.push(m));

      const url = await sharer.upload(file, 'text/plain');
      sharer.say('#files', url);
      await until(() => got.some((m) => m.text === url));
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'the minutes of the meeting\n');
      assert.match(res.headers.get('content-disposition') ?? '', /notes\.txt/);

      const guest = client(server.port, 'guesty');
      await guest.connect();
      await assert.rejects(guest.upload(file), /account/);
    } finally {
      await server.stop();
    }
  });
});

describe('ChatClient private catch-up', () => {
  it(
    'after a reconnect, private messages another device of the account got meanwhile arrive once',
    { timeout: 30_000 },
    async () => {
      const server = await startServer();
      const port = server.port;
      try {
        for (const name of ['gina', 'hugo']) {
          const reg = await TestClient.register(port, name, ['draft/account-registration']);
          reg.send(`REGISTER ${name} * pw-${name}-123`);
          await reg.expect('REGISTER', 'SUCCESS');
          reg.send('QUIT');
          await reg.waitClosed();
        }
        const laptop = client(port, 'gina', {
          password: 'pw-gina-123',
          reconnectMinMs: 1500,
          reconnectMaxMs: 3000,
        });
        const phone = client(port, 'gina_phone', {
          account: 'gina',
          password: 'pw-gina-123',
          reconnect: false,
        });
        const hugo = client(port, 'hugo', { password: 'pw-hugo-123', reconnect: false });
        // One person, two devices (docs/PEOPLE.md): the phone logs in to gina's account and is
        // gina too. The laptop connects first, so it is the first of gina's sessions below.
        await laptop.connect();
        await Promise.all([phone.connect(), hugo.connect()]);
        hugo.say('gina', 'primero');
        await laptop.next('message', (m) => m.text === 'primero');

        const received: ChatMessage[] = [];
        laptop.on('message', (m) => received.push(m));
        const back = laptop.next('reconnected', () => true, 15_000);
        // The laptop's connection drops (the server closes it); the phone stays online.
        const core = server.tertulia.server;
        const session = [...core.sessions].find((x) => x.nick === 'gina');
        assert.ok(session);
        core.disconnect(session, 'Connection reset');
        await laptop.next('disconnected');
        hugo.say('gina', 'mientras tanto');
        await phone.next('message', (m) => m.text === 'mientras tanto');
        await back;
        await until(() => received.some((m) => m.text === 'mientras tanto'));
        await new Promise((r) => setTimeout(r, 200)); // room for a duplicate to show up
        assert.deepEqual(
          received.map((m) => m.text),
          ['mientras tanto'],
        );
        assert.ok(received[0]!.private && received[0]!.replay);
      } finally {
        for (const c of clients) c.destroy();
        await server.stop();
      }
    },
  );
});

describe('ChatClient accounts, read markers and TARGETS', { timeout: 20_000 }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    for (const c of clients) c.destroy();
    await server?.stop();
  });

  it('registers an account (draft/account-registration), then logs in with it when reconnecting', async () => {
    const rita = client(server.port, 'rita');
    await rita.connect();
    assert.equal(rita.account, null);
    assert.equal(rita.canUpload, false, 'a guest cannot upload');
    await rita.registerAccount('rita', 'rita-password-1');
    assert.equal(rita.account, 'rita');
    assert.equal(rita.canUpload, true);
    const req = rita.uploadRequest('a b.txt', 'text/plain');
    assert.equal(
      req.headers['Authorization'],
      `Basic ${Buffer.from('rita:rita-password-1').toString('base64')}`,
    );
    assert.equal(req.headers['Content-Disposition'], "attachment; filename*=UTF-8''a%20b.txt");

    const again = client(server.port, 'rita2');
    await again.connect();
    // Refused (the name is taken by rita's account): the FAIL code and reason come through.
    await assert.rejects(
      again.registerAccount('rita', 'another-password'),
      (err: Error & { code?: string }) => {
        assert.match(err.code ?? '', /^[A-Z_]+$/);
        assert.ok(err.message.length > 0);
        return true;
      },
    );
    const reconnected = rita.next('reconnected', () => true, 10_000);
    const session = [...server.tertulia.server.sessions].find((s) => s.nick === 'rita')!;
    server.tertulia.server.disconnect(session, 'test drop');
    await reconnected;
    assert.equal(rita.account, 'rita', 'SASL PLAIN with the registered password');
  });

  it('moves read markers (draft/read-marker) and every connection of the account hears it', async () => {
    const a = client(server.port, 'marta');
    await a.connect();
    await a.registerAccount('marta', 'marta-password-1');
    const b = client(server.port, 'marta_phone', { account: 'marta', password: 'marta-password-1' });
    await b.connect();
    assert.equal(b.account, 'marta');
    const when = new Date(Date.now() - 60_000);
    const heard = b.next('readMarker', (e) => e.target === '#notas', 5000);
    a.markRead('#notas', when);
    const e = await heard;
    assert.equal(e.time?.toISOString(), when.toISOString());
    const asked = a.next('readMarker', (x) => x.target === '#nada', 5000);
    a.queryReadMarker('#nada');
    assert.equal((await asked).time, null, 'no marker yet: *');
  });

  it('lists conversations with CHATHISTORY TARGETS', async () => {
    const a = client(server.port, 'tomas');
    await a.connect();
    await a.registerAccount('tomas', 'tomas-password-1');
    const b = client(server.port, 'ursula');
    await b.connect();
    const joined = a.next('names', (e) => e.channel === '#targets', 5000);
    a.join('#targets');
    await joined;
    a.say('#targets', 'hello room');
    a.say('ursula', 'hello ursula');
    await b.next('message', (m) => m.text === 'hello ursula', 5000);
    await a.next('message', (m) => m.text === 'hello ursula' && m.self, 5000).catch(() => {});
    const targets = await a.targets(new Date(Date.now() - 3600_000), new Date(Date.now() + 60_000));
    const names = targets.map((t) => t.target.toLowerCase()).sort();
    assert.deepEqual(names, ['#targets', 'ursula']);
    for (const t of targets) assert.ok(t.latest instanceof Date && !Number.isNaN(t.latest.getTime()));
  });
  // RFC 2812 §3.2.6 LIST: 321/322/323; a mask argument is the server's ELIST=M.
  it('lists rooms with LIST: member counts and topics without the mode prefix, and by mask', async () => {
    const vera = client(server.port, 'vera');
    const walt = client(server.port, 'walt');
    await vera.connect();
    await walt.connect();
    // vera opens both rooms (so she is their operator) before walt joins one: JOINs from two
    // connections sent at once may be answered in either order (each reads the store first).
    vera.join('#listed-cafe');
    vera.join('#listed-te');
    await until(() => vera.rooms.length === 2);
    walt.join('#listed-cafe');
    await until(() => walt.users('#listed-cafe').length === 2);
    vera.topic('#listed-cafe', 'café de la mañana');
    await vera.next('topic');
    const rooms = (await walt.list()).filter((r) => r.name.startsWith('#listed-'));
    rooms.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(rooms, [
      { name: '#listed-cafe', users: 2, topic: 'café de la mañana' },
      { name: '#listed-te', users: 1, topic: '' },
    ]);
    const masked = await walt.list('*cafe*');
    assert.deepEqual(
      masked.map((r) => r.name),
      ['#listed-cafe'],
    );
  });
});
