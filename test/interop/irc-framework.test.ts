/**
 * Interop with a third-party IRC library: irc-framework (the engine of Kiwi IRC) drives
 * tertulia through registration with IRCv3 capability negotiation, a shared room, private
 * messages and a quit with a reason. Nothing here uses our own protocol code.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import IRC from 'irc-framework';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const ROOM = '#tertulia';
const TIMEOUT_MS = 5000;

/** An irc-framework client plus everything it emitted, so a wait never misses an event. */
class Recorded {
  readonly client: IRC.Client;
  /** Raw lines both ways, for failure messages. */
  readonly wire: string[] = [];
  private readonly events = new Map<string, unknown[]>();
  private readonly waiters = new Set<() => void>();
  closed = false;

  constructor(readonly nick: string) {
    this.client = new IRC.Client();
    this.client.on('raw', (e: IRC.RawEvent) =>
      this.wire.push(`${e.from_server ? '<<' : '>>'} ${e.line.trimEnd()}`),
    );
    for (const name of [
      'registered',
      'motd',
      'join',
      'userlist',
      'privmsg',
      'tagmsg',
      'pong',
      'quit',
      'close',
    ]) {
      this.events.set(name, []);
      this.client.on(name, (event: unknown) => {
        if (name === 'close') this.closed = true;
        this.events.get(name)?.push(event);
        for (const w of [...this.waiters]) w();
      });
    }
  }

