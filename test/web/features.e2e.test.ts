/**
 * The web client's message features end to end (docs/MESSAGE-FEATURES.md, docs/search.md,
 * docs/web-push.md): real servers on both storage back ends, real headless Chromium, two
 * people clicking and typing, and plain IRC clients beside them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import {
  type BrowserUser,
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
import { backends } from '../helpers/databases.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { webSuite } from '../helpers/web-suite.js';

/** The page's globals used in page.evaluate (this file has Node's types, not the DOM's). */
interface PageGlobals {
  navigator: {
    serviceWorker: {
      ready: Promise<{
        active: { state: string; scriptURL: string } | null;
        scope: string;
        getNotifications(): Promise<Array<{ title: string; body: string; tag: string; data: unknown }>>;
      }>;
    };
  };
  getComputedStyle(el: unknown): { whiteSpace: string };
}

/** A message by its own text (not the text it quotes). */
function said(page: Page, text: string, flash = false) {
  return page
    .locator(flash ? '.message.flash' : '.message')
    .filter({ has: page.locator('.text', { hasText: text }) });
}

/** Shows a message's actions (as hovering does) and clicks one of them. */
async function act(page: Page, text: string, action: string): Promise<void> {
  const m = said(page, text).last();
  await m.hover();
  await m.locator('.msg-actions button', { hasText: action }).click();
}

/** The reaction counter for an emoji under a message. */
function reaction(page: Page, text: string, emoji: string) {
  return message(page, text).locator('.reaction', { hasText: emoji });
}

for (const backend of backends()) {
  describe(`web client message features in Chromium (${backend.name})`, { timeout: 240_000 }, () => {
    let srv: TestServer;
    let base: string;
    let browser: Browser;
    const users: BrowserUser[] = [];
    const irc: TestClient[] = [];

    before(async () => {
      browser = await launchBrowser();
      srv = await startServer({ database: await backend.fresh() });
      base = `http://127.0.0.1:${srv.httpPort}/`;
    });
    after(async () => {
      for (const c of irc) c.close();
      for (const u of users) assert.deepEqual(u.errors, [], 'no script errors or CSP violations in the page');
      await browser?.close();
      await srv?.stop();
      await backend.cleanup();
    });

    test('replies, reactions, edits and deletions reach the other person, live and after a reload', async () => {
      const ana = await newUser(browser);
      const ben = await newUser(browser);
      users.push(ana, ben);
      for (const u of [ana, ben]) u.page.on('dialog', (d) => void d.accept());
      await loginAccount(ana, base, 'register', 'ana');
      await loginAccount(ben, base, 'register', 'ben');
      await joinRoom(ana.page, '#cafe'); // first in, logged in: ana founds the room (registered at once)
      await joinRoom(ben.page, '#cafe');
      await ana.page.locator('.members .member', { hasText: 'ben' }).waitFor();

      // A reply: the composer says so, the other side sees the quote and can jump to it.
      await say(ana.page, '¿café a las diez?');
      await message(ben.page, '¿café a las diez?').waitFor();
      await act(ben.page, '¿café a las diez?', 'Reply');
      await ben.page.locator('.compose-mode', { hasText: 'Replying to ana: ¿café a las diez?' }).waitFor();
      await say(ben.page, 'sí, voy');
      await ben.page.locator('.compose-mode').waitFor({ state: 'detached' });
      const quote = message(ana.page, 'sí, voy').locator('.reply-quote');
      await quote.waitFor();
      assert.match(await quote.innerText(), /ana\s*¿café a las diez\?/);
      await quote.click();
      await said(ana.page, '¿café a las diez?', true).waitFor();

      // A reaction, with who reacted; clicking the counter adds one's own.
      await act(ana.page, 'sí, voy', 'React');
      await message(ana.page, 'sí, voy').locator('.emoji-picker button', { hasText: '🎉' }).click();
      const party = reaction(ben.page, 'sí, voy', '🎉');
      await party.locator('.reaction-count', { hasText: '1' }).waitFor();
      assert.equal(await party.getAttribute('title'), 'ana');
      assert.equal(await party.getAttribute('aria-pressed'), 'false');
      await party.click();
      await party.locator('.reaction-count', { hasText: '2' }).waitFor();
      assert.equal(await party.getAttribute('title'), 'ana, ben');
      assert.equal(await party.getAttribute('aria-pressed'), 'true');
      await reaction(ana.page, 'sí, voy', '🎉').locator('.reaction-count', { hasText: '2' }).waitFor();

      // An edit with Up in the empty composer: the other side sees the new text, "(edited)",
      // and the reply's quote follows it.
      await ana.page.locator('#composer-input').focus();
      await ana.page.keyboard.press('ArrowUp');
      await ana.page.locator('.compose-mode', { hasText: 'Editing your message' }).waitFor();
      assert.equal(await ana.page.inputValue('#composer-input'), '¿café a las diez?');
      await say(ana.page, '¿café a las once?');
      const edited = said(ben.page, '¿café a las once?');
      await edited.locator('.edited', { hasText: '(edited)' }).waitFor();
      await message(ben.page, 'sí, voy').locator('.reply-quote', { hasText: 'a las once' }).waitFor();
      assert.equal(await message(ben.page, 'a las diez').count(), 0, 'the old text is gone');
      await ben.page.mouse.move(0, 0);
      await ben.page.locator('#composer-input').focus();
      if (backend.name === 'sqlite') await screenshot(ben.page, 'features');

      // Deleting: one's own message, and (as the room's founder) someone else's.
      await say(ben.page, 'un error');
      await message(ana.page, 'un error').waitFor();
      await act(ben.page, 'un error', 'Delete');
      await message(ana.page, 'un error').waitFor({ state: 'detached' });
      await say(ben.page, 'borra esto, ana');
      await message(ana.page, 'borra esto, ana').waitFor();
      await act(ana.page, 'borra esto, ana', 'Delete');
      await message(ben.page, 'borra esto, ana').waitFor({ state: 'detached' });
      assert.equal(await message(ana.page, 'borra esto, ana').count(), 0);

      // Enough said in between that the original is not in the first page after a reload.
      const filler = await TestClient.register(srv.port, 'relleno');
      irc.push(filler);
      filler.send('JOIN #cafe');
      await filler.expect('366');
      for (let i = 1; i <= 55; i++) filler.send(`PRIVMSG #cafe :relleno ${i}`);
      await message(ben.page, 'relleno 55').waitFor();
      await act(ben.page, '¿café a las once?', 'Reply');
      await say(ben.page, 'otra respuesta');
      await message(ana.page, 'otra respuesta').waitFor();

      // After a reload: the quote of a message not loaded yet fetches older history to show it.
      await ana.page.reload();
      const again = message(ana.page, 'otra respuesta').locator('.reply-quote');
      await again.waitFor();
      assert.equal(await said(ana.page, '¿café a las once?').count(), 0, 'not in the latest page');
      await again.click();
      const original = said(ana.page, '¿café a las once?', true);
      await original.waitFor();
      await original.locator('.edited').waitFor();
      // Reactions come back with history (draft/event-playback); deleted messages do not.
      const kept = reaction(ana.page, 'sí, voy', '🎉');
      await kept.locator('.reaction-count', { hasText: '2' }).waitFor();
      assert.equal(await kept.getAttribute('title'), 'ana, ben');
      assert.equal(await kept.getAttribute('aria-pressed'), 'true');
      assert.equal(await message(ana.page, 'un error').count(), 0);
      assert.equal(await message(ana.page, 'borra esto').count(), 0);
      assert.equal(await message(ana.page, 'a las diez').count(), 0);
    });
  });
}

