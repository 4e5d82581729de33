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
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Received, TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { missingBinaries, skipWithout, Tmux, WAIT_MS, weechatNoTlsFlag } from '../helpers/tmux.js';

const ROOM = '#room';
const missing = missingBinaries(['tmux', 'irssi', 'weechat']);
const skip = skipWithout(missing);

/** Whether a message's source is `nick!user@host` for that nick. */
function from(m: Received, nick: string): boolean {
  return m.source?.split('!')[0] === nick;
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
    await tmux.waitFor('irssi', /<[ @+]?dora> primera línea\n(?:.*\n)*?.*<[ @+]?dora> segunda línea/);
    await tmux.waitFor('weechat', /dora +\| primera línea/);
    await tmux.waitFor('weechat', /segunda línea/);
    dora.send(`PRIVMSG ${ROOM} :nos vemos a las 8`);
    const typo = await dora.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'nos vemos a las 8');
    dora.send(`@+draft/reply=${typo.tags['msgid']} PRIVMSG ${ROOM} :en la plaza`);
    dora.send(`@+draft/edit=${typo.tags['msgid']} PRIVMSG ${ROOM} :nos vemos a las 9`);
    dora.send(`@+draft/react=👍;+draft/reply=${typo.tags['msgid']} TAGMSG ${ROOM}`);
    dora.send(`REDACT ${ROOM} ${typo.tags['msgid']}`);
    await dora.expect('REDACT', ROOM, typo.tags['msgid']!);
    // In this order, not necessarily adjacent: irssi prints its own channel sync replies
    // (329, "Channel created") whenever they come back, which under load can be in between.
    await tmux.waitFor('irssi', /<[ @+]?dora> en la plaza\n(?:.*\n)*?.*<[ @+]?dora> nos vemos a las 9/);
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
