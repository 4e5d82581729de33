/**
 * Who said it, in the web client in real Chromium against a real server: a registered name
 * is never lent to a guest (the login form says why and points at "Log in"), messages from
 * logged-in accounts carry a mark with the account on hover, and two people who used the
 * same nick (a guest, then the account) never share one header.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { joinRoom, loginAccount, message, newUser, say, screenshot } from '../helpers/browser.js';
import { TestClient } from '../helpers/client.js';
import { webSuite } from '../helpers/web-suite.js';

describe('web client: identity', { timeout: 120_000 }, () => {
  const web = webSuite();

  test('a guest asking for a registered name is refused on the login form; account marks; a guest and the account with the same nick get separate headers', async () => {
    // sol founds #plaza and lets people speak there from outside (-n), so the two luis
    // below speak one after the other with no join or quit between them.
    const sol = await TestClient.register(web.srv.port, 'sol');
    web.irc.push(sol);
    sol.send('REGISTER * * :solpw');
    await sol.expect('900');
    sol.send('JOIN #plaza');
    await sol.expect('366');
    sol.send('MODE #plaza -n');
    await sol.expect('MODE', '#plaza', '-n');
    const ana = await newUser(web.browser);
    web.users.push(ana);
    await loginAccount(ana, web.base, 'register', 'ana');
    await joinRoom(ana.page, '#plaza');
    await say(ana.page, 'hola, soy ana');
    await message(ana.page, 'hola, soy ana').waitFor();

    // rosa has an account and is offline. The impostor asks for rosa as a guest: the form
    // explains, and nobody ever sees it under that name.
    const rosa = await TestClient.register(web.srv.port, 'rosa');
    web.irc.push(rosa);
    rosa.send('REGISTER * * :rosapw');
    await rosa.expect('900');
    rosa.send('QUIT');
    await rosa.waitClosed();
    const impostor = await newUser(web.browser);
    web.users.push(impostor);
    await impostor.page.goto(web.base);
    await impostor.page.fill('input[name=nick]', 'rosa');
    await impostor.page.click('button[type=submit]');
    const why = impostor.page.locator('.login .error[role=alert]');
    await why.waitFor();
    assert.match((await why.textContent()) ?? '', /rosa is a registered account.*"Log in"/);
    assert.equal(await impostor.page.locator('#join-room').count(), 0);
    await screenshot(impostor.page, 'web-identity-registered-name');

    // luis speaks as a guest and leaves; then the account luis is registered and speaks.
    const guest = await TestClient.register(web.srv.port, 'luis');
    web.irc.push(guest);
    guest.send('PRIVMSG #plaza :primero, como invitado');
    await message(ana.page, 'primero, como invitado').waitFor();
    guest.send('QUIT');
    await guest.waitClosed();
    const account = await TestClient.register(web.srv.port, 'luis');
    web.irc.push(account);
    account.send('REGISTER * * :luispw');
    await account.expect('900');
    account.send('PRIVMSG #plaza :segundo, con cuenta');
    await message(ana.page, 'segundo, con cuenta').waitFor();

    assert.equal(await ana.page.locator('.event', { hasText: 'luis' }).count(), 0);
    const groups = ana.page.locator('article.group[aria-label="luis"]');
    assert.equal(await groups.count(), 2, 'a guest and the account are two people, never one header');
    assert.equal(await groups.nth(0).locator('.account-mark').count(), 0);
    assert.ok(((await groups.nth(0).textContent()) ?? '').includes('primero, como invitado'));
    const mark = groups.nth(1).locator('.account-mark');
    assert.equal(await mark.getAttribute('title'), 'Logged in as luis');
    assert.ok(((await groups.nth(1).textContent()) ?? '').includes('segundo, con cuenta'));
    // Our own messages, from an account, carry it too.
    const own = ana.page.locator('article.group.self .account-mark');
    assert.equal(await own.first().getAttribute('title'), 'Logged in as ana');
    await screenshot(ana.page, 'web-identity-account-marks');
  });
});
