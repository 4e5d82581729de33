/**
 * Catching up in irssi (src/core/catch-up.ts), under tmux: lucia logs in with the server
 * password `lucia:<password>` (PASS, as irssi users set it), joins #sala and quits; while
 * she is away (always-on, the default) pablo talks in #sala and writes to her. Her next
 * irssi is given #sala back with what she missed, each line with its original [HH:MM]
 * (irssi shows arrival times), and pablo's private message in its own window; the irssi
 * after that is shown none of it again (the read marker moved).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../helpers/client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { missingBinaries, skipWithout, Tmux, WAIT_MS } from '../helpers/tmux.js';

const missing = missingBinaries(['tmux', 'irssi']);
const skip = skipWithout(missing);

describe('catching up in irssi (tmux)', { skip }, () => {
  let server: TestServer;
  let dir: string;
  let tmux: Tmux;
  let pablo: TestClient;

  before(async () => {
    if (missing.length > 0) throw new Error(`CI must have ${missing.join(', ')} installed (see .ci/run)`);
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), 'tertulia-catch-up-'));
    tmux = new Tmux(dir);
  });

  after(async () => {
    await tmux?.kill();
    pablo?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a returning irssi gets the room and the DM it missed, stamped, and never twice',
    { timeout: 120_000 },
    async () => {
      try {
        await scenario();
      } catch (err) {
        throw await tmux.explain(err, ['irssi1', 'irssi2', 'irssi3']);
      }
    },
  );

  async function scenario(): Promise<void> {
    await TestClient.registerAccount(server.port, 'lucia');
    const home = join(dir, 'irssi');
    mkdirSync(home);
    writeFileSync(
      join(home, 'config'),
      'settings = { core = { real_name = "Lucía"; user_name = "lucia"; nick = "lucia"; }; };\n',
    );
    const irssi = (session: string): Promise<void> =>
      tmux.start(session, [
        'irssi',
        `--home=${home}`,
        '-n',
        'lucia',
        '-w',
        'lucia:secret-lucia',
        '-c',
        '127.0.0.1',
        '-p',
        String(server.port),
      ]);
    pablo = await TestClient.register(server.port, 'pablo');
    pablo.send('JOIN #sala');
    await pablo.expect('366');

    await irssi('irssi1');
    await tmux.waitFor('irssi1', /End of \/MOTD command/);
    await tmux.type('irssi1', '/join #sala');
    await pablo.waitFor((m) => m.command === 'JOIN' && m.source?.startsWith('lucia!') === true, WAIT_MS);
    await tmux.type('irssi1', '/quit');
    // Always-on: no QUIT, she goes away (offline) instead; pablo has no away-notify, so a
    // WHOIS shows it.
    await new Promise((r) => setTimeout(r, 500));
    pablo.send('WHOIS lucia');
    const whois = await pablo.until((m) => m.command === '318');
    assert.ok(
      whois.some((m) => m.command === '301'),
      'lucia is away (offline), still on the network',
    );

    pablo.send('PRIVMSG #sala :¿alguien para comer?');
    pablo.send('PRIVMSG #sala :yo invito');
    pablo.send('PRIVMSG lucia :te guardo sitio');
    await pablo.sync();
    const said = new Date();
    const hm = `${String(said.getHours()).padStart(2, '0')}:${String(said.getMinutes()).padStart(2, '0')}`;
    // The minute may turn while the test runs: either minute is the original time.
    const stamp = `\\[(${hm}|\\d\\d:\\d\\d)\\]`;

    await irssi('irssi2');
    await tmux.waitFor('irssi2', /End of \/MOTD command/);
    await tmux.type('irssi2', '/window goto #sala');
    await tmux.waitFor('irssi2', /History of #sala: 2 messages you have not seen/);
    await tmux.waitFor('irssi2', new RegExp(`<[ @+]?pablo> ${stamp} ¿alguien para comer\\?`));
    await tmux.waitFor('irssi2', new RegExp(`<[ @+]?pablo> ${stamp} yo invito`));
    await tmux.waitFor('irssi2', /End of history/);
    await tmux.type('irssi2', '/window goto pablo');
    await tmux.waitFor('irssi2', new RegExp(`<pablo> ${stamp} te guardo sitio`));
    await tmux.type('irssi2', '/quit');
    await new Promise((r) => setTimeout(r, 500));

    await irssi('irssi3');
    await tmux.waitFor('irssi3', /End of \/MOTD command/);
    await tmux.type('irssi3', '/window goto #sala');
    await tmux.waitFor('irssi3', /#sala/);
    pablo.send('PRIVMSG #sala :ahora en directo');
    await tmux.waitFor('irssi3', /<[ @+]?pablo> ahora en directo/);
    const screen = await tmux.screen('irssi3');
    assert.doesNotMatch(screen, /yo invito|History of #sala/, 'nothing shown twice');
  }
});
