/**
 * The web client's sessions panel in real Chromium against a real server: one account logged
 * in from two browsers sees both sessions (client, address, since), ends the other one from
 * the first (that browser says so and does not reconnect by itself), and turns always-on off
 * and on, as the server then reports (SESSIONS, NickServ SET ALWAYS-ON).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { connectWithSasl } from '../accounts/helpers.js';
import { loginAccount, screenshot } from '../helpers/browser.js';
import { webSuite } from '../helpers/web-suite.js';

describe('web client: sessions', { timeout: 120_000 }, () => {
  const web = webSuite();

  test('two browsers of one account: the panel lists both, "End" closes the other, the always-on toggle switches the account', async () => {
    const home = await web.user();
    await loginAccount(home, web.base, 'register', 'marga');
    const work = await web.user();
    await loginAccount(work, web.base, 'login', 'marga');

    await home.page.click('button.sessions-open');
    const rows = home.page.locator('.sessions-panel li.session');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const texts = await rows.allTextContents();
    for (const text of texts) {
      assert.match(text, /web \(Chrome, headless\)/);
      assert.match(text, /127\.0\.0\.1/);
      assert.match(text, /since /);
    }
    // The first session is this browser's (it logged in first): marked, with no End button.
    assert.equal(await rows.nth(0).getAttribute('data-current'), 'true');
    assert.equal(await rows.nth(0).locator('button.session-end').count(), 0);
    const toggle = home.page.locator('input.always-on-toggle');
    assert.equal(await toggle.isChecked(), true, 'always-on is the default');
    await screenshot(home.page, 'web-sessions-two');

    await rows.nth(1).locator('button.session-end').click();
    await work.page
      .locator('output.banner', { hasText: 'This session was ended from another of your devices' })
      .waitFor();
    await home.page.locator('.sessions-panel li.session').nth(1).waitFor({ state: 'detached' });
    assert.equal(await home.page.locator('.sessions-panel li.session').count(), 1);
    // It stays ended: no new session appears while the panel is reopened a moment later.
    await new Promise((r) => setTimeout(r, 1500));
    await home.page.click('.sessions-panel .icon-button');
    await home.page.click('button.sessions-open');
    await home.page.locator('.sessions-panel li.session').first().waitFor();
    assert.equal(
      await home.page.locator('.sessions-panel li.session').count(),
      1,
      'the ended browser did not come back',
    );

    // A click asks the server; the box shows what the server answers (so click, then wait).
    await toggle.click();
    await home.page.locator('input.always-on-toggle:not(:checked):not([disabled])').waitFor();
    // The server agrees (asked from an IRC client of the same account).
    const { client: irc } = await connectWithSasl(web.srv.port, 'marga', 'PLAIN', 'marga', 'marga-secret-pw');
    web.irc.push(irc);
    irc.send('PRIVMSG NickServ :SET ALWAYS-ON');
    assert.match(
      (await irc.waitFor((m) => m.command === 'NOTICE' && m.source!.startsWith('NickServ!'))).params[1]!,
      /Always-on is off for marga/,
    );
    await home.page.locator('input.always-on-toggle').click();
    await home.page.locator('input.always-on-toggle:checked:not([disabled])').waitFor();
    irc.send('PRIVMSG NickServ :SET ALWAYS-ON');
    assert.match(
      (await irc.waitFor((m) => m.command === 'NOTICE' && m.source!.startsWith('NickServ!'))).params[1]!,
      /Always-on is on for marga/,
    );
    await screenshot(home.page, 'web-sessions-one');
  });
});
