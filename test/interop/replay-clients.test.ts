/**
 * The JOIN replay as irssi and WeeChat show it (src/core/replay.ts), each under tmux: a room
 * with history said two hours ago; both join, leave and re-join. irssi (no server-time) shows
 * the lines with their original "[HH:MM]" inside a "History of" frame; WeeChat (server-time)
 * shows them at their original time in its own time column (and, lacking batch, with the
 * stamp in the text too); a re-join shows nothing twice.
 * Accounts would get the same; guests get it here because the server turns it on for them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { missingBinaries, skipWithout, Tmux, WAIT_MS, weechatNoTlsFlag } from '../helpers/tmux.js';

const ROOM = '#old';
const missing = missingBinaries(['tmux', 'irssi', 'weechat']);
const skip = skipWithout(missing);

const pad = (n: number): string => String(n).padStart(2, '0');
const hhmm = (t: number): string => `${pad(new Date(t).getHours())}:${pad(new Date(t).getMinutes())}`;

/** How many times `text` occurs on a screen. */
const count = (screen: string, text: string): number => screen.split(text).length - 1;

describe('history replay in irssi and WeeChat (tmux)', { skip }, () => {
  let server: TestServer;
  let dir: string;
  let tmux: Tmux;
  let talker: TestClient;

  before(async () => {
    if (missing.length > 0) throw new Error(`CI must have ${missing.join(', ')} installed (see .ci/run)`);
    server = await startServer({ historyReplay: 20, historyReplayGuests: true });
    dir = mkdtempSync(join(tmpdir(), 'tertulia-replay-'));
    tmux = new Tmux(dir);
  });

  after(async () => {
    await tmux?.kill();
    talker?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'shows old lines at their original time, framed as history, and never twice',
    { timeout: 120_000 },
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
    // Two lines said two hours ago, straight into the store (as if the server had been up then).
    const old = Date.now() - 2 * 3600_000;
    await server.tertulia.server.store!.append(
      ['dicho hace dos horas', 'y otra cosa vieja'].map((text, i) => ({
        msgid: `old${i}`,
        time: old + i * 60_000,
        command: 'PRIVMSG' as const,
        conversation: ROOM,
        target: ROOM,
        sender: 'carla!~carla@127.0.0.1',
        senderAccount: null,
        text,
        clientTags: null,
      })),
    );
    talker = await TestClient.register(server.port, 'talker');
    talker.send(`JOIN ${ROOM}`);
    await talker.expect('366');

    const irssiHome = join(dir, 'irssi');
    mkdirSync(irssiHome);
    writeFileSync(
      join(irssiHome, 'config'),
      'settings = { core = { real_name = "Alice"; user_name = "alice"; nick = "alice"; }; };\n',
    );
    await tmux.start('irssi', ['irssi', `--home=${irssiHome}`, '-n', 'alice', '-c', '127.0.0.1', '-p', port]);
    const weeDir = join(dir, 'weechat');
    const weeCommands = [
      `/server add t 127.0.0.1/${port} ${weechatNoTlsFlag()}`,
      '/set irc.server.t.nicks bob',
      // The time column shows hours and minutes, as the replay's own stamp does.
      '/set weechat.look.buffer_time_format "%H:%M"',
      '/connect t',
    ].join(';');
    await tmux.start('weechat', ['weechat', '--dir', weeDir, '-P', 'irc', '-s', '-r', weeCommands]);
    await tmux.waitFor('irssi', /End of \/MOTD command/);
    await tmux.waitFor('weechat', /End of \/MOTD command/);

    await tmux.type('irssi', `/join ${ROOM}`);
    await tmux.type('weechat', `/join ${ROOM}`);
    // irssi: the frame, and each line with the time it was said.
    await tmux.waitFor('irssi', /History of #old: 2 messages you have not seen/);
    await tmux.waitFor('irssi', new RegExp(`<[ @+]?carla> \\[${hhmm(old)}\\] dicho hace dos horas`));
    await tmux.waitFor('irssi', /End of history/);
    // WeeChat 3.8 (server-time, no batch): its time column carries the original time, and
    // the text the visible stamp too.
    await tmux.waitFor(
      'weechat',
      new RegExp(`${hhmm(old)} +carla \\| (\\[\\d\\d:\\d\\d\\] )?dicho hace dos horas`),
    );
    await tmux.waitFor('weechat', new RegExp(`${hhmm(old + 60_000)} +carla \\| .*y otra cosa vieja`));

    // Both leave and come back; a new line was said meanwhile.
    await tmux.type('irssi', `/part ${ROOM}`);
    await tmux.type('weechat', `/part ${ROOM}`);
    const parted = new Set<string>();
    while (parted.size < 2) {
      const p = await talker.waitFor((m) => m.command === 'PART', WAIT_MS);
      parted.add(p.source?.split('!')[0] ?? '');
    }
    talker.send(`PRIVMSG ${ROOM} :mientras no estabais`);
    await talker.sync();
    await tmux.type('irssi', `/join ${ROOM}`);
    await tmux.type('weechat', `/join ${ROOM}`);
    await tmux.waitFor('irssi', /\[\d\d:\d\d\] mientras no estabais/);
    await tmux.waitFor('weechat', /mientras no estabais/);
    await new Promise((r) => setTimeout(r, 500));
    const irssiScreen = await tmux.screen('irssi');
    const weeScreen = await tmux.screen('weechat');
    // irssi closed the window on /part: the new one holds only what the re-join sent.
    assert.equal(count(irssiScreen, 'dicho hace dos horas'), 0, 'irssi: the old line is not replayed again');
    assert.match(irssiScreen, /History of #old: 1 message you have not seen/);
    // WeeChat keeps the buffer: the old line stays once.
    assert.equal(count(weeScreen, 'dicho hace dos horas'), 1, 'WeeChat: the old line is not replayed again');
    assert.equal(count(irssiScreen, 'mientras no estabais'), 1);
    assert.equal(count(weeScreen, 'mientras no estabais'), 1);
  }
});