describe(
  'web client: multiline, search, service worker and manifest in Chromium',
  { timeout: 180_000 },
  () => {
    const web = webSuite();

    test('a pasted multi-line text arrives as one message with its line breaks; old IRC clients get lines', async () => {
      const eva = await newUser(web.browser);
      const leo = await newUser(web.browser);
      web.users.push(eva, leo);
      await loginAccount(eva, web.base, 'register', 'eva');
      await loginGuest(leo, web.base, 'leo');
      await joinRoom(eva.page, '#codigo');
      await joinRoom(leo.page, '#codigo');
      const plain = await TestClient.register(web.srv.port, 'plainirc');
      web.irc.push(plain);
      plain.send('JOIN #codigo');
      await plain.expect('366');

      const code = 'function hola() {\n  return "mundo";\n}';
      // What pasting into the composer leaves there; Enter sends it whole.
      await eva.page.fill('#composer-input', code);
      await eva.page.press('#composer-input', 'Enter');
      const got = leo.page.locator('.message .text', { hasText: 'function hola()' });
      await got.waitFor();
      assert.equal(await got.innerText(), code);
      assert.match((await got.getAttribute('class'))!, /\bcode\b/, 'shown in monospace');
      assert.equal(
        await got.evaluate((el) => (globalThis as unknown as PageGlobals).getComputedStyle(el).whiteSpace),
        'pre-wrap',
      );
      for (const line of ['function hola() {', '  return "mundo";', '}'])
        await plain.waitFor((m) => m.command === 'PRIVMSG' && m.params[1] === line);

      // Shift+Enter adds a line instead of sending.
      await leo.page.locator('#composer-input').focus();
      await leo.page.keyboard.type('primera');
      await leo.page.keyboard.press('Shift+Enter');
      await leo.page.keyboard.type('segunda');
      await leo.page.keyboard.press('Enter');
      const two = eva.page.locator('.message .text', { hasText: 'primera' });
      await two.waitFor();
      assert.equal(await two.innerText(), 'primera\nsegunda');
    });

    test('search finds a message, marks the words found, and opens it', async () => {
      const [eva, leo] = web.users as [BrowserUser, BrowserUser];
      await say(eva.page, 'the deploy broke again');
      await message(leo.page, 'the deploy broke again').waitFor();
      for (const u of [eva, leo]) await say(u.page, `filler from ${u === eva ? 'eva' : 'leo'}`);
      // An account searches over HTTP (relevance, server highlights); a guest with SEARCH.
      for (const u of [eva, leo]) {
        await u.page.keyboard.press('Control+k');
        await u.page.locator('#search-input').fill('deploy');
        await u.page.press('#search-input', 'Enter');
        const hit = u.page.locator('.search-hit', { hasText: 'the deploy broke again' });
        await hit.waitFor();
        assert.equal(await hit.locator('mark').innerText(), 'deploy');
        assert.match(await hit.locator('.hit-where').innerText(), /#codigo/);
        assert.match(await hit.locator('.hit-from').innerText(), /eva/);
        if (u === eva) await screenshot(u.page, 'search');
        await hit.click();
        await u.page.locator('.search-panel').waitFor({ state: 'detached' });
        await said(u.page, 'the deploy broke again', true).waitFor();
      }
    });

    test('the service worker is active, the manifest is valid, and a push shows a notification', async () => {
      const eva = web.users[0]!;
      const page = eva.page;
      const manifestRes = await fetch(new URL('/manifest.webmanifest', web.base));
      assert.equal(manifestRes.status, 200);
      assert.match(manifestRes.headers.get('content-type')!, /^application\/manifest\+json/);
      const manifest = (await manifestRes.json()) as {
        name: string;
        display: string;
        start_url: string;
        icons: Array<{ src: string; type: string; sizes: string }>;
      };
      assert.equal(manifest.name, 'tertulia');
      assert.equal(manifest.display, 'standalone');
      assert.equal(manifest.start_url, '/');
      assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.type === 'image/png'));
      for (const icon of manifest.icons) {
        const res = await fetch(new URL(icon.src, web.base));
        assert.equal(res.status, 200, icon.src);
        assert.equal(res.headers.get('content-type'), icon.type, icon.src);
      }
      assert.equal(await page.locator('link[rel=manifest]').getAttribute('href'), '/manifest.webmanifest');
      const swRes = await fetch(new URL('/sw.js', web.base));
      assert.match(swRes.headers.get('content-type')!, /^text\/javascript/);
      const html = await fetch(web.base);
      assert.match(html.headers.get('content-security-policy')!, /worker-src 'self'/);

      // Registered by the page, active, controlling the whole app.
      const sw = await page.evaluate(async () => {
        const reg = await (globalThis as unknown as PageGlobals).navigator.serviceWorker.ready;
        return { state: reg.active?.state, scope: reg.scope, script: reg.active?.scriptURL };
      });
      assert.equal(sw.state, 'activated');
      assert.equal(sw.scope, web.base);
      assert.equal(sw.script, new URL('/sw.js', web.base).href);

      // The Notifications toggle is offered to accounts (the server offers draft/webpush).
      await eva.context.grantPermissions(['notifications'], { origin: web.base.replace(/\/$/, '') });
      await page.locator('.notify-toggle').waitFor();
      assert.match(await page.locator('#notify-hint').innerText(), /even when the app is closed/);

      // A push as the server sends it, delivered through the DevTools protocol (headless
      // Chromium has no push service): the service worker shows it as a notification.
      const cdp = await eva.context.newCDPSession(page);
      const registrationId = await new Promise<string>((resolve) => {
        cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
          const reg = e.registrations.find((r) => r.scopeURL === web.base && !r.isDeleted);
          if (reg !== undefined) resolve(reg.registrationId);
        });
        void cdp.send('ServiceWorker.enable');
      });
      const line =
        '@time=2026-05-01T10:02:11.215Z;msgid=01HXPUSHTEST;account=ben :ben!ben@host PRIVMSG #codigo :eva: standup in 5';
      await cdp.send('ServiceWorker.deliverPushMessage', {
        origin: web.base.replace(/\/$/, ''),
        registrationId,
        data: line,
      });
      // Read in the same poll that finds it: headless Chromium has no notification centre and
      // may drop a shown notification at any moment, so a second look can find none.
      const found = await page.waitForFunction(async () => {
        const reg = await (globalThis as unknown as PageGlobals).navigator.serviceWorker.ready;
        const [n] = await reg.getNotifications();
        return n === undefined
          ? false
          : { title: n.title, body: n.body, tag: n.tag, data: n.data as unknown };
      });
      const shown = await found.jsonValue();
      assert.deepEqual(shown, {
        title: '#codigo',
        body: 'ben: eva: standup in 5',
        tag: '#codigo',
        data: { conversation: '#codigo', msgid: '01HXPUSHTEST' },
      });
      await cdp.detach();
    });
  },
);
