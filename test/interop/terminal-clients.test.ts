/**
 * Interop with real terminal IRC clients from Debian: one person in irssi, one in WeeChat,
 * each running in its own tmux session (a private tmux server on its own socket), with
 * temporary home/config directories. The test types into them with `tmux send-keys` and reads
 * their screens with `tmux capture-pane`; a raw TestClient in the same room checks the wire.
 *
 * Needs tmux, irssi and the curses `weechat` binary. Missing binaries fail the test in CI
 * (`CI` set) and skip it locally.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

const ROOM = '#room';
/** Generous: CI machines can be slow to start curses programs. */
const WAIT_MS = 15_000;

function has(binary: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' }).status === 0;
}

const missing = ['tmux', 'irssi', 'weechat'].filter((b) => !has(b));
const skip =
  missing.length > 0 && !process.env.CI
    ? `not installed: ${missing.join(', ')} (apt-get install tmux irssi weechat-curses)`
    : false;

/** Whether a message's source is `nick!user@host` for that nick. */
function from(m: Received, nick: string): boolean {
  return m.source?.split('!')[0] === nick;
}

/** WeeChat 4 renamed the "ssl" server options to "tls". */
function weechatNoTlsFlag(): string {
  const out = spawnSync('weechat', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const major = Number.parseInt(out.trim().split('.')[0] ?? '', 10);
  return major >= 4 ? '-notls' : '-nossl';
}

/** A captured screen without its blank lines and trailing padding. */
function tidy(screen: string): string {
  return screen
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => !/^[\s│]*$/.test(l))
    .join('\n');
}

/** A private tmux server: its own socket directory, config and environment. */
class Tmux {
  readonly socket = `tertulia-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  private readonly env: NodeJS.ProcessEnv;
  private readonly conf: string;

  constructor(readonly dir: string) {
    this.conf = join(dir, 'tmux.conf');
    // Keep dead panes so a failure can still show what a client printed before exiting.
    writeFileSync(this.conf, 'set -g remain-on-exit on\nset -g history-limit 5000\n');
    this.env = {
      PATH: process.env.PATH,
      HOME: dir,
      TMUX_TMPDIR: dir,
      TERM: 'xterm-256color',
      LANG: 'C.UTF-8',
      LC_ALL: 'C.UTF-8',
    };
  }

  async tmux(...args: string[]): Promise<string> {
    const { stdout } = await run('tmux', ['-u', '-L', this.socket, '-f', this.conf, ...args], {
      env: this.env,
    });
    return stdout;
  }

  /** Starts `argv` (executed directly, no shell) in a detached 200x50 session. */
  async start(session: string, argv: string[]): Promise<void> {
    await this.tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', '--', ...argv);
  }

  /** Types a line and presses Enter. */
  async type(session: string, text: string): Promise<void> {
    await this.tmux('send-keys', '-t', session, '-l', text);
    await this.tmux('send-keys', '-t', session, 'Enter');
  }

  async screen(session: string): Promise<string> {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', session);
  }

  /** Polls the session's screen until `pattern` shows, or fails showing the screen. */
  async waitFor(session: string, pattern: RegExp, timeoutMs = WAIT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen(session).catch((err: Error) => `(capture failed: ${err.message})`);
      const found = last.match(pattern);
      if (found) return found[0];
      if (Date.now() > deadline) {
        throw new Error(`${session}: ${pattern} not on screen after ${timeoutMs} ms; screen:\n${tidy(last)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Adds every session's screen to a failure, so a CI log shows what the clients saw. */
  async explain(err: unknown): Promise<unknown> {
    if (!(err instanceof Error)) return err;
    for (const session of ['irssi', 'weechat']) {
      if (err.message.startsWith(`${session}:`)) continue;
      const screen = await this.screen(session).catch((e: Error) => `(capture failed: ${e.message})`);
      err.message += `\n--- ${session} screen ---\n${tidy(screen)}`;
    }
    return err;
  }

  async kill(): Promise<void> {
    await this.tmux('kill-server').catch(() => undefined);
  }
}

describe('terminal IRC clients (irssi + WeeChat under tmux)', { skip }, () => {
  let server: TestServer;
  let dir: string;
  let tmux: Tmux;
  let watcher: TestClient;
  let dora: TestClient;

  before(async () => {
    if (missing.length > 0) {
      throw new Error(`CI must have ${missing.join(', ')} installed (see .ci/run)`);
    }
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'tertulia-terminal-'));
    tmux = new Tmux(dir);
  });

