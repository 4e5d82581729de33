/**
 * The web client end to end: real tertulia servers, real headless Chromium (Debian's
 * chromium via playwright-core), people clicking and typing. Screenshots land in
 * test-artifacts/ (docs/screenshot-*.png are copies of good ones).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  ARTIFACTS,
  type BrowserUser,
  conversationButton,
  joinRoom,
  launchBrowser,
  loginAccount,
  loginGuest,
  message,
  newUser,
  say,
  screenshot,
} from '../helpers/browser.js';
import { TestClient } from '../helpers/client.js';
import { redPng } from '../helpers/png.js';
import { startServer, type TestServer } from '../helpers/server.js';

const PNG = redPng(160, 90);
/** Small uploads; flood limits that let one IRC client fill a room with 10,000 messages. */
const SERVER_OPTS = { uploadMaxBytes: 64 * 1024, floodBurst: 20_000, floodQueue: 20_000 };
/** Messages in the room whose reload is timed (issue 17: the target is for 10,000). */
const ARCHIVE_SIZE = 10_000;

describe('web client in Chromium', { timeout: 180_000 }, () => {
  let srv: TestServer;
  let base: string;
  let browser: Browser;
  const users: BrowserUser[] = [];
  const irc: TestClient[] = [];
  const metrics: Record<string, number> = {};

  async function user(opts: Parameters<typeof newUser>[1] = {}): Promise<BrowserUser> {
    const u = await newUser(browser, opts);
    users.push(u);
    return u;
  }

  before(async () => {
    browser = await launchBrowser();
    srv = await startServer(SERVER_OPTS);
    base = `http://127.0.0.1:${srv.httpPort}/`;
  });
  after(async () => {
    for (const c of irc) c.close();
    for (const u of users) assert.deepEqual(u.errors, [], 'no script errors or CSP violations in the page');
    await browser?.close();
    await srv?.stop();
    writeFileSync(join(ARTIFACTS, 'web-metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  });

  test('two people chat in a room and privately, with unread counts, typing and members', async (t) => {
    const alice = await user();
    // Time to interactive: from navigation start to the login form taking input.
    await alice.page.goto(base);
    await alice.page.locator('input[name=nick]:focus').waitFor();
    metrics['loginFormInteractiveMs'] = await alice.page.evaluate(() => Math.round(performance.now()));
    t.diagnostic(`login form interactive after ${metrics['loginFormInteractiveMs']} ms`);
    await alice.page.fill('input[name=nick]', 'alice');
    await alice.page.click('button[type=submit]');
    await alice.page.locator('#join-room').waitFor();
    const bob = await user();
    await loginGuest(bob, base, 'bob');

    await joinRoom(alice.page, '#plaza');
    await joinRoom(bob.page, '#plaza');
    await alice.page.locator('.event', { hasText: 'bob joined' }).waitFor();
    await alice.page.locator('.members .member', { hasText: 'bob' }).waitFor();

    // Typing indicator (+typing client tag), then the message.
    await bob.page.fill('#composer-input', 'hola');
    await alice.page.locator('.typing', { hasText: 'bob is typing' }).waitFor();
    await bob.page.press('#composer-input', 'Enter');
    await message(alice.page, 'hola').waitFor();
    assert.equal(await alice.page.locator('.typing').innerText(), '');
    await say(alice.page, 'hi bob, see https://example.org/page.');
    await message(bob.page, 'hi bob').waitFor();
    const link = bob.page.locator('.message a', { hasText: 'https://example.org/page' });
    assert.equal(await link.getAttribute('href'), 'https://example.org/page');
    // An unknown /command is answered in the composer and sent to nobody; /help lists them.
    await bob.page.fill('#composer-input', '/frobnicate now');
    await bob.page.press('#composer-input', 'Enter');
    await bob.page
      .locator('.composer-notice', { hasText: 'There is no command /frobnicate. Type /help' })
      .waitFor();
    await bob.page.fill('#composer-input', '/help');
    await bob.page.press('#composer-input', 'Enter');
    await bob.page.locator('.composer-notice', { hasText: '/join #room' }).waitFor();
    await bob.page.locator('.composer-notice button').click();
    // Own messages are marked and aligned apart; consecutive ones group under one name.
    await say(alice.page, 'second line from alice');
    await message(bob.page, 'second line from alice').waitFor();
    assert.equal(await alice.page.locator('.group.self').last().locator('.message').count(), 2);
    assert.match(await alice.page.locator('.group.self .sender').last().innerText(), /alice \(you\)/);

    // A private conversation from the member list; bob sees it with an unread count.
    await alice.page.locator('.members .member', { hasText: 'bob' }).click();
    await alice.page.locator('#conversation-title', { hasText: 'bob' }).waitFor();
    await say(alice.page, 'just between us');
    await conversationButton(bob.page, 'alice').locator('.badge', { hasText: '1' }).waitFor();
    assert.match(await conversationButton(bob.page, 'alice').innerText(), /just between us/);
    await conversationButton(bob.page, 'alice').click();
    await message(bob.page, 'just between us').waitFor();
    await conversationButton(bob.page, 'alice').locator('.badge').waitFor({ state: 'detached' });
    await say(bob.page, 'of course');
    await message(alice.page, 'of course').waitFor();

    // Keyboard: Alt+Down/Up switch conversations, each keeping its draft.
    await alice.page.fill('#composer-input', 'unsent draft');
    await alice.page.keyboard.press('Alt+ArrowDown');
    await alice.page.locator('#conversation-title', { hasText: '#plaza' }).waitFor();
    assert.equal(await alice.page.inputValue('#composer-input'), '');
    await alice.page.keyboard.press('Alt+ArrowUp');
    await alice.page.locator('#conversation-title', { hasText: 'bob' }).waitFor();
    assert.equal(await alice.page.inputValue('#composer-input'), 'unsent draft');

    // Away status shows in the member list.
    await bob.page.locator('.sidebar-foot').getByRole('checkbox', { name: 'Away' }).check();
    await alice.page.keyboard.press('Alt+ArrowDown');
    await alice.page.locator('.members .member', { hasText: 'bob' }).locator('[data-status=away]').waitFor();
    // The title carries a badge with unread messages.
    await conversationButton(bob.page, '#plaza').click();
    await say(bob.page, 'in the plaza again');
    await message(alice.page, 'in the plaza again').waitFor();
    await screenshot(alice.page, 'desktop-room');
    await screenshot(bob.page, 'desktop-bob');
  });

  test('an image sent by one appears for the other; guests cannot attach; too-large files are refused clearly', async () => {
    const carol = await user();
    await loginAccount(carol, base, 'register', 'carol');
    const dave = await user();
    await loginAccount(dave, base, 'register', 'dave');
    await joinRoom(carol.page, '#fotos');
    await joinRoom(dave.page, '#fotos');

    const picker = carol.page.locator('[data-testid=file-input]');
    await picker.setInputFiles({ name: 'red dot.png', mimeType: 'image/png', buffer: PNG });
    const img = dave.page.locator('.message img[alt="red dot.png"]');
    await img.waitFor();
    // Decoded by the browser, not just present: its natural size is the PNG's.
    await dave.page.waitForFunction((sel) => {
      // The page's DOM is not in this file's types (Node lib): read the property by name.
      const el = (
        globalThis as unknown as { document: { querySelector(s: string): unknown } }
      ).document.querySelector(sel);
      return (el as { naturalWidth?: number } | null)?.naturalWidth === 160;
    }, '.message img[alt="red dot.png"]');
    await carol.page.locator('.message img[alt="red dot.png"]').waitFor();

    await picker.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello\n') });
    const card = dave.page.locator('.file-card', { hasText: 'notes.txt' });
    await card.waitFor();
    const href = (await card.getAttribute('href'))!;
    assert.equal(await (await fetch(new URL(href, base))).text(), 'hello\n');

    await picker.setInputFiles({
      name: 'big.bin',
      mimeType: 'application/octet-stream',
      buffer: Buffer.alloc(100_000),
    });
    const failed = carol.page.locator('.upload.failed', { hasText: 'big.bin is larger than' });
    await failed.waitFor();
    assert.match(
      await failed.innerText(),
      /larger than the 64 KB this server accepts per file\. Send a smaller file/,
    );
    await screenshot(carol.page, 'upload-too-large');

    // A guest sees the button disabled, with the reason.
    const guest = users[0]!;
    const attach = guest.page.locator('button.attach');
    assert.equal(await attach.isDisabled(), true);
    assert.match((await attach.getAttribute('title'))!, /Log in with an account to send files/);
  });

  test('a reload keeps history; a second device gets the conversations and read markers stay in sync', async (t) => {
    const [, , carol, dave] = users as [BrowserUser, BrowserUser, BrowserUser, BrowserUser];
    await dave.page.locator('.members .member', { hasText: 'carol' }).click();
    await say(dave.page, 'private hello to carol');
    await conversationButton(carol.page, 'dave').click();
    await message(carol.page, 'private hello to carol').waitFor();

    await carol.page.reload();
    // The conversation on screen comes back by itself, with its history.
    await carol.page.locator('#conversation-title', { hasText: 'dave' }).waitFor();
    await message(carol.page, 'private hello to carol').waitFor();
    metrics['reloadToHistoryMs'] = await carol.page.evaluate(() => Math.round(performance.now()));
    t.diagnostic(`after a reload, history shown in ${metrics['reloadToHistoryMs']} ms`);
    await conversationButton(carol.page, '#fotos').waitFor();
    await conversationButton(carol.page, '#fotos').click();
    await carol.page.locator('.message img[alt="red dot.png"]').waitFor();
    assert.equal(await message(carol.page, 'notes.txt').count(), 1, 'history once, no duplicates');

    // Another browser logs in to the same account: the private conversation is there, read.
    const laptop = await user();
    await loginAccount(laptop, base, 'login', 'carol');
    const dm = conversationButton(laptop.page, 'dave');
    await dm.waitFor();
    assert.equal(await dm.locator('.badge').count(), 0, 'read on the first device, read here');
    // Both devices in #fotos, neither looking at it: a new message is unread on both until
    // carol reads it on one of them (draft/read-marker MARKREAD reaches every connection).
    await joinRoom(laptop.page, '#fotos');
    await conversationButton(laptop.page, 'dave').click();
    await conversationButton(carol.page, 'dave').click();
    await conversationButton(dave.page, '#fotos').click();
    await say(dave.page, 'new photos soon');
    const laptopBadge = conversationButton(laptop.page, '#fotos').locator('.badge', { hasText: '1' });
    await laptopBadge.waitFor();
    await conversationButton(carol.page, '#fotos').locator('.badge', { hasText: '1' }).waitFor();
    await conversationButton(carol.page, '#fotos').click();
    await laptopBadge.waitFor({ state: 'detached' });
  });

  test('a reload in a room with 10,000 messages shows its latest at once, then the live room, each message once', async (t) => {
    const carol = users[2]!;
    const seeder = await TestClient.register(srv.port, 'archivero');
    irc.push(seeder);
    seeder.send('JOIN #archivo');
    await seeder.expect('366');
    for (let i = 1; i <= ARCHIVE_SIZE; i++) seeder.send(`PRIVMSG #archivo :mensaje ${i}`);
    seeder.send('PING :seeded');
    await seeder.waitFor((m) => m.command === 'PONG' && m.params.at(-1) === 'seeded', 60_000);
    await joinRoom(carol.page, '#archivo');
    await message(carol.page, `mensaje ${ARCHIVE_SIZE}`).waitFor();

    // Whether the loading screen showed the saved messages, however briefly it was up.
    await carol.context.addInitScript(() => {
      const g = globalThis as unknown as {
        document: { querySelector(s: string): { textContent: string } | null };
        savedShown?: string;
        MutationObserver: new (f: () => void) => { observe(n: unknown, o: object): void };
      };
      new g.MutationObserver(() => {
        const last = g.document.querySelector('.saved-page .message:last-child .text');
        if (last !== null && g.savedShown === undefined) g.savedShown = last.textContent;
      }).observe(g.document, { subtree: true, childList: true });
    });
    await carol.page.reload();
    // At once, from what this device saved of the room (before logging in again)...
    await message(carol.page, `mensaje ${ARCHIVE_SIZE}`).waitFor();
    metrics['reloadToHistory10kMs'] = await carol.page.evaluate(() => Math.round(performance.now()));
    // ...then the live room (logged in, joined, the server's latest page merged in).
    await carol.page.locator('#composer-input').waitFor();
    await carol.page.locator('.members .member', { hasText: 'archivero' }).waitFor();
    await message(carol.page, `mensaje ${ARCHIVE_SIZE}`).waitFor();
    metrics['reloadToLiveRoom10kMs'] = await carol.page.evaluate(() => Math.round(performance.now()));
    t.diagnostic(
      `#archivo (${ARCHIVE_SIZE} messages) after a reload: saved history shown in ${metrics['reloadToHistory10kMs']} ms, live room in ${metrics['reloadToLiveRoom10kMs']} ms`,
    );
    assert.equal(
      await carol.page.evaluate(() => (globalThis as unknown as { savedShown?: string }).savedShown),
      `mensaje ${ARCHIVE_SIZE}`,
      'the loading screen showed the saved messages',
    );
    seeder.send('PRIVMSG #archivo :said after the reload');
    await message(carol.page, 'said after the reload').waitFor();
    for (const n of [ARCHIVE_SIZE - 40, ARCHIVE_SIZE - 1, ARCHIVE_SIZE])
      assert.equal(await message(carol.page, `mensaje ${n}`).count(), 1, `mensaje ${n} shown once`);
  });

  test('an IRC client and a browser user see each other', async () => {
    const alice = users[0]!;
    await conversationButton(alice.page, '#plaza').click();
    const ircUser = await TestClient.register(srv.port, 'ircfan');
    irc.push(ircUser);
    ircUser.send('JOIN #plaza');
    await ircUser.expect('366');
    await alice.page.locator('.event', { hasText: 'ircfan joined' }).waitFor();
    ircUser.send('PRIVMSG #plaza :hello from irssi-land');
    await message(alice.page, 'hello from irssi-land').waitFor();
    await say(alice.page, 'welcome, ircfan');
    await ircUser.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === 'welcome, ircfan');
    ircUser.send('PRIVMSG alice :a private word');
    await conversationButton(alice.page, 'ircfan').waitFor();
  });

  test('a server restart mid-conversation: it says so, reconnects, and fills in what was missed once', async () => {
    const [alice, bob] = users as [BrowserUser, BrowserUser];
    await conversationButton(alice.page, '#plaza').click();
    await conversationButton(bob.page, '#plaza').click();
    await say(bob.page, 'before the restart');
    await message(alice.page, 'before the restart').waitFor();

    const { dataDir } = srv.config;
    const httpPort = srv.httpPort;
    await srv.stop();
    await alice.page.locator('.banner', { hasText: 'Reconnecting' }).waitFor();
    await screenshot(alice.page, 'reconnecting');
    srv = await startServer({ ...SERVER_OPTS, dataDir, httpPort });
    await alice.page.locator('.banner').waitFor({ state: 'detached', timeout: 30_000 });
    await bob.page.locator('.banner').waitFor({ state: 'detached', timeout: 30_000 });
    await alice.page.locator('.members .member', { hasText: 'bob' }).waitFor();
    await say(bob.page, 'after the restart');
    await message(alice.page, 'after the restart').waitFor();

    // Dropped while someone speaks: the message arrives after reconnecting (CHATHISTORY AFTER).
    const ircUser = await TestClient.register(srv.port, 'witness');
    irc.push(ircUser);
    ircUser.send('JOIN #plaza');
    await ircUser.expect('366');
    const session = [...srv.tertulia.server.sessions].find((s) => s.nick === 'alice')!;
    srv.tertulia.server.disconnect(session, 'network hiccup');
    ircUser.send('PRIVMSG #plaza :said while alice was away');
    await message(alice.page, 'said while alice was away').waitFor();
    await alice.page.locator('.banner').waitFor({ state: 'detached' });
    for (const text of ['before the restart', 'after the restart', 'said while alice was away'])
      assert.equal(await message(alice.page, text).count(), 1, `"${text}" shown once`);
  });

  test('Spanish from the browser language, switchable; a phone-sized screen uses a drawer', async () => {
    const eva = await user({ locale: 'es-ES', viewport: { width: 390, height: 844 } });
    await eva.page.goto(base);
    await eva.page.locator('h1', { hasText: 'Únete a la conversación' }).waitFor();
    await eva.page.fill('input[name=nick]', 'eva');
    await eva.page.click('button[type=submit]');
    // A first visit lands in the server's room (#lobby by default), as nc and terminal users do.
    await eva.page.locator('#conversation-title', { hasText: '#lobby' }).waitFor();
    assert.equal(await eva.page.locator('.sidebar').isVisible(), false, 'the list is a drawer on a phone');
    await eva.page.locator('button.menu').click();
    await eva.page.locator('#join-room').fill('#plaza');
    await eva.page.press('#join-room', 'Enter');
    await eva.page.locator('#conversation-title', { hasText: '#plaza' }).waitFor();
    assert.equal(await eva.page.locator('.sidebar').isVisible(), false, 'the drawer closes on picking');
    await say(eva.page, '¡hola a todos!');
    await message(eva.page, '¡hola a todos!').waitFor();
    await eva.page.keyboard.press('Escape');
    await screenshot(eva.page, 'phone-room');
    await eva.page.locator('button.menu').click();
    await eva.page.locator('.sidebar select').selectOption('en');
    await eva.page.locator('.sidebar-foot', { hasText: 'Log out' }).waitFor();
    await screenshot(eva.page, 'phone-drawer');
  });
});