  /** Resolves with the first `name` event (already seen or future) that matches `pred`. */
  waitFor<T>(name: string, pred: (e: T) => boolean = () => true, timeoutMs = TIMEOUT_MS): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = (this.events.get(name) as T[] | undefined)?.find(pred);
        if (found === undefined) return false;
        resolve(found);
        return true;
      };
      if (check()) return;
      const waiter = (): void => {
        if (check()) {
          clearTimeout(timer);
          this.waiters.delete(waiter);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `${this.nick}: no '${name}' event in ${timeoutMs} ms; wire:\n  ${this.wire.join('\n  ')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Every `name` event seen so far that matches `pred`. */
  seen<T>(name: string, pred: (e: T) => boolean = () => true): T[] {
    return ((this.events.get(name) ?? []) as T[]).filter(pred);
  }

  /** PING/PONG round trip: everything the server sent before the PONG has been handled. */
  async sync(): Promise<void> {
    const token = `sync${Math.random().toString(36).slice(2)}`;
    this.client.raw('PING', token);
    await this.waitFor<{ message: string }>('pong', (e) => e.message === token);
  }

  /** Connects and resolves once registration and the MOTD (so ISUPPORT too) are done. */
  async connect(port: number, extra: Partial<IRC.ConnectOptions> = {}): Promise<void> {
    this.client.connect({
      host: '127.0.0.1',
      port,
      nick: this.nick,
      username: this.nick.toLowerCase(),
      gecos: `${this.nick} via irc-framework`,
      auto_reconnect: false,
      ...extra,
    });
    await this.waitFor<IRC.RegisteredEvent>('registered');
    await this.waitFor('motd');
  }

  stop(): void {
    if (!this.closed) this.client.quit('test cleanup');
  }
}

describe('irc-framework interop', () => {
  let server: TestServer;
  const clients: Recorded[] = [];

  before(async () => {
    server = await startServer();
  });

  after(async () => {
    for (const c of clients) c.stop();
    await server.stop();
  });

  it('registers, negotiates caps, talks in a room and in private, and sees a quit reason', async () => {
    const alice = new Recorded('alice');
    const bob = new Recorded('bob');
    clients.push(alice, bob);
    // alice also asks for echo-message, which irc-framework only requests when told to.
    await Promise.all([alice.connect(server.port, { enable_echomessage: true }), bob.connect(server.port)]);

    // Registration: the server confirmed the nick each asked for.
    assert.equal(alice.client.user.nick, 'alice');
    assert.equal(bob.client.user.nick, 'bob');

    // Capability negotiation (CAP LS 302 / REQ / ACK): irc-framework requests what it knows.
    for (const c of [alice, bob]) {
      const enabled = c.client.network.cap.enabled;
      for (const cap of [
        'server-time',
        'message-tags',
        'batch',
        'multi-prefix',
        'userhost-in-names',
        'extended-join',
      ]) {
        assert.ok(enabled.includes(cap), `${c.nick} should have ${cap}; enabled: ${enabled.join(' ')}`);
      }
      assert.ok(c.client.network.cap.available.has('labeled-response'), 'CAP LS lists labeled-response');
    }
    assert.ok(alice.client.network.cap.isEnabled('echo-message'));
    assert.ok(!bob.client.network.cap.isEnabled('echo-message'));

    // ISUPPORT (005) as the library understood it.
    const opts = alice.client.network.options;
    assert.equal(alice.client.network.name, server.config.networkName);
    assert.equal(opts.NETWORK, server.config.networkName);
    assert.equal(opts.CASEMAPPING, 'ascii');
    assert.deepEqual(opts.CHANTYPES, ['#']);
    assert.deepEqual(opts.PREFIX, [
      { symbol: '@', mode: 'o' },
      { symbol: '+', mode: 'v' },
    ]);
    assert.equal(opts.NICKLEN, String(server.config.nickLen));
    assert.ok(alice.client.network.supports('UTF8ONLY'), 'UTF8ONLY advertised');

    // Both join the room; alice first, so she is its operator.
    alice.client.join(ROOM);
    await alice.waitFor<IRC.JoinEvent>('join', (e) => e.nick === 'alice' && e.channel === ROOM);
    bob.client.join(ROOM);
    await bob.waitFor<IRC.JoinEvent>('join', (e) => e.nick === 'bob' && e.channel === ROOM);
    // extended-join: alice learns bob's real name from the JOIN itself.
    const bobJoin = await alice.waitFor<IRC.JoinEvent>('join', (e) => e.nick === 'bob' && e.channel === ROOM);
    assert.equal(bobJoin.gecos, 'bob via irc-framework');
    // NAMES with multi-prefix + userhost-in-names, as parsed by the library.
    const names = await bob.waitFor<IRC.UserlistEvent>('userlist', (e) => e.channel === ROOM);
    const aliceEntry = names.users.find((u) => u.nick === 'alice');
    assert.ok(aliceEntry, `alice in NAMES: ${JSON.stringify(names.users)}`);
    assert.deepEqual(aliceEntry.modes, ['o']);
    assert.equal(aliceEntry.ident, '~alice');
    assert.equal(aliceEntry.hostname, '127.0.0.1');
    assert.ok(names.users.some((u) => u.nick === 'bob'));

    // Channel messages both ways, with server-time stamps and the same msgid for everyone.
    const before = Date.now();
    alice.client.say(ROOM, '¡Hola, tertulia! ¿qué tal?');
    const atBob = await bob.waitFor<IRC.MessageEvent>(
      'privmsg',
      (e) => e.nick === 'alice' && e.target === ROOM,
    );
    assert.equal(atBob.message, '¡Hola, tertulia! ¿qué tal?');
    assert.equal(atBob.ident, '~alice');
    assert.ok(atBob.tags.time, `server-time tag on the message: ${JSON.stringify(atBob.tags)}`);
    const stamp = Date.parse(atBob.tags.time);
    assert.ok(Math.abs(stamp - before) < 5000, `server-time ${atBob.tags.time} is close to now`);
    const echo = await alice.waitFor<IRC.MessageEvent>(
      'privmsg',
      (e) => e.nick === 'alice' && e.target === ROOM,
    );
    assert.equal(echo.message, atBob.message, 'echo-message returns alice her own line');
    assert.ok(atBob.tags.msgid, 'message carries a msgid');
    assert.equal(echo.tags.msgid, atBob.tags.msgid, 'the echo and the delivery share a msgid');

    bob.client.say(ROOM, 'Muy bien, gracias');
    const atAlice = await alice.waitFor<IRC.MessageEvent>(
      'privmsg',
      (e) => e.nick === 'bob' && e.target === ROOM,
    );
    assert.equal(atAlice.message, 'Muy bien, gracias');
    // bob did not ask for echo-message: he never gets his own line back.
    await bob.sync();
    assert.deepEqual(
      bob.seen<IRC.MessageEvent>('privmsg', (e) => e.nick === 'bob'),
      [],
    );

    // A private message reaches only its target.
    bob.client.say('alice', 'this is just between us');
    const dm = await alice.waitFor<IRC.MessageEvent>(
      'privmsg',
      (e) => e.nick === 'bob' && e.target === 'alice',
    );
    assert.equal(dm.message, 'this is just between us');

    // bob quits with a reason; alice (who shares the room) sees it, reason included.
    bob.client.quit('hasta luego');
    const quit = await alice.waitFor<IRC.QuitEvent>('quit', (e) => e.nick === 'bob');
    assert.match(quit.message, /hasta luego/);
    assert.equal(quit.ident, '~bob');
    await bob.waitFor('close');
    assert.ok(!bob.client.connected);
  });
  it('a client that knows none of them gets replies, edits, reactions and multiline harmlessly', async () => {
    const carol = new Recorded('carol');
    clients.push(carol);
    await carol.connect(server.port);
    const room = '#features';
    carol.client.join(room);
    await carol.waitFor<IRC.JoinEvent>('join', (e) => e.nick === 'carol' && e.channel === room);
    // A client with every feature, speaking raw IRC.
    const dan = await TestClient.register(server.port, 'dan', [
      'message-tags',
      'echo-message',
      'batch',
      'draft/multiline',
      'draft/message-redaction',
    ]);
    try {
      dan.send(`JOIN ${room}`);
      await dan.expect('366');
      dan.send(`PRIVMSG ${room} :teh plan`);
      const first = await dan.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'teh plan');
      const msgid = first.tags['msgid']!;
      dan.send(`@+draft/reply=${msgid} PRIVMSG ${room} :a reply`);
      dan.send(`@+draft/edit=${msgid} PRIVMSG ${room} :the plan`);
      dan.send(`@+draft/react=👍;+draft/reply=${msgid} TAGMSG ${room}`);
      dan.send(`BATCH +m draft/multiline ${room}`);
      dan.send(`@batch=m PRIVMSG ${room} :line one`);
      dan.send(`@batch=m PRIVMSG ${room} :`);
      dan.send(`@batch=m PRIVMSG ${room} :line two`);
      dan.send('BATCH -m');
      dan.send(`REDACT ${room} ${msgid}`);
      dan.send(`PRIVMSG ${room} :still here`);
      await carol.waitFor<IRC.MessageEvent>('privmsg', (e) => e.message === 'still here');
      // The reply and the edit are ordinary messages (the edit reads as a correction); the
      // multiline message is its lines without the blank one; the REDACT is never sent.
      assert.deepEqual(
        carol.seen<IRC.MessageEvent>('privmsg', (e) => e.nick === 'dan').map((e) => e.message),
        ['teh plan', 'a reply', 'the plan', 'line one', 'line two', 'still here'],
      );
      const edit = carol.seen<IRC.MessageEvent>('privmsg', (e) => e.message === 'the plan')[0]!;
      assert.equal(edit.tags['+draft/edit'], msgid);
      // irc-framework negotiated message-tags, so the reaction reaches it as a TAGMSG it may ignore.
      const reactions = carol.seen<IRC.TagmsgEvent>('tagmsg');
      assert.equal(reactions.length, 1);
      assert.equal(reactions[0]!.tags['+draft/react'], '👍');
      assert.ok(!carol.wire.some((l) => l.includes(' REDACT ')), 'no REDACT without the capability');
      assert.ok(!carol.closed);
    } finally {
      dan.close();
    }
  });

  it('soju.im/search: irc-framework requests the capability and reads SEARCH replies as a batch', async () => {
    const cora = new Recorded('cora');
    clients.push(cora);
    cora.client.requestCap('soju.im/search');
    await cora.connect(server.port);
    assert.ok(cora.client.network.cap.isEnabled('soju.im/search'));
    cora.client.join('#search');
    await cora.waitFor<IRC.JoinEvent>('join', (e) => e.channel === '#search');
    cora.client.say('#search', 'irc-framework finds this');
    await cora.sync();
    const batch = new Promise<{ type: string; commands: Array<{ command: string; params: string[] }> }>(
      (resolve) => cora.client.once('batch end soju.im/search', resolve),
    );
    cora.client.raw('SEARCH', 'text=finds;in=#search');
    const { type, commands } = await batch;
    assert.equal(type, 'soju.im/search');
    assert.deepEqual(
      commands.map((c) => [c.command, ...c.params]),
      [['PRIVMSG', '#search', 'irc-framework finds this']],
    );
  });
});