  after(async () => {
    await tmux?.kill();
    watcher?.close();
    dora?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'irssi and WeeChat share a room, talk in private and see each other quit',
    {
      timeout: 120_000,
    },
    async () => {
      try {
        await scenario();
      } catch (err) {
        throw await tmux.explain(err);
      }
    },
  );

  async function scenario(): Promise<void> {
    const port = String(server.port);
    // dora has every message feature (docs/MESSAGE-FEATURES.md); irssi and WeeChat are shown
    // them below. She joins first so the watcher's JOIN count is only irssi's and WeeChat's.
    dora = await TestClient.register(server.port, 'dora', [
      'message-tags',
      'echo-message',
      'batch',
      'draft/multiline',
      'draft/message-redaction',
    ]);
    dora.send(`JOIN ${ROOM}`);
    await dora.expect('366');
    // The test's own eyes on the wire: in the room before anyone else.
    watcher = await TestClient.register(server.port, 'watcher');
    watcher.send(`JOIN ${ROOM}`);
    await watcher.expect('JOIN', ROOM);

    // irssi: its own home with a config naming the user; connects only where -c says.
    const irssiHome = join(dir, 'irssi');
    mkdirSync(irssiHome);
    writeFileSync(
      join(irssiHome, 'config'),
      [
        'settings = {',
        '  core = {',
        '    real_name = "Alice Irssi"; user_name = "alice"; nick = "alice";',
        '  };',
        // irssi queues commands (2.2 s apart after a burst of 5); the test types faster.
        '  "irc/core" = { cmd_queue_speed = "10msec"; cmds_max_at_once = "100"; };',
        '};',
        '',
      ].join('\n'),
    );
    await tmux.start('irssi', ['irssi', `--home=${irssiHome}`, '-n', 'alice', '-c', '127.0.0.1', '-p', port]);

    // WeeChat: a fresh --dir, only the irc plugin, no scripts, one plain-text server.
    const weeDir = join(dir, 'weechat');
    const weeCommands = [
      `/server add t 127.0.0.1/${port} ${weechatNoTlsFlag()}`,
      '/set irc.server.t.nicks bob',
      '/set irc.server.t.username bob',
      '/set irc.server.t.realname "Bob WeeChat"',
      `/set irc.server.t.autojoin ${ROOM}`,
      // WeeChat spaces messages 2 s apart (WeeChat 4.4+ calls this option anti_flood).
      '/set irc.server.t.anti_flood_prio_high 0',
      '/set irc.server.t.anti_flood_prio_low 0',
      '/set irc.server.t.anti_flood 0',
      '/connect t',
    ].join(';');
    await tmux.start('weechat', ['weechat', '--dir', weeDir, '-P', 'irc', '-s', '-r', weeCommands]);

    // Both register; irssi joins by command, WeeChat by autojoin.
    await tmux.waitFor('irssi', /End of \/MOTD command/);
    await tmux.type('irssi', `/join ${ROOM}`);
    const joins = new Map<string, string>();
    while (joins.size < 2) {
      const j = await watcher.waitFor((m) => m.command === 'JOIN' && m.params[0] === ROOM, WAIT_MS);
      joins.set(j.source?.split('!')[0] ?? '', j.source ?? '');
    }
    assert.match(joins.get('alice') ?? '', /^alice!~alice@127\.0\.0\.1$/);
    assert.match(joins.get('bob') ?? '', /^bob!~bob@127\.0\.0\.1$/);
    await tmux.waitFor('weechat', new RegExp(`Channel ${ROOM}: \\d+ nicks?`));

    // irssi speaks in the room: the server relays it, WeeChat shows it.
    await tmux.type('irssi', 'hola desde irssi');
    const fromAlice = await watcher.waitFor((m) => m.command === 'PRIVMSG' && from(m, 'alice'), WAIT_MS);
    assert.deepEqual(fromAlice.params, [ROOM, 'hola desde irssi']);
    await tmux.waitFor('weechat', /alice +\| hola desde irssi/);

    // WeeChat speaks in the room: irssi shows it.
    await tmux.type('weechat', `/msg ${ROOM} hola desde weechat`);
    const fromBob = await watcher.waitFor((m) => m.command === 'PRIVMSG' && from(m, 'bob'), WAIT_MS);
    assert.deepEqual(fromBob.params, [ROOM, 'hola desde weechat']);
    await tmux.waitFor('irssi', /<[ @+]?bob> hola desde weechat/);

    // A multiline message, a reply, an edit, a reaction and a deletion from a client that has
    // them: irssi and WeeChat show the lines and the correction as ordinary messages.
    dora.send(`BATCH +m draft/multiline ${ROOM}`);
    dora.send(`@batch=m PRIVMSG ${ROOM} :primera línea`);
    dora.send(`@batch=m PRIVMSG ${ROOM} :segunda línea`);
    dora.send('BATCH -m');
    await tmux.waitFor('irssi', /<[ @+]?dora> primera línea\n.*<[ @+]?dora> segunda línea/);
    await tmux.waitFor('weechat', /dora +\| primera línea/);
    await tmux.waitFor('weechat', /segunda línea/);
    dora.send(`PRIVMSG ${ROOM} :nos vemos a las 8`);
    const typo = await dora.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'nos vemos a las 8');
    dora.send(`@+draft/reply=${typo.tags['msgid']} PRIVMSG ${ROOM} :en la plaza`);
    dora.send(`@+draft/edit=${typo.tags['msgid']} PRIVMSG ${ROOM} :nos vemos a las 9`);
    dora.send(`@+draft/react=👍;+draft/reply=${typo.tags['msgid']} TAGMSG ${ROOM}`);
    dora.send(`REDACT ${ROOM} ${typo.tags['msgid']}`);
    await dora.expect('REDACT', ROOM, typo.tags['msgid']!);
    await tmux.waitFor('irssi', /<[ @+]?dora> en la plaza\n.*<[ @+]?dora> nos vemos a las 9/);
    await tmux.waitFor('weechat', /dora +\| nos vemos a las 9/);

    // WeeChat sends alice a private message; irssi shows it in its query window with bob.
    watcher.mark();
    await tmux.type('weechat', '/msg alice un secreto para alice');
    await tmux.type('irssi', '/query bob');
    await tmux.waitFor('irssi', /<bob> un secreto para alice/);
    // ...and nobody else in the room got it.
    await watcher.sync();
    assert.deepEqual(
      watcher.since.filter((m) => m.command === 'PRIVMSG').map((m) => m.raw),
      [],
      'the private message must not reach the room',
    );

    // alice quits from irssi with a reason: the room and WeeChat see it.
    await tmux.type('irssi', '/quit me voy, adiós');
    const aliceQuit = await watcher.waitFor((m) => m.command === 'QUIT' && from(m, 'alice'), WAIT_MS);
    assert.match(aliceQuit.params[0] ?? '', /me voy, adiós/);
    await tmux.waitFor('weechat', /alice \(~alice@127\.0\.0\.1\) has quit \(.*me voy, adiós\)/);

    // bob quits from WeeChat with a reason too.
    await tmux.type('weechat', '/quit buenas noches');
    const bobQuit = await watcher.waitFor((m) => m.command === 'QUIT' && from(m, 'bob'), WAIT_MS);
    assert.match(bobQuit.params[0] ?? '', /buenas noches/);
  }
});
