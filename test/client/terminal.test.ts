/**
 * Two real `tertulia chat` processes, each in its own tmux session (a private tmux server on
 * its own socket), against a real server: they join, talk, and one leaves with `:q`.
 * Needs tmux: fails in CI without it, skips locally.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const WAIT_MS = 15_000;
const BIN = fileURLToPath(new URL('../../../bin/tertulia.js', import.meta.url));
const hasTmux = spawnSync('sh', ['-c', 'command -v tmux'], { stdio: 'ignore' }).status === 0;
const skip = !hasTmux && !process.env.CI ? 'tmux is not installed' : false;

/** `tertulia chat ...` under `sh`, which prints the exit status when it ends. */
function chatCommand(...args: string[]): string[] {
  const quoted = [process.execPath, BIN, 'chat', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`);
  return ['sh', '-c', `${quoted.join(' ')}; echo "[exit status $?]"`];
}

class Tmux {
  readonly socket = `tertulia-chat-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly conf: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(readonly dir: string) {
    this.conf = join(dir, 'tmux.conf');
    writeFileSync(this.conf, 'set -g remain-on-exit on\nset -g history-limit 5000\n');
    this.env = {
      PATH: process.env.PATH,
      HOME: dir,
      TMUX_TMPDIR: dir,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
    };
  }

  async tmux(...args: string[]): Promise<string> {
    return (await run('tmux', ['-u', '-L', this.socket, '-f', this.conf, ...args], { env: this.env })).stdout;
  }

  async start(session: string, argv: string[]): Promise<void> {
    await this.tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', '--', ...argv);
  }

  async type(session: string, text: string): Promise<void> {
    await this.tmux('send-keys', '-t', session, '-l', text);
    await this.tmux('send-keys', '-t', session, 'Enter');
  }

  screen(session: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
  }

  async waitFor(session: string, pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = await this.screen(session).catch((e: Error) => `(capture failed: ${e.message})`);
      const found = screen.match(pattern);
      if (found) return found[0];
      if (Date.now() > deadline)
        throw new Error(`${session}: ${pattern} not on screen; screen:\n${screen.trimEnd()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The exit status of a session's program (printed by the `sh` wrapper of `chatCommand`). */
  async exitStatus(session: string, timeoutMs = WAIT_MS): Promise<number> {
    const line = await this.waitFor(session, /\[exit status (\d+)\]/, timeoutMs);
    return Number(/(\d+)/.exec(line)?.[1]);
  }

  kill(): Promise<unknown> {
    return this.tmux('kill-server').catch(() => undefined);
  }
}

describe('tertulia chat (two terminal clients under tmux)', { skip }, () => {
  let server: TestServer;
  let dir: string;
  let tmux: Tmux;

  before(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'tertulia-chat-'));
    tmux = new Tmux(dir);
  });

  after(async () => {
    await tmux?.kill();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('alice and bob join, talk, and alice leaves with :q (exit code 0)', { timeout: 90_000 }, async () => {
    const chat = (...extra: string[]) => chatCommand('--port', String(server.port), ...extra);
    // alice gives no name: the client asks for one.
    await tmux.start('alice', chat());
    await tmux.waitFor('alice', /What's your name\?/);
    await tmux.type('alice', 'alice');
    await tmux.waitFor('alice', /You joined #lobby/);

    // bob first asks for alice's name, which is taken, and is asked again.
    await tmux.start('bob', chat('--nick', 'alice'));
    await tmux.waitFor('bob', /The name alice is taken\. Choose another:/);
    await tmux.type('bob', 'bob');
    await tmux.waitFor('bob', /You joined #lobby/);
    await tmux.waitFor('alice', /bob has joined #lobby/);

    await tmux.type('alice', 'hola bob, ¿qué tal?');
    await tmux.waitFor('alice', /\[\d\d:\d\d\] alice \(you\): hola bob, ¿qué tal\?/);
    await tmux.waitFor('bob', /\[\d\d:\d\d\] alice: hola bob, ¿qué tal\?/);
    await tmux.type('bob', 'muy bien');
    await tmux.waitFor('alice', /\[\d\d:\d\d\] bob: muy bien/);
    await tmux.waitFor('bob', /\[\d\d:\d\d\] bob \(you\): muy bien/);

    await tmux.type('bob', '/users');
    await tmux.waitFor('bob', /In #lobby: .*alice/);
    await tmux.type('bob', '/history 5');
    await tmux.waitFor('bob', /Last 2 messages in #lobby:/);
    // /search (soju.im/search): dated results, accents and case ignored.
    await tmux.type('bob', '/search QUE');
    await tmux.waitFor('bob', /1 message matches "QUE":/);
    await tmux.waitFor('bob', /\[\d{4}-\d\d-\d\d \d\d:\d\d\] #lobby alice: hola bob, ¿qué tal\?/);
    await tmux.type('bob', '/search nothing-like-this');
    await tmux.waitFor('bob', /No messages match "nothing-like-this"\./);

    await tmux.type('alice', ':q');
    await tmux.waitFor('bob', /alice has left the chat/);
    assert.equal(await tmux.exitStatus('alice'), 0, 'alice exit status');

    // bob leaves with Ctrl+C: the terminal is restored and the exit code is 0.
    await tmux.tmux('send-keys', '-t', 'bob', 'C-c');
    assert.equal(await tmux.exitStatus('bob'), 0, 'bob exit status');
  });

  it(
    'WHO, WHOIS and the welcome read as sentences; unknown commands say so; chao says goodbye',
    { timeout: 90_000 },
    async () => {
      const ana = await TestClient.register(server.port, 'ana');
      ana.send('JOIN #lobby');
      await ana.expect('366');
      // #lobby belongs to the server (nobody is op there); ana opens #charla, so she is op in it.
      ana.send('JOIN #charla');
      await ana.expect('366');
      // The name ana is taken: the person picks beto, and user and real name follow beto.
      await tmux.start('beto', chatCommand('--port', String(server.port), '--nick', 'ana'));
      await tmux.waitFor('beto', /The name ana is taken\. Choose another:/);
      await tmux.type('beto', 'beto');
      await tmux.waitFor('beto', /You joined #lobby/);
      // The welcome is the server's message of the day, not the raw 001 and 376 lines.
      const screen = await tmux.screen('beto');
      assert.match(screen, /Message of the day from /);
      assert.match(screen, /^ {2}Welcome to the best chat in the universe, beto!/m);
      assert.doesNotMatch(screen, /Welcome to the tertulia IRC Network|End of \/MOTD command/);

      await tmux.type('beto', '/whois ana');
      await tmux.waitFor('beto', /ana is ~ana@127\.0\.0\.1 \(real name: ana Tester\)/);
      await tmux.waitFor('beto', /ana is in (#lobby, #charla \(op\)|#charla \(op\), #lobby)/);
      await tmux.waitFor('beto', /ana has been idle \d+ s, signed on \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d/);
      await tmux.type('beto', '/whois beto');
      await tmux.waitFor('beto', /beto is ~beto@127\.0\.0\.1 \(real name: beto\)/);
      await tmux.type('beto', '/who');
      await tmux.waitFor(
        'beto',
        /2 people in #lobby:\n +Name +Address +Real name\n +ana +~ana@127\.0\.0\.1 +ana Tester\n +beto +~beto@127\.0\.0\.1 +beto/,
      );
      assert.doesNotMatch(await tmux.screen('beto'), /seconds idle|is logged in as$|signon time/);

      await tmux.type('beto', '/frobnicate now');
      await tmux.waitFor('beto', /There is no command \/frobnicate\. \/help lists the commands/);
      await tmux.type('beto', '/help');
      for (const cmd of ['/who', '/whois', '/names', '/history', '/search', '/send', '/help', '/quit'])
        await tmux.waitFor('beto', new RegExp(`^ +${cmd} `, 'm'));
      await tmux.type('beto', 'chao');
      await tmux.waitFor('beto', /Goodbye, beto!/);
      assert.equal(await tmux.exitStatus('beto'), 0);
      ana.close();
    },
  );

  it('replies, reactions, edits, deletion and multiline from the keyboard', { timeout: 90_000 }, async () => {
    const chat = (nick: string) =>
      chatCommand('--port', String(server.port), '--nick', nick, '--room', '#feat');
    await tmux.start('eva', chat('eva'));
    await tmux.waitFor('eva', /You joined #feat/);
    await tmux.start('leo', chat('leo'));
    await tmux.waitFor('leo', /You joined #feat/);
    await tmux.waitFor('eva', /leo has joined #feat/);

    await tmux.type('eva', '¿vamos al cine?');
    await tmux.waitFor('leo', /eva: ¿vamos al cine\?/);
    await tmux.type('leo', '/reply claro que sí');
    await tmux.waitFor('eva', /leo: ↪ eva: "¿vamos al cine\?" claro que sí/);
    await tmux.type('leo', '/react eva 🎬');
    await tmux.waitFor('eva', /\* leo reacted 🎬 to eva: "¿vamos al cine\?" · 🎬 1 \(leo\)/);

    await tmux.type('eva', '/edit ¿vamos al cine mañana?');
    await tmux.waitFor('leo', /eva: ¿vamos al cine mañana\? \(edited\)/);

    // A line ending in a backslash continues: the three lines go as one message.
    await tmux.type('eva', 'lista:\\');
    await tmux.type('eva', '* palomitas\\');
    await tmux.type('eva', '* refresco');
    await tmux.waitFor('leo', /eva: lista:\n +\* palomitas\n +\* refresco/);

    await tmux.type('eva', '/delete');
    await tmux.waitFor('leo', /\* message deleted \(eva, \d\d:\d\d\)/);
    await tmux.type('leo', '/delete');
    await tmux.waitFor('eva', /\* message deleted \(leo, \d\d:\d\d\)/);
    await tmux.type('leo', '/help');
    await tmux.waitFor('leo', /\/react \[\^N\|NICK\] EMOJI/);
    await tmux.type('eva', ':q');
    await tmux.type('leo', ':q');
    assert.equal(await tmux.exitStatus('eva'), 0);
    assert.equal(await tmux.exitStatus('leo'), 0);
  });

  it(
    '/profile sets a display name, status and avatar (IRCv3 draft/metadata-2); others see the name on messages and the change, and /profile NICK shows theirs',
    { timeout: 90_000 },
    async () => {
      const chat = (nick: string) =>
        chatCommand('--port', String(server.port), '--nick', nick, '--room', '#perfil');
      await tmux.start('sol', chat('sol'));
      await tmux.waitFor('sol', /You joined #perfil/);
      await tmux.start('rio', chat('rio'));
      await tmux.waitFor('rio', /You joined #perfil/);
      await tmux.waitFor('sol', /rio has joined #perfil/);

      await tmux.type('sol', '/profile name Sol García');
      await tmux.waitFor('sol', /Your name is now Sol García/);
      await tmux.waitFor('rio', /sol set their name to Sol García/);
      await tmux.type('sol', '/profile status en la playa');
      await tmux.waitFor('rio', /sol set their status to en la playa/);
      await tmux.type('sol', '/profile avatar https://example.test/sol.png');
      await tmux.waitFor('sol', /Your avatar is now https:\/\/example\.test\/sol\.png/);
      await tmux.type('sol', 'hola rio');
      await tmux.waitFor('rio', /\[\d\d:\d\d\] Sol García \(sol\): hola rio/);

      await tmux.type('rio', '/profile sol');
      await tmux.waitFor(
        'rio',
        /Profile of sol:\n +name: Sol García\n +status: en la playa\n +avatar: https:\/\/example\.test\/sol\.png/,
      );
      await tmux.type('sol', '/profile status');
      await tmux.waitFor('sol', /Your status is cleared/);
      await tmux.waitFor('rio', /sol cleared their status/);
      await tmux.type('sol', '/profile');
      await tmux.waitFor('sol', /Profile of sol \(you\):\n +name: Sol García\n +avatar: /);
      await tmux.type('rio', '/profile nadie');
      await tmux.waitFor('rio', /nadie is not on the network/);
      await tmux.type('sol', ':q');
      await tmux.type('rio', ':q');
      assert.equal(await tmux.exitStatus('sol'), 0);
      assert.equal(await tmux.exitStatus('rio'), 0);
    },
  );

  it('reconnects after a server restart and shows what was missed, once', { timeout: 90_000 }, async () => {
    const port = server.port;
    const dataDir = server.config.dataDir;
    await tmux.start('carol', chatCommand('--port', String(port), '--nick', 'carol'));
    await tmux.waitFor('carol', /You joined #lobby/);
    let dave = await TestClient.register(port, 'dave');
    dave.send('JOIN #lobby');
    await dave.expect('JOIN', '#lobby');
    dave.send('PRIVMSG #lobby :antes del corte');
    await tmux.waitFor('carol', /dave: antes del corte/);
    dave.close();

    await server.stop();
    await tmux.waitFor('carol', /reconnecting… \(attempt 2/);
    server = await startServer({ ircPort: port, dataDir });
    dave = await TestClient.register(port, 'dave');
    dave.send('JOIN #lobby');
    await dave.expect('JOIN', '#lobby');
    dave.send('PRIVMSG #lobby :mientras no estabas');
    await dave.sync();
    await tmux.waitFor('carol', /\* reconnected/);
    await tmux.waitFor('carol', /dave: mientras no estabas/);
    dave.send('PRIVMSG #lobby :bienvenida de vuelta');
    await tmux.waitFor('carol', /dave: bienvenida de vuelta/);
    await new Promise((r) => setTimeout(r, 300));
    const screen = await tmux.screen('carol');
    assert.equal(screen.match(/antes del corte/g)?.length, 1, screen);
    assert.equal(screen.match(/mientras no estabas/g)?.length, 1, screen);
    await tmux.type('carol', 'chao');
    assert.equal(await tmux.exitStatus('carol'), 0, 'carol exit status');
    dave.close();
  });
});
